import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../client.ts';
import { outboxMessages } from '../schema/index.ts';

export interface OutboxMessageInput {
  channel: string;
  kind: string;
  dedupeKey: string;
  recipient: string;
  payload: unknown;
}

const ROWS_PER_STATEMENT = 100;
const COLUMNS = '(channel, kind, dedupe_key, recipient, payload, status, attempts, next_attempt_at, created_at)';
const statements = new WeakMap<Db, { many: Statement; one: Statement }>();

function insertStatements(db: Db) {
  let s = statements.get(db);
  if (!s) {
    const row = "(?, ?, ?, ?, ?, 'pending', 0, ?, ?)";
    const sqlFor = (n: number) =>
      `INSERT INTO outbox_messages ${COLUMNS} VALUES ${Array(n).fill(row).join(', ')} ON CONFLICT (dedupe_key) DO NOTHING`;
    s = { many: db.$client.prepare(sqlFor(ROWS_PER_STATEMENT)), one: db.$client.prepare(sqlFor(1)) };
    statements.set(db, s);
  }
  return s;
}

/**
 * Adds messages to the outbox; call it inside the command's transaction. Enqueueing the same
 * dedupe key twice keeps the first. A fan-out to 100,000 recipients happens while the NOC
 * waits for its answer, so this uses prepared multi-row statements directly (the query
 * builder's per-row overhead doubled the time; see `npm run bench:email`).
 */
export function enqueueMessages(db: Db, messages: OutboxMessageInput[], now: Date): number {
  const { many, one } = insertStatements(db);
  const at = now.getTime();
  const values = (m: OutboxMessageInput) => [
    m.channel,
    m.kind,
    m.dedupeKey,
    m.recipient,
    JSON.stringify(m.payload),
    at,
    at,
  ];
  let inserted = 0;
  let i = 0;
  for (; i + ROWS_PER_STATEMENT <= messages.length; i += ROWS_PER_STATEMENT) {
    inserted += many.run(messages.slice(i, i + ROWS_PER_STATEMENT).flatMap(values)).changes;
  }
  for (; i < messages.length; i++) inserted += one.run(values(messages[i])).changes;
  return inserted;
}

/** Why a message was withdrawn when its recipient unsubscribed before any provider saw it. */
export const UNSUBSCRIBED_REASON = 'Cancelado: el suscriptor se dio de baja.';

/**
 * Adds messages already withdrawn (status 'cancelled', with `reason`): a fan-out expanded after
 * its recipient unsubscribed leaves the row an unsubscribe leaves, for the counts and the audit.
 */
export function enqueueWithdrawnMessages(db: Db, messages: OutboxMessageInput[], now: Date, reason: string): number {
  const inserted = enqueueMessages(db, messages, now);
  db.$client
    .prepare(
      `UPDATE outbox_messages SET status = 'cancelled', last_error = ?
        WHERE dedupe_key IN (SELECT value FROM json_each(?)) AND status = 'pending' AND batch_key IS NULL`,
    )
    .run(reason, JSON.stringify(messages.map((m) => m.dedupeKey)));
  return inserted;
}

/**
 * Withdraws a recipient's messages that no worker has claimed yet; call it inside the command's
 * transaction. Claimed batches are left alone: after a crash they must be re-sent unchanged
 * under their idempotency key. Returns how many were withdrawn.
 */
export function cancelPendingMessages(db: Db, channel: string, recipient: string, reason: string): number {
  return db
    .update(outboxMessages)
    .set({ status: 'cancelled', lastError: reason })
    .where(
      and(
        eq(outboxMessages.channel, channel),
        eq(outboxMessages.recipient, recipient),
        eq(outboxMessages.status, 'pending'),
        isNull(outboxMessages.batchKey),
      ),
    )
    .run().changes;
}

export function outboxHealth(db: Db, channel?: string) {
  const where = channel ? sql`WHERE channel = ${channel}` : sql``;
  const counts = db.all<{ status: string; n: number }>(
    sql`SELECT status, count(*) AS n FROM outbox_messages ${where} GROUP BY status`,
  );
  const lastError = db.get<{ last_error: string; id: number } | undefined>(
    sql`SELECT id, last_error FROM outbox_messages ${channel ? sql`WHERE channel = ${channel} AND` : sql`WHERE`} last_error IS NOT NULL ORDER BY id DESC LIMIT 1`,
  );
  const by = Object.fromEntries(counts.map((c) => [c.status, c.n]));
  // Messages the retention removed still count (db/outbox/retention.ts keeps their summary).
  const pruned = db.get<{ sent: number | null; cancelled: number | null }>(
    sql`SELECT sum(sent) AS sent, sum(cancelled) AS cancelled FROM outbox_summaries ${channel ? sql`WHERE channel = ${channel}` : sql``}`,
  );
  return {
    pending: by.pending ?? 0,
    sent: (by.sent ?? 0) + (pruned?.sent ?? 0),
    failed: by.failed ?? 0,
    cancelled: (by.cancelled ?? 0) + (pruned?.cancelled ?? 0),
    lastError: lastError?.last_error ?? null,
  };
}

/** Counts per status and the last error, for every channel that has messages. */
export function outboxHealthByChannel(db: Db) {
  const channels = db.all<{ channel: string }>(
    sql`SELECT DISTINCT channel FROM outbox_messages UNION SELECT channel FROM outbox_summaries ORDER BY channel`,
  );
  return channels.map(({ channel }) => ({ channel, ...outboxHealth(db, channel) }));
}
