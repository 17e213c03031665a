import { sql } from 'drizzle-orm';
import { sqliteTable, text, integer, index, primaryKey } from 'drizzle-orm/sqlite-core';

/**
 * Transactional outbox shared by every outgoing channel (email, webhooks, …). Rows are written
 * in the same transaction as the change that causes them, so a notice exists if and only if
 * the change committed. A worker in the server process delivers them.
 *
 * - `dedupeKey` makes enqueueing idempotent (e.g. "incident-update:<updateId>:sub:<subscriberId>").
 * - `status` 'cancelled': withdrawn before any provider saw it (e.g. the recipient unsubscribed).
 * - `batchKey` is set when a worker claims rows for one provider call, before the call: after a
 *   crash the same rows are re-sent under the same key, which providers use for idempotency.
 * - `claimedBy` names who claimed them: a live claimant's batch is never taken (db/outbox/worker.ts).
 */
export const outboxMessages = sqliteTable(
  'outbox_messages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    channel: text('channel').notNull(),
    /** What happened, e.g. "incident.created", "maintenance.reminder". */
    kind: text('kind').notNull(),
    dedupeKey: text('dedupe_key').notNull().unique(),
    /** Email address, webhook endpoint id, … as the channel understands it. */
    recipient: text('recipient').notNull(),
    /** The message as the channel's transport needs it, JSON. */
    payload: text('payload').notNull(),
    status: text('status', { enum: ['pending', 'sent', 'failed', 'cancelled'] })
      .notNull()
      .default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at', { mode: 'timestamp_ms' }).notNull(),
    batchKey: text('batch_key'),
    /**
     * The server instance that claimed the batch (its background lease's owner). While that
     * instance holds its lease the batch is its own, however long the provider takes; once the
     * lease has expired or passed on, the batch is a dead process's leftover and goes again.
     */
    claimedBy: text('claimed_by'),
    lastError: text('last_error'),
    providerMessageId: text('provider_message_id'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    sentAt: integer('sent_at', { mode: 'timestamp_ms' }),
  },
  (t) => [
    index('outbox_due_idx').on(t.channel, t.status, t.nextAttemptAt),
    // Partial: only claimed rows have a key, so a 100,000-row fan-out does not maintain it.
    // Claimed but unfinished rows (a crash's leftovers): few, and checked before every batch.
    index('outbox_claimed_idx')
      .on(t.channel, t.nextAttemptAt)
      .where(sql`status = 'pending' AND batch_key IS NOT NULL`),
    index('outbox_batch_idx')
      .on(t.batchKey)
      .where(sql`batch_key IS NOT NULL`),
    // Rows no worker has claimed, oldest first: claiming the next 100 reads 100 entries, not every
    // pending row of the channel (sorting 11,600 pending rows cost ~10 ms per batch, on the event loop).
    index('outbox_claimable_idx')
      .on(t.channel, t.id)
      .where(sql`status = 'pending' AND batch_key IS NULL`),
  ],
);

/**
 * What stays of delivered outbox rows once OUTBOX_RETENTION_DAYS removes them (db/outbox/
 * retention.ts): one row per channel and event (the dedupe key without its recipient), with how
 * many messages were sent or withdrawn, for the console's counts and the audit of who was told.
 */
export const outboxSummaries = sqliteTable(
  'outbox_summaries',
  {
    channel: text('channel').notNull(),
    /** The dedupe key without its recipient: "incident-update:<update>", "webhook:<event>"… */
    eventKey: text('event_key').notNull(),
    kind: text('kind').notNull(),
    sent: integer('sent').notNull().default(0),
    cancelled: integer('cancelled').notNull().default(0),
    firstCreatedAt: integer('first_created_at', { mode: 'timestamp_ms' }).notNull(),
    lastSentAt: integer('last_sent_at', { mode: 'timestamp_ms' }),
    prunedAt: integer('pruned_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.channel, t.eventKey] })],
);

/**
 * The subscribers an incident update's email reached, kept when its outbox rows are removed:
 * the incident's report is sent to them (db/queries/subscribers.ts, incidentNotifiedSubscribers).
 * WITHOUT ROWID (added by hand to the migration): the key is the row.
 */
export const incidentNoticeRecipients = sqliteTable(
  'incident_notice_recipients',
  {
    updateId: text('update_id').notNull(),
    subscriberId: text('subscriber_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.updateId, t.subscriberId] })],
);

/**
 * A notice's fan-out, recorded by the change's own transaction (db/outbox/fanout.ts): the event
 * and its audience as resolved at commit. The first slice of recipients becomes outbox rows in
 * that transaction; the rest wait in `outbox_fanout_chunks` and the holder of the background
 * lease expands them afterwards, one chunk per short transaction, advancing `nextChunk` and
 * `expanded` in the transaction that writes the chunk's rows (so a kill -9 repeats nothing and
 * loses nothing). `finishedAt` is set, and the chunks are gone, once every recipient has its row.
 */
export const outboxFanouts = sqliteTable(
  'outbox_fanouts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** Which channel family expands it: 'subscribers' (email, SMS, WhatsApp, Telegram, team chats) or 'webhooks'. */
    source: text('source').notNull(),
    /** What happened, e.g. "incident.updated" (the rows' `kind`). */
    kind: text('kind').notNull(),
    /** The rows' dedupe key without the recipient, e.g. "incident-update:<update>". */
    eventKey: text('event_key').notNull(),
    /** JSON the source needs for every row (the notice id, the webhook message). */
    payload: text('payload').notNull(),
    /** Recipients the audience had at commit (an estimate until a deferred audience is read). */
    total: integer('total').notNull(),
    /** Recipients expanded into outbox rows so far. */
    expanded: integer('expanded').notNull().default(0),
    /**
     * The next chunk to expand; 0 while the audience is still to be read from the payload (a large
     * audience, db/outbox/fanout.ts `recordDeferredFanOut`): chunks are numbered from 1.
     */
    nextChunk: integer('next_chunk').notNull().default(1),
    /** The server instance that expanded the last chunk (its background lease's owner). */
    claimedBy: text('claimed_by'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    finishedAt: integer('finished_at', { mode: 'timestamp_ms' }),
  },
  (t) => [
    index('outbox_fanouts_unfinished_idx')
      .on(t.id)
      .where(sql`finished_at IS NULL`),
  ],
);

/** The recipients of a fan-out not expanded yet, one JSON array per chunk; removed as each is expanded. */
export const outboxFanoutChunks = sqliteTable(
  'outbox_fanout_chunks',
  {
    fanoutId: integer('fanout_id')
      .notNull()
      .references(() => outboxFanouts.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    entries: text('entries').notNull(),
  },
  (t) => [primaryKey({ columns: [t.fanoutId, t.seq] })],
);
