// Alert groups as last applied. Alertmanager and Grafana send a whole group again every
// group_interval (and repeat_interval) while nothing changed; during the outage that makes a
// group of thousands, that resend must cost one comparison, not a re-evaluation of every alert.
// A group's notice is remembered by two digests: of its bytes (checked before the body is even
// validated) and of what it says (each alert's fingerprint, status, times, labels, annotations and
// link: a resend with other bytes but the same alerts). Both hold only while the `stamp` — the
// rules, the catalogue and what holds components — is what it was when the group was applied.
import { createHash } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Db } from '../../client.ts';
import type { AlertRuleDocument } from '../../domain/alerts.ts';
import type { AlertRow } from '../../queries/alerts.ts';
import type { Catalogue } from '../../queries/catalog.ts';
import type { ComponentHolder } from '../../queries/holders.ts';
import { alertDeliveries, alertGroups, alerts } from '../../schema/index.ts';
import { writeTransaction } from '../transaction.ts';
import { bodyDigest, NoticeHasher, PackedAlerts } from './envelopes.ts';
import type { Delivery } from './intake.ts';

/**
 * An unchanged resend refreshes when its alerts were last received at most this often (one write
 * per group per 10 minutes): alerts resent all day are never taken for stale (12 h).
 */
export const GROUP_SEEN_REFRESH_MS = 10 * 60_000;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The last bodies digested: one delivery asks for its digest up to four times (resend check, record, finish). */
const rawDigests = new Map<string, string>();

/** The digest of a body as received, by format (./envelopes.ts `bodyDigest`). */
export function rawDigest(format: string, rawBody: string): string {
  const key = `${format}\n`;
  const known = rawDigests.get(rawBody);
  if (known?.startsWith(key)) return known.slice(key.length);
  const digest = bodyDigest(format, rawBody);
  rememberRawDigest(format, rawBody, digest);
  return digest;
}

/** A large body's digest computed elsewhere (the intake worker): asked for again, it is not computed again. */
export function rememberRawDigest(format: string, rawBody: string, digest: string): void {
  if (rawBody.length <= 64 * 1024) return;
  if (rawDigests.size >= 4) rawDigests.delete(rawDigests.keys().next().value!);
  rawDigests.set(rawBody, `${format}\n${digest}`);
}

/** The notice digest of a whole delivery: the one computed while it was validated, or computed now. */
export function noticeDigest(delivery: Pick<Delivery, 'receiver' | 'alerts' | 'noticeDigest'>): string {
  if (delivery.noticeDigest) return delivery.noticeDigest;
  const { alerts } = delivery;
  return alerts instanceof PackedAlerts
    ? alerts.group.noticeDigest
    : new NoticeHasher(delivery.receiver).add(alerts).digest();
}

/** What the evaluation of an alert depends on besides the alert: rules, catalogue, holders. */
export function evaluationStamp(
  rules: AlertRuleDocument,
  catalogue: Catalogue,
  holders: ReadonlyMap<string, readonly ComponentHolder[]>,
): string {
  return sha256(
    JSON.stringify([
      rules,
      catalogue.all.map((c) => [c.id, c.slug, c.groupId]),
      catalogue.groups.map((g) => [g.id, g.slug]),
      [...holders].map(([id, hs]) => [id, hs.map((h) => [h.kind, h.id])]),
    ]),
  );
}

/** The group a delivery belongs to: Alertmanager's and Grafana's groupKey per receiver; none for the generic shape. */
export function groupKeyOf(format: string, receiver: string | null, groupKey: string | undefined): string | null {
  if (format === 'generic' || groupKey === undefined) return null;
  return `${format}\n${receiver ?? ''}\n${groupKey}`;
}

export type AlertGroupRow = typeof alertGroups.$inferSelect;

export function storedGroup(db: Db, key: string): AlertGroupRow | undefined {
  return db.select().from(alertGroups).where(eq(alertGroups.key, key)).get();
}

/** Remembers a group's notice as just applied. */
export function rememberGroup(
  db: Db,
  group: { key: string; digest: string; rawDigest: string; stamp: string; deliveryId: number },
  now: Date,
): void {
  const row = { ...group, appliedAt: now, seenAt: now };
  db.insert(alertGroups).values(row).onConflictDoUpdate({ target: alertGroups.key, set: row }).run();
}

