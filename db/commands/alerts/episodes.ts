// The alerts table: one row per firing episode of an alert (source + fingerprint). Reads a row
// as the domain's types (db/domain/alerts.ts); ./receive.ts writes what a transition decided.
import { alertContribution, type AlertEpisode, type AlertEvaluation, type AlertWords } from '../../domain/alerts.ts';
import type { FaultStatus } from '../../domain/rollup.ts';
import type { AlertRow } from '../../queries/alerts.ts';

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
export function contribution(
  row: Pick<AlertRow, 'componentIds' | 'suppressedIds' | 'proposedStatus' | 'mode' | 'effect' | 'status' | 'flapping'>,
): Map<string, FaultStatus> {
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
