import { sql } from 'drizzle-orm';
import { sqliteTable, text, integer, index, blob } from 'drizzle-orm/sqlite-core';
import { consoleRoles, signInMethods } from '../enums.ts';

/** People who sign in to the NOC console (/noc). Passwords are stored as scrypt hashes. */
export const consoleUsers = sqliteTable('console_users', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  email: text('email').notNull().unique(),
  role: text('role', { enum: consoleRoles }).notNull(),
  /**
   * "scrypt$N$r$p$salt$hash" (base64url); see db/domain/password.ts. A user created by single
   * sign-on has "!" (no password matches it).
   */
  passwordHash: text('password_hash').notNull(),
  /**
   * TOTP secret (RFC 6238, base32) once enrolment is confirmed. It cannot be hashed: the server
   * computes codes from it. The database file is the service's alone (deploy/).
   */
  totpSecret: text('totp_secret'),
  /** The last 30-second step a code was accepted for: a code for it or an earlier one is a replay. */
  totpLastStep: integer('totp_last_step'),
  totpEnabledAt: integer('totp_enabled_at', { mode: 'timestamp_ms' }),
  /** WebAuthn user handle (random, base64url): what passkeys carry instead of the email. */
  webauthnUserId: text('webauthn_user_id').unique(),
  /** The identity provider's `sub` of this user, set at the first single sign-on. */
  oidcSubject: text('oidc_subject').unique(),
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
    /** The last request seen (written at most once a minute): the idle timeout counts from it. */
    lastSeenAt: integer('last_seen_at', { mode: 'timestamp_ms' })
      .notNull()
      .default(sql`0`),
    method: text('method', { enum: signInMethods }).notNull().default('password'),
    /** False while a password sign-in still owes the user's second factor (/noc/verificar). */
    complete: integer('complete', { mode: 'boolean' }).notNull().default(true),
    /** The client address and browser at sign-in, for the list of one's sessions. */
    address: text('address').notNull().default(''),
    userAgent: text('user_agent').notNull().default(''),
    /** A TOTP secret shown for enrolment and not yet confirmed with a code. */
    pendingTotpSecret: text('pending_totp_secret'),
    /** The WebAuthn challenge this session was last given (a passkey to add, or a second factor). */
    challenge: text('challenge'),
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

/** Single-use recovery codes of a user's second factor: only their SHA-256 is stored. */
export const consoleRecoveryCodes = sqliteTable(
  'console_recovery_codes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id')
      .notNull()
      .references(() => consoleUsers.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull().unique(),
    usedAt: integer('used_at', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('console_recovery_codes_user_idx').on(t.userId)],
);

/** WebAuthn credentials (passkeys) of console users; a user may have several. */
export const consolePasskeys = sqliteTable(
  'console_passkeys',
  {
    /** The credential ID, base64url, as the browser reports it. */
    id: text('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => consoleUsers.id, { onDelete: 'cascade' }),
    /** What the user called it ("Llave USB", "Teléfono"). */
    name: text('name').notNull(),
    /** COSE public key. */
    publicKey: blob('public_key', { mode: 'buffer' }).notNull(),
    /** Signature counter; a value that does not grow reveals a cloned authenticator. */
    counter: integer('counter').notNull().default(0),
    /** JSON array of AuthenticatorTransport hints ("usb", "internal", "hybrid"…). */
    transports: text('transports').notNull().default('[]'),
    backedUp: integer('backed_up', { mode: 'boolean' }).notNull().default(false),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    lastUsedAt: integer('last_used_at', { mode: 'timestamp_ms' }),
  },
  (t) => [index('console_passkeys_user_idx').on(t.userId)],
);

/**
 * A sign-in under way before any session exists: a passkey challenge, or an OpenID Connect
 * authorization request's state, nonce and PKCE verifier. Keyed by the SHA-256 of a random
 * cookie value, so only the browser that started it can finish it; used once.
 */
export const consoleLoginFlows = sqliteTable('console_login_flows', {
  tokenHash: text('token_hash').primaryKey(),
  kind: text('kind', { enum: ['passkey', 'oidc'] }).notNull(),
  /** JSON: { challenge } or { state, nonce, verifier, back }. */
  data: text('data').notNull(),
  expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
});
