// What the site's own monitoring reads at scrape time (GET /metrics, GET /healthz): the outbox's
// state per channel, disabled webhook endpoints, and the oldest change a publish has not covered.
// Each query walks an index, so a scrape stays cheap with a large outbox (`npm run bench:metrics`).
import type { Db } from '../client.ts';
import type { ChangeCursor } from './published.ts';

export interface OutboxChannelState {
  channel: string;
  pending: number;
  /** When the oldest pending message was written. */
  oldestPendingAt: Date | null;
  /** Pending messages whose next attempt is due (not waiting out a backoff). */
  due: number;
  /** Since when the longest-waiting due message has been due. */
  oldestDueAt: Date | null;
}

function statements(db: Db) {
  const c = db.$client;
  return {
    // A skip-scan of outbox_due_idx (channel first): one index seek per channel, not one per row.
    channels: c
      .prepare(
        `WITH RECURSIVE ch(name) AS (
           SELECT min(channel) FROM outbox_messages
           UNION ALL
           SELECT (SELECT min(channel) FROM outbox_messages WHERE channel > ch.name) FROM ch WHERE ch.name IS NOT NULL
         ) SELECT name FROM ch WHERE name IS NOT NULL`,
      )
      .pluck(),
    // Covered by outbox_due_idx (channel, status, next_attempt_at; the rowid is in every entry).
    pending: c.prepare(
      "SELECT count(*) AS n, min(id) AS first, min(next_attempt_at) AS firstDue FROM outbox_messages WHERE channel = ? AND status = 'pending'",
    ),
    due: c
      .prepare("SELECT count(*) FROM outbox_messages WHERE channel = ? AND status = 'pending' AND next_attempt_at <= ?")
      .pluck(),
    createdAt: c.prepare('SELECT created_at FROM outbox_messages WHERE id = ?').pluck(),
  };
}

const prepared = new WeakMap<Db, ReturnType<typeof statements>>();
function statementsFor(db: Db) {
  let s = prepared.get(db);
  if (!s) prepared.set(db, (s = statements(db)));
  return s;
}

/** Every channel that has a message (and `channels`, with zeros when they have none). */
export function outboxState(db: Db, now: Date, channels: readonly string[] = []): OutboxChannelState[] {
  const s = statementsFor(db);
  const names = [...new Set([...channels, ...(s.channels.all() as string[])])].sort();
  return names.map((channel) => {
    const row = s.pending.get(channel) as { n: number; first: number | null; firstDue: number | null };
    if (row.n === 0) return { channel, pending: 0, oldestPendingAt: null, due: 0, oldestDueAt: null };
    const createdAt = s.createdAt.get(row.first) as number;
    const dueSince = row.firstDue !== null && row.firstDue <= now.getTime() ? row.firstDue : null;
    return {
      channel,
      pending: row.n,
      oldestPendingAt: new Date(createdAt),
      due: dueSince === null ? 0 : (s.due.get(channel, now.getTime()) as number),
      oldestDueAt: dueSince === null ? null : new Date(dueSince),
    };
  });
}

export function disabledWebhookEndpoints(db: Db): number {
  return db.$client
    .prepare('SELECT count(*) FROM webhook_endpoints WHERE disabled_at IS NOT NULL')
    .pluck()
    .get() as number;
}

/**
 * When the oldest change after `cursor` was recorded: audit rows of subjects a public page shows
 * (`ignoredSubjects` are the others) and component status events (an alert's status change has
 * only a private audit row). Null when nothing public changed after the cursor.
 */
export function oldestChangeAfter(db: Db, cursor: ChangeCursor, ignoredSubjects: Iterable<string>): Date | null {
  const ignored = [...ignoredSubjects];
  const audit = db.$client
    .prepare(
      `SELECT min(at) FROM audit_log WHERE id > ?${ignored.length ? ` AND subject_type NOT IN (${ignored.map(() => '?').join(', ')})` : ''}`,
    )
    .pluck()
    .get(cursor.audit, ...ignored) as number | null;
  const event = db.$client
    .prepare('SELECT min(at) FROM component_status_events WHERE id > ?')
    .pluck()
    .get(cursor.statusEvents) as number | null;
  const times = [audit, event].filter((t): t is number => t !== null);
  return times.length ? new Date(Math.min(...times)) : null;
}

/**
 * The last id each change log has ever handed out (AUTOINCREMENT never reuses one): a database
 * whose sequence is behind a snapshot's cursor is not the one the snapshot was published from
 * (a restored backup).
 */
export function changeSequence(db: Db): ChangeCursor {
  const rows = db.$client
    .prepare("SELECT name, seq FROM sqlite_sequence WHERE name IN ('audit_log', 'component_status_events')")
    .all() as Array<{ name: string; seq: number }>;
  const seq = (name: string) => rows.find((r) => r.name === name)?.seq ?? 0;
  return { audit: seq('audit_log'), statusEvents: seq('component_status_events') };
}
