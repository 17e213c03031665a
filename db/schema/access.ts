import { sqliteTable, text, integer } from 'drizzle-orm/sqlite-core';

/** NOC API tokens. Only the SHA-256 of the token is stored; the token is shown once. */
export const apiTokens = sqliteTable('api_tokens', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull().unique(),
  tokenHash: text('token_hash').notNull().unique(),
  /** Comma-separated ApiScope values (db/enums.ts); tokens made before scopes existed have `all`. */
  scopes: text('scopes').notNull().default('all'),
  /** After this instant the token is refused; null: it does not expire. */
  expiresAt: integer('expires_at', { mode: 'timestamp_ms' }),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  lastUsedAt: integer('last_used_at', { mode: 'timestamp_ms' }),
});

/** Small key/value facts about this database, e.g. when the demo catalogue was seeded. */
export const appMeta = sqliteTable('app_meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});
