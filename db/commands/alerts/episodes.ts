// The alerts table: one row per firing episode of an alert (source + fingerprint). Reads a row
// as the domain's types (db/domain/alerts.ts) and writes what a transition decided.
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../client.ts';
import {
  alertContribution,
  type AlertEpisode,
  type AlertEvaluation,
  type AlertTransition,
  type AlertWords,
} from '../../domain/alerts.ts';
import type { FaultStatus } from '../../domain/rollup.ts';
import { newId } from '../../ids.ts';
import type { AlertRow } from '../../queries/alerts.ts';
import { alerts } from '../../schema/index.ts';

export const json = (v: unknown) => JSON.stringify(v);
export const ids = (v: string) => JSON.parse(v) as string[];

/** What the rules decided, as stored on the row. */
export function evaluationOf(
  row: Pick<AlertRow, 'componentIds' | 'suppressedIds' | 'proposedStatus' | 'mode' | 'effect'>,
): AlertEvaluation {
  return {
    componentIds: ids(row.componentIds),
    suppressedIds: ids(row.suppressedIds),
    // Only fault statuses are ever stored here (statusForAlert, the rules' schema).
    proposedStatus: row.proposedStatus as FaultStatus | null,
    mode: row.mode,
    effect: row.effect,
  };
}

export function episodeOf(row: AlertRow): AlertEpisode {
  return { ...row, ...evaluationOf(row) };
}

/** The statuses a stored alert imposes now, by component (db/domain/alerts.ts `alertContribution`). */
export function contribution(row: AlertRow): Map<string, FaultStatus> {
  return alertContribution({ ...evaluationOf(row), status: row.status, flapping: row.flapping });
}

/** An alert's words, for a draft's title and the template the composer offers. */
export function wordsOf(row: Pick<AlertRow, 'labels' | 'annotations' | 'summary' | 'description'>): AlertWords {
  return {
    labels: JSON.parse(row.labels),
    annotations: JSON.parse(row.annotations),
    summary: row.summary,
    description: row.description,
  };
}

export function latestEpisode(db: Db, source: string, fingerprint: string): AlertRow | undefined {
  return db
    .select()
    .from(alerts)
    .where(and(eq(alerts.source, source), eq(alerts.fingerprint, fingerprint)))
    .orderBy(desc(alerts.firstReceivedAt), desc(sql`rowid`))
    .get();
}

/** The columns a notice brings: its facts and what the rules made of it. */
export type NoticeColumns = Pick<
  AlertRow,
  | 'severity'
  | 'summary'
  | 'description'
  | 'labels'
  | 'annotations'
  | 'url'
  | 'receiver'
  | 'deliveryId'
  | 'ruleName'
  | 'componentIds'
  | 'unmatchedRefs'
  | 'suppressedIds'
  | 'mode'
  | 'proposedStatus'
  | 'effect'
  | 'note'
  | 'templateId'
>;

/** Writes what a transition decided and returns the episode's row as it now stands. */
export function writeEpisode(
  db: Db,
  transition: AlertTransition,
  latest: AlertRow | undefined,
  key: Pick<AlertRow, 'format' | 'source' | 'fingerprint'>,
  notice: NoticeColumns,
): AlertRow {
  if (transition.write === 'insert')
    return db
      .insert(alerts)
      .values({ id: newId(), ...key, ...transition.episode, ...notice })
      .returning()
      .get();
  const set = transition.write === 'update' ? { ...notice, ...transition.set } : transition.set;
  return db.update(alerts).set(set).where(eq(alerts.id, latest!.id)).returning().get();
}
