import { and, asc, eq, inArray, isNull, lte, sql } from 'drizzle-orm';
import { createHash } from 'node:crypto';
import type { Db } from '../client.ts';
import { backgroundWrite, isDatabaseBusy } from '../commands/transaction.ts';
import { leaseHolder } from '../commands/lease.ts';
import { outboxMessages } from '../schema/index.ts';

export type OutboxRow = typeof outboxMessages.$inferSelect;

/** What a transport reports for each message of a batch. */
export type DeliveryResult =
  | { id: number; outcome: 'sent'; providerMessageId?: string | null }
  | { id: number; outcome: 'retry'; error: string; retryAfterMs?: number }
  | { id: number; outcome: 'failed'; error: string };

export type DeliveryOutcome = DeliveryResult['outcome'];
type OutcomeListener = (channel: string, outcome: DeliveryOutcome, count: number) => void;
const outcomeListeners = new Set<OutcomeListener>();

/** Called after the results of every batch are recorded (the `somnet_deliveries_total` counter). */
export function onDeliveryOutcome(listener: OutcomeListener): () => void {
  outcomeListeners.add(listener);
  return () => outcomeListeners.delete(listener);
}

export interface Transport {
  channel: string;
  /** Largest batch one provider call takes (Resend batch: 100; webhooks: 1). */
  batchSize: number;
  /**
   * Delivers one batch. `batchKey` is stable across crashes for the same rows: pass it to
   * the provider as its idempotency key. `resumed`: the batch was claimed before a crash and
   * its outcome never recorded (a provider without idempotency keys may look it up first).
   * Must not throw for delivery errors; report them.
   */
  send(batch: OutboxRow[], batchKey: string, resumed?: boolean): Promise<DeliveryResult[]>;
  /**
   * Clears a row's payload once it is sent, for channels whose payload holds secrets (email
   * links with tokens). Failed rows keep theirs, for the NOC to inspect.
   */
  forgetPayloadWhenSent?: boolean;
}

export interface DrainOptions {
  now?: () => Date;
  /**
   * The server instance draining (its background lease's owner, db/commands/lease.ts): batches it
   * claims carry it, and a batch another instance claimed is left alone while that instance
   * holds the lease. Without it (a one-off drain), claims carry no owner.
   */
  owner?: string;
  maxAttempts?: number;
  /** Stops after this many batches (the worker calls again). */
  maxBatches?: number;
  /** Waits between provider calls, to stay under a provider's request rate. */
  pace?: () => Promise<void>;
}

/** Exponential backoff: 10 s, 20 s, 40 s … capped at 1 h, or the provider's retry-after. */
export function backoffMs(attempts: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined && retryAfterMs > 0) return retryAfterMs;
  return Math.min(3_600_000, 10_000 * 2 ** Math.max(0, attempts - 1));
}

function batchKeyFor(rows: OutboxRow[]): string {
  const digest = createHash('sha256')
    .update(rows.map((r) => r.dedupeKey).join('\n'))
    .digest('base64url')
    .slice(0, 32);
  return `${rows[0].channel}-${rows[0].id}-${digest}`;
}

/**
 * Claims due messages into batches and hands them to the transport. Claiming (writing the
 * batch key) commits before the provider is called, so a crash between the two re-sends the
 * very same batch under the same key on restart: the provider's idempotency turns that into
 * one delivery. Returns how many messages reached a final state or were rescheduled.
 */
