import { sqliteTable, text, integer, index } from 'drizzle-orm/sqlite-core';
import { consoleRoles } from '../enums.ts';

/** People who sign in to the NOC console (/noc). Passwords are stored as scrypt hashes. */
export const consoleUsers = sqliteTable('console_users', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  email: text('email').notNull().unique(),
  role: text('role', { enum: consoleRoles }).notNull(),
  /** "scrypt$N$r$p$salt$hash" (base64url); see db/domain/password.ts. */
  passwordHash: text('password_hash').notNull(),
  /** Set for one-time passwords (CLI, admin reset): the console asks for a new one first. */
  mustChangePassword: integer('must_change_password', { mode: 'boolean' }).notNull().default(true),
  failedLogins: integer('failed_logins').notNull().default(0),
  lockedUntil: integer('locked_until', { mode: 'timestamp_ms' }),
  disabledAt: integer('disabled_at', { mode: 'timestamp_ms' }),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});

/** A signed-in browser. Only the SHA-256 of the cookie value is stored. */
export const consoleSessions = sqliteTable(
  'console_sessions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tokenHash: text('token_hash').notNull().unique(),
    userId: integer('user_id')
      .notNull()
      .references(() => consoleUsers.id, { onDelete: 'cascade' }),
    /** Synchronizer token every console form carries. */
    csrfToken: text('csrf_token').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('console_sessions_user_idx').on(t.userId)],
);

/** Failed sign-ins by client address, for rate limiting (per-account lock-out is on the user). */
export const consoleLoginFailures = sqliteTable(
  'console_login_failures',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    address: text('address').notNull(),
    email: text('email').notNull(),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('console_login_failures_address_idx').on(t.address, t.at)],
);

/**
 * One row per console form submission, keyed by the random token the form was rendered with:
 * a second submission of the same form finds the row and is sent to the first one's result.
 */
export const consoleFormSubmissions = sqliteTable('console_form_submissions', {
  token: text('token').primaryKey(),
  userId: integer('user_id').notNull(),
  /** Where the first submission led (e.g. the created incident's console page). */
  location: text('location').notNull(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
});
