// Outbox retention: a delivered message (sent, or withdrawn before any provider saw it) older than
// OUTBOX_RETENTION_DAYS is removed; what stays is one summary row per channel and event (how many
// were sent and withdrawn, when) and, for incident updates' emails, who they reached (the
// incident's report goes to them). Failed and pending rows are never removed here: the console
// lists failures to act on, and pending ones are still to be delivered.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../client.ts';
import { writeTransaction } from '../commands/transaction.ts';

export const DEFAULT_OUTBOX_RETENTION_DAYS = 30;
const DAY_MS = 86_400_000;

/** The event a message belongs to: its dedupe key without the recipient. */
export function outboxEventKey(dedupeKey: string): string {
  const endpoint = dedupeKey.lastIndexOf(':endpoint:');
  if (endpoint > 0) return dedupeKey.slice(0, endpoint);
  const last = dedupeKey.lastIndexOf(':');
  return last > 0 ? dedupeKey.slice(0, last) : dedupeKey;
}

interface Row {
  id: number;
  channel: string;
  kind: string;
  dedupe_key: string;
  status: 'sent' | 'cancelled';
  created_at: number;
  sent_at: number | null;
}

const statements = new WeakMap<Db, Record<'select' | 'summary' | 'recipient' | 'remove', Statement>>();

function prepared(db: Db) {
  let s = statements.get(db);
  if (!s) {
    const c = db.$client;
    s = {
      // Oldest first, by id (the primary key): a slice is an index range, whatever the table's size.
      select: c.prepare(
        `SELECT id, channel, kind, dedupe_key, status, created_at, sent_at FROM outbox_messages
          WHERE id > ? AND status IN ('sent', 'cancelled') AND coalesce(sent_at, created_at) < ?
          ORDER BY id LIMIT ?`,
      ),
      summary: c.prepare(
        `INSERT INTO outbox_summaries (channel, event_key, kind, sent, cancelled, first_created_at, last_sent_at, pruned_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (channel, event_key) DO UPDATE SET
           sent = sent + excluded.sent,
           cancelled = cancelled + excluded.cancelled,
           first_created_at = min(first_created_at, excluded.first_created_at),
           last_sent_at = max(coalesce(last_sent_at, 0), coalesce(excluded.last_sent_at, 0)),
           pruned_at = excluded.pruned_at`,
      ),
      recipient: c.prepare('INSERT OR IGNORE INTO incident_notice_recipients (update_id, subscriber_id) VALUES (?, ?)'),
      remove: c.prepare('DELETE FROM outbox_messages WHERE id = ?'),
    };
    statements.set(db, s);
  }
  return s;
}

export interface PruneSlice {
  removed: number;
  /** Where the next slice starts (the last id looked at); null when nothing older is left. */
  after: number | null;
}

/**
 * Removes up to `limit` delivered rows older than `days` (from id `after` on), in one short
 * transaction, summarising them first. Call it again with the returned cursor, yielding between.
 */
export function pruneOutboxSlice(db: Db, now: Date, days: number, after = 0, limit = 2_000): PruneSlice {
  const s = prepared(db);
  const cutoff = now.getTime() - days * DAY_MS;
  return writeTransaction(db, () => {
    const rows = s.select.all(after, cutoff, limit) as Row[];
    if (rows.length === 0) return { removed: 0, after: null };
    const events = new Map<
      string,
      {
        channel: string;
        key: string;
        kind: string;
        sent: number;
        cancelled: number;
        first: number;
        last: number | null;
      }
    >();
    for (const r of rows) {
      const key = outboxEventKey(r.dedupe_key);
      const id = `${r.channel}\u0000${key}`;
      let e = events.get(id);
      if (!e)
        events.set(
          id,
          (e = { channel: r.channel, key, kind: r.kind, sent: 0, cancelled: 0, first: r.created_at, last: null }),
        );
      if (r.status === 'sent') e.sent++;
      else e.cancelled++;
      e.first = Math.min(e.first, r.created_at);
      if (r.sent_at !== null) e.last = Math.max(e.last ?? 0, r.sent_at);
      // An incident update's email: who it reached stays (the incident's report is sent to them).
      if (r.channel === 'email' && r.status === 'sent' && r.dedupe_key.startsWith('incident-update:')) {
        const [, updateId, subscriberId] = r.dedupe_key.split(':');
        if (updateId && subscriberId) s.recipient.run(updateId, subscriberId);
      }
      s.remove.run(r.id);
    }
    for (const e of events.values())
      s.summary.run(e.channel, e.key, e.kind, e.sent, e.cancelled, e.first, e.last, now.getTime());
    return { removed: rows.length, after: rows.at(-1)!.id };
  });
}