export async function drainOutbox(db: Db, transport: Transport, options: DrainOptions = {}): Promise<number> {
  const now = options.now ?? (() => new Date());
  const maxAttempts = options.maxAttempts ?? 8;
  let handled = 0;
  for (let b = 0; b < (options.maxBatches ?? Infinity); b++) {
    let batch: { rows: OutboxRow[]; key: string; resumed?: boolean };
    try {
      batch = await backgroundWrite(db, () => claimBatch(db, transport, now(), options.owner ?? null));
    } catch (err) {
      // Another process holds the write lock: nothing is claimed; the worker's next pass tries again.
      if (isDatabaseBusy(err)) break;
      throw err;
    }
    if (batch.rows.length === 0) break;
    if (b > 0 && options.pace) await options.pace();
    let results: DeliveryResult[];
    try {
      results = await transport.send(batch.rows, batch.key, batch.resumed === true);
    } catch (err) {
      results = batch.rows.map((r) => ({ id: r.id, outcome: 'retry' as const, error: (err as Error).message }));
    }
    // The batch went out: keep trying to record that for a while (about a minute) rather than
    // re-send it. If the lock outlasts that, the rows stay claimed and the next pass re-sends
    // them under the same key, as after a crash.
    const at = now();
    await backgroundWrite(
      db,
      () =>
        recordResults(
          db,
          batch.rows,
          results,
          at,
          maxAttempts,
          transport.forgetPayloadWhenSent === true,
          options.owner ?? null,
        ),
      { attempts: 35 },
    );
    reportOutcomes(transport.channel, batch.rows, results, maxAttempts);
    handled += batch.rows.length;
    // Let waiting requests in between batches. Claiming, recording and a transport that does
    // its work synchronously resolve as microtasks, which never give the event loop back: a
    // 3,000-recipient fan-out to .eml files kept every request, cached ones too, waiting 8 s.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return handled;
}

/** What recordResults recorded, as the listeners count it: a retry past the last attempt failed. */
function reportOutcomes(channel: string, rows: OutboxRow[], results: DeliveryResult[], maxAttempts: number): void {
  if (outcomeListeners.size === 0) return;
  const byId = new Map(results.map((r) => [r.id, r.outcome]));
  const counts: Record<DeliveryOutcome, number> = { sent: 0, failed: 0, retry: 0 };
  for (const row of rows) {
    const outcome = byId.get(row.id) ?? 'retry';
    counts[outcome === 'retry' && row.attempts + 1 >= maxAttempts ? 'failed' : outcome]++;
  }
  for (const [outcome, count] of Object.entries(counts) as Array<[DeliveryOutcome, number]>)
    if (count > 0) for (const listener of outcomeListeners) listener(channel, outcome, count);
}

/**
 * Whether a claimed batch may be taken: it is ours or nobody's, or its claimant is no longer the
 * live holder of the background lease (it died, froze past its lease, or stopped). A live
 * claimant's batch is never taken, however long its provider takes to answer: taking it was how
 * two servers on one database sent every webhook twice.
 */
function mayTake(db: Db, claimedBy: string | null, owner: string | null): boolean {
  if (claimedBy === null || claimedBy === owner) return true;
  return leaseHolder(db, Date.now())?.owner !== claimedBy;
}

function claimBatch(
  db: Db,
  transport: Transport,
  at: Date,
  owner: string | null,
): { rows: OutboxRow[]; key: string; resumed?: boolean } {
  return db.$client
    .transaction(() => {
      // Only the live holder of the background lease claims: a process that froze and lost it
      // may run one more pass before its next beat tells it so.
      if (owner !== null && leaseHolder(db, Date.now())?.owner !== owner) return { rows: [], key: '' };
      // A batch claimed before a crash (or by a process that lost the lease) goes first, unchanged.
      const leftovers = db
        .select({ batchKey: outboxMessages.batchKey, claimedBy: outboxMessages.claimedBy })
        .from(outboxMessages)
        // Literal condition, so SQLite can use the partial index outbox_claimed_idx.
        .where(
          and(
            eq(outboxMessages.channel, transport.channel),
            sql.raw("status = 'pending' AND batch_key IS NOT NULL"),
            lte(outboxMessages.nextAttemptAt, at),
          ),
        )
        .orderBy(asc(outboxMessages.id))
        .limit(20)
        .all();
      const claimed = leftovers.find((l) => mayTake(db, l.claimedBy, owner));
      if (claimed) {
        const rows = db
          .update(outboxMessages)
          .set({ claimedBy: owner })
          .where(and(eq(outboxMessages.batchKey, claimed.batchKey!), eq(outboxMessages.status, 'pending')))
          .returning()
          .all()
          .sort((a, b) => a.id - b.id);
        return { rows, key: claimed.batchKey!, resumed: true };
      }
      // The oldest unclaimed rows through outbox_claimable_idx (named: the planner would rather
      // sort every pending row by id), then read whole.
      const ids = db.$client
        .prepare(
          `SELECT id FROM outbox_messages INDEXED BY outbox_claimable_idx
            WHERE channel = ? AND status = 'pending' AND batch_key IS NULL AND next_attempt_at <= ?
            ORDER BY id LIMIT ?`,
        )
        .pluck()
        .all(transport.channel, at.getTime(), transport.batchSize) as number[];
      const rows =
        ids.length === 0
          ? []
          : db
              .select()
              .from(outboxMessages)
              .where(inArray(outboxMessages.id, ids))
              .orderBy(asc(outboxMessages.id))
              .all();
      if (rows.length === 0) return { rows, key: '' };
      const key = batchKeyFor(rows);
      db.update(outboxMessages)
        .set({ batchKey: key, claimedBy: owner })
        .where(
          inArray(
            outboxMessages.id,
            rows.map((r) => r.id),
          ),
        )
        .run();
      return { rows: rows.map((r) => ({ ...r, batchKey: key, claimedBy: owner })), key };
    })
    .immediate();
}

function recordResults(
  db: Db,
  rows: OutboxRow[],
  results: DeliveryResult[],
  at: Date,
  maxAttempts: number,
  forgetPayload: boolean,
  owner: string | null,
): void {
  const byId = new Map(results.map((r) => [r.id, r]));
  db.$client
    .transaction(() => {
      // Only rows still claimed by us: a process that froze past its lease finds its batch
      // taken over (and sent again) by the new holder, whose outcome stands.
      const ours = new Set(
        (
          db.$client
            .prepare(`SELECT id FROM outbox_messages WHERE batch_key = ? AND status = 'pending' AND claimed_by IS ?`)
            .all(rows[0].batchKey, owner) as Array<{ id: number }>
        ).map((r) => r.id),
      );
      // Sent rows are the common case (100 per batch): one prepared statement each.
      const markSent = db.$client.prepare(
        `UPDATE outbox_messages SET status = 'sent', attempts = attempts + 1, sent_at = ?, provider_message_id = ?, last_error = NULL, claimed_by = NULL${forgetPayload ? ", payload = '{}'" : ''} WHERE id = ?`,
      );
      for (const row of rows) {
        if (!ours.has(row.id)) continue;
        const result = byId.get(row.id) ?? {
          id: row.id,
          outcome: 'retry' as const,
          error: 'El transporte no informó el resultado.',
        };
        const attempts = row.attempts + 1;
        if (result.outcome === 'sent') {
          markSent.run(at.getTime(), result.providerMessageId ?? null, row.id);
        } else if (result.outcome === 'failed' || attempts >= maxAttempts) {
          db.update(outboxMessages)
            .set({ status: 'failed', attempts, lastError: result.error, claimedBy: null })
            .where(eq(outboxMessages.id, row.id))
            .run();
        } else {
          // The batch keeps its key: if the provider did accept it before failing to answer,
          // the retry is recognised as the same request.
          db.update(outboxMessages)
            .set({
              attempts,
              lastError: result.error,
              nextAttemptAt: new Date(at.getTime() + backoffMs(attempts, result.retryAfterMs)),
              // No longer in flight: whoever holds the lease when it is due sends it again.
              claimedBy: null,
            })
            .where(eq(outboxMessages.id, row.id))
            .run();
        }
      }
    })
    .immediate();
}