/** The latest episode of each fingerprint of one source (one query per 500 fingerprints). */
export function latestEpisodes(db: Db, source: string, fingerprints: readonly string[]): Map<string, AlertRow>;
/** The same, only the columns named (the fingerprint and first receipt among them). */
export function latestEpisodes<C extends Columns>(
  db: Db,
  source: string,
  fingerprints: readonly string[],
  columns: C,
): Map<string, { [K in keyof C]: C[K]['_']['data'] }>;
export function latestEpisodes(
  db: Db,
  source: string,
  fingerprints: readonly string[],
  columns?: Columns,
): Map<string, { fingerprint: string; firstReceivedAt: Date }> {
  const out = new Map<string, { fingerprint: string; firstReceivedAt: Date }>();
  const unique = [...new Set(fingerprints)];
  for (let i = 0; i < unique.length; i += 500) {
    const where = and(eq(alerts.source, source), inArray(alerts.fingerprint, unique.slice(i, i + 500)));
    const rows = (
      columns ? db.select(columns).from(alerts).where(where).all() : db.select().from(alerts).where(where).all()
    ) as Array<{ fingerprint: string; firstReceivedAt: Date }>;
    for (const row of rows) {
      const seen = out.get(row.fingerprint);
      // The latest episode: the one first received last (ties cannot happen within a fingerprint).
      if (!seen || row.firstReceivedAt.getTime() >= seen.firstReceivedAt.getTime()) out.set(row.fingerprint, row);
    }
  }
  return out;
}

/** What an intake answers of an alert, as stored. */
export interface StoredAlertResult {
  id: string;
  fingerprint: string;
  status: AlertRow['status'];
  effect: AlertRow['effect'];
  componentIds: string;
  note: string | null;
  draftId: string | null;
  incidentId: string | null;
}

/**
 * The latest episode of each fingerprint of one source, as an intake answers it: one query in
 * plain SQL for a whole group (an unchanged resend of 5,000 alerts answers from here, and the
 * query builder's per-row mapping cost more than the query).
 */
export function latestResults(db: Db, source: string, fingerprints: readonly string[]): Map<string, StoredAlertResult> {
  const rows = db.$client
    .prepare(
      `SELECT id, fingerprint, status, effect, component_ids, note, draft_id, incident_id, first_received_at
         FROM alerts WHERE source = ? AND fingerprint IN (SELECT value FROM json_each(?))`,
    )
    .raw()
    .all(source, JSON.stringify(fingerprints)) as Array<
    [
      string,
      string,
      AlertRow['status'],
      AlertRow['effect'],
      string,
      string | null,
      string | null,
      string | null,
      number,
    ]
  >;
  const out = new Map<string, StoredAlertResult>();
  const firstReceived = new Map<string, number>();
  for (const [id, fingerprint, status, effect, componentIds, note, draftId, incidentId, first] of rows) {
    // The latest episode: the one first received last (ties cannot happen within a fingerprint).
    if ((firstReceived.get(fingerprint) ?? -Infinity) > first) continue;
    firstReceived.set(fingerprint, first);
    out.set(fingerprint, { id, fingerprint, status, effect, componentIds, note, draftId, incidentId });
  }
  return out;
}

type Columns = { fingerprint: typeof alerts.fingerprint; firstReceivedAt: typeof alerts.firstReceivedAt } & Record<
  string,
  SQLiteColumn
>;

/**
 * An unchanged resend: at most every GROUP_SEEN_REFRESH_MS its alerts and its delivery are marked
 * received now (one transaction); otherwise nothing is written at all.
 */
export function refreshSeen(db: Db, group: AlertGroupRow, alertIds: readonly string[], now: Date): boolean {
  if (now.getTime() - group.seenAt.getTime() < GROUP_SEEN_REFRESH_MS) return false;
  writeTransaction(db, () => {
    for (let i = 0; i < alertIds.length; i += 500)
      db.update(alerts)
        .set({ lastReceivedAt: now })
        .where(inArray(alerts.id, alertIds.slice(i, i + 500)))
        .run();
    db.update(alertGroups).set({ seenAt: now }).where(eq(alertGroups.key, group.key)).run();
    db.update(alertDeliveries).set({ lastReceivedAt: now }).where(eq(alertDeliveries.id, group.deliveryId)).run();
  });
  return true;
}
