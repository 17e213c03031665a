import { sqliteTable, text, integer } from 'drizzle-orm/sqlite-core';

/**
 * A subscriber's HTTP endpoint. Deliveries go through the shared outbox (channel 'webhook',
 * recipient = this id); the columns below keep the endpoint's health so the NOC sees which
 * receivers fail and which were disabled after repeated failure.
 */
export const webhookEndpoints = sqliteTable('webhook_endpoints', {
  id: text('id').primaryKey(),
  url: text('url').notNull(),
  /** HMAC-SHA256 key for the signature header; shown once, at registration. */
  secret: text('secret').notNull(),
  description: text('description'),
  /**
   * What the subscriber follows: these components, plus every component of these groups (also
   * ones added to the group later). Both null = every component and every incident.
   */
  componentIds: text('component_ids', { mode: 'json' }).$type<string[] | null>(),
  groupIds: text('group_ids', { mode: 'json' }).$type<string[] | null>(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  disabledAt: integer('disabled_at', { mode: 'timestamp_ms' }),
  disabledReason: text('disabled_reason'),
  /** Failed attempts in a row (any message); reset by a delivered one. */
  consecutiveFailures: integer('consecutive_failures').notNull().default(0),
  failingSince: integer('failing_since', { mode: 'timestamp_ms' }),
  lastAttemptAt: integer('last_attempt_at', { mode: 'timestamp_ms' }),
  lastSuccessAt: integer('last_success_at', { mode: 'timestamp_ms' }),
  lastFailureAt: integer('last_failure_at', { mode: 'timestamp_ms' }),
  lastError: text('last_error'),
});
