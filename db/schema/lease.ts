import { sqliteTable, text, integer } from 'drizzle-orm/sqlite-core';

/**
 * Who runs the background work (outbox delivery, the clock's jobs, the publisher, resuming an
 * alert group cut short). Several server processes may share one database (a blue/green
 * restart, a second `npm start` by mistake): all serve HTTP, but only the one holding the lease
 * row works in the background. It renews `expiresAt` every few seconds; another process takes the
 * lease over once it has expired (its holder died or froze) or was released (a clean stop).
 */
export const backgroundLeases = sqliteTable('background_leases', {
  /** One row per kind of work; today only 'background'. */
  name: text('name').primaryKey(),
  /** The holding server instance: `host/pid/random`. Work it claims (outbox batches) carries the same id. */
  owner: text('owner').notNull(),
  host: text('host').notNull(),
  pid: integer('pid').notNull(),
  acquiredAt: integer('acquired_at', { mode: 'timestamp_ms' }).notNull(),
  renewedAt: integer('renewed_at', { mode: 'timestamp_ms' }).notNull(),
  expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
});
