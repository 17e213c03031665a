import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gte, lt, sql } from 'drizzle-orm';
import { sqliteFailure, withoutWaiting, type Db } from '../client.ts';
import { hashPasswordSync, verifyPassword } from '../domain/password.ts';
import type { SignInMethod } from '../enums.ts';
import { consoleLoginFailures, consolePasskeys, consoleSessions, consoleUsers } from '../schema/index.ts';
import { recordAudit, type Actor } from './audit.ts';
import { normalizeEmail } from './consoleUsers.ts';
import { CommandError } from './errors.ts';
import { runCommand, writeTransaction, type CommandContext } from './transaction.ts';

/** A NOC shift: a session ends 12 h after sign-in, whatever the activity. */
export const SESSION_LIFETIME_MS = 12 * 60 * 60_000;
/** A password sign-in has this long to give its second factor (/noc/verificar). */
export const SECOND_FACTOR_WINDOW_MS = 10 * 60_000;
/** After this many wrong passwords or codes in a row the account is locked for LOCK_MS. */
export const MAX_FAILED_LOGINS = 5;
export const LOCK_MS = 15 * 60_000;
/** At most this many failed sign-ins per client address within ADDRESS_WINDOW_MS. */
export const MAX_FAILURES_PER_ADDRESS = 20;
export const ADDRESS_WINDOW_MS = 15 * 60_000;

export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Who is signing in, as the limits, the audit log and the list of sessions see them: `address`
 * is the key the per-address limit counts (IPv6 per /64), `ip` the address itself.
 */
export interface SignInClient {
  address: string;
  ip?: string;
  userAgent?: string;
}

/** An unauthenticated client, as the audit log names it: by its address. */
export function clientActor(client: SignInClient): Actor {
  return { kind: 'client', name: client.ip ?? client.address };
}

// Compared against when the email is unknown, so a wrong email costs as much time as a wrong password.
let dummyHash: string | undefined;

const invalid = () =>
  new CommandError(401, 'invalid_credentials', 'Correo o contraseña incorrectos.', [
    { path: 'password', message: 'Correo o contraseña incorrectos.' },
  ]);
const addressBlocked = () =>
  new CommandError(
    429,
    'too_many_attempts',
    'Demasiados intentos fallidos desde esta conexión. Espere 15 minutos e intente de nuevo.',
    undefined,
    { retryAfterSeconds: ADDRESS_WINDOW_MS / 1000 },
  );
const accountLocked = () =>
  new CommandError(
    429,
    'account_locked',
    'La cuenta está bloqueada temporalmente por intentos fallidos. Espere 15 minutos o pida a un administrador que restablezca su contraseña.',
    undefined,
    { retryAfterSeconds: LOCK_MS / 1000 },
  );

/** What was tried: a password, a TOTP or recovery code, a passkey, single sign-on. */
export type SignInFactor = 'password' | 'totp' | 'recovery_code' | 'passkey' | 'oidc';

/** An attempt counted before its (slow) check; a right answer takes it back (`settleSuccess`). */
export interface SignInAttempt {
  failureRowId: number;
  userId: number | null;
  email: string;
  client: SignInClient;
  factor: SignInFactor;
  /** This attempt, if it fails, is the one that locked the account. */
  locks: boolean;
  /** This attempt, if it fails, is the one that reached the address limit. */
  blocksAddress: boolean;
}

/**
 * Counts an attempt as a failure *before* its check (the ~100 ms scrypt of a password), in one
 * IMMEDIATE transaction, and refuses it when a limit is already reached, counting attempts still
 * being checked. Reading the counters before the check and writing them after (the old way) let
 * every request of a concurrent batch see "no failures yet": 40 simultaneous wrong passwords
 * never locked the account. Wrong TOTP and recovery codes count here exactly like passwords.
 *
 * The attempt that reaches MAX_FAILED_LOGINS locks the account right here, not after its check:
 * what is written before the check must be complete on its own, because the write after it can
 * fail (another process holding the database, a crash). Locking only after the check left an
 * account whose fifth check was cut short at "5 failures, no lock", refused for good with
 * "espere 15 minutos". Now the worst such a cut leaves is one counted failure, or a lock that
 * expires. A right answer, even that fifth one, lifts the lock when it is settled.
 *
 * An attempt on a locked account is refused without a check, and counted against its address
 * (and audited): hammering a locked account still spends the address's 20 tries.
 */
export function reserveAttempt(
  db: Db,
  input: { email: string; userId: number | null; client: SignInClient; factor: SignInFactor },
  now: Date,
): SignInAttempt {
  const since = new Date(now.getTime() - ADDRESS_WINDOW_MS);
  const address = input.client.address;
  const outcome = writeTransaction(db, (): SignInAttempt | 'address' | 'locked' => {
    db.delete(consoleLoginFailures).where(lt(consoleLoginFailures.at, since)).run();
    const recent =
      db
        .select({ n: sql<number>`count(*)` })
        .from(consoleLoginFailures)
        .where(and(eq(consoleLoginFailures.address, address), gte(consoleLoginFailures.at, since)))
        .get()?.n ?? 0;
    // Refused unchecked and unaudited: the block itself was audited when it began.
    if (recent >= MAX_FAILURES_PER_ADDRESS) return 'address';
    const row = db
      .insert(consoleLoginFailures)
      .values({ address, email: input.email, at: now })
      .returning({ id: consoleLoginFailures.id })
      .get();
    let locks = false;
    if (input.userId !== null) {
      // A live lock refuses without checking. (Locking resets the count, so an expired lock
      // starts afresh.) SET reads the row as it was before this UPDATE.
      const at = now.getTime();
      const reachesLimit = sql`${consoleUsers.failedLogins} + 1 >= ${MAX_FAILED_LOGINS}`;
      const counted = db
        .update(consoleUsers)
        .set({
          failedLogins: sql`CASE WHEN ${reachesLimit} THEN 0 ELSE ${consoleUsers.failedLogins} + 1 END`,
          lockedUntil: sql`CASE WHEN ${reachesLimit} THEN ${at + LOCK_MS} ELSE NULL END`,
        })
        .where(
          and(
            eq(consoleUsers.id, input.userId),
            sql`(${consoleUsers.lockedUntil} IS NULL OR ${consoleUsers.lockedUntil} <= ${at})`,
          ),
        )
        .returning({ lockedUntil: consoleUsers.lockedUntil })
        .get();
      if (!counted) {
        recordAudit(db, clientActor(input.client), 'user.login_failed', { type: 'user', id: input.email }, now, {
          outcome: 'locked',
          factor: input.factor,
          ...clientDetails(input.client),
        });
        return 'locked';
      }
      locks = counted.lockedUntil !== null;
    }
    return {
      failureRowId: row.id,
      userId: input.userId,
      email: input.email,
      client: input.client,
      factor: input.factor,
      locks,
      blocksAddress: recent + 1 === MAX_FAILURES_PER_ADDRESS,
    };
  });
  if (outcome === 'address') throw addressBlocked();
  if (outcome === 'locked') throw accountLocked();
  return outcome;
}

/** After a right answer: the reservation is taken back and the account's count and lock cleared. */
export function settleSuccess(db: Db, attempt: SignInAttempt): void {
  writeTransaction(db, () => {
    db.delete(consoleLoginFailures).where(eq(consoleLoginFailures.id, attempt.failureRowId)).run();
    if (attempt.userId !== null)
      db.update(consoleUsers)
        .set({ failedLogins: 0, lockedUntil: null })
        .where(eq(consoleUsers.id, attempt.userId))
        .run();
  });
}

function clientDetails(client: SignInClient) {
  return { address: client.ip ?? client.address, ...(client.userAgent ? { browser: client.userAgent } : {}) };
}

/**
 * After a wrong answer (already counted by reserveAttempt): the audit rows. `outcome` says why
 * ("wrong_password", "unknown_account", "disabled", "wrong_code", "replayed_code"…); the lock of
 * the account and the block of the address this attempt began get rows of their own. Written
 * without failing the answer: a busy database costs the rows, never a 503 instead of the 401.
 */
export function settleFailure(db: Db, attempt: SignInAttempt, outcome: string, now: Date): void {
  try {
    writeTransaction(db, () => {
      const actor = clientActor(attempt.client);
      const subject = { type: 'user' as const, id: attempt.email };
      const details = { outcome, factor: attempt.factor, ...clientDetails(attempt.client) };
      recordAudit(db, actor, 'user.login_failed', subject, now, details);
      if (attempt.locks)
        recordAudit(db, actor, 'user.locked', subject, now, {
          until: new Date(now.getTime() + LOCK_MS).toISOString(),
          failures: MAX_FAILED_LOGINS,
          ...clientDetails(attempt.client),
        });
      if (attempt.blocksAddress)
        recordAudit(db, actor, 'login.address_blocked', subject, now, {
          until: new Date(now.getTime() + ADDRESS_WINDOW_MS).toISOString(),
          failures: MAX_FAILURES_PER_ADDRESS,
          ...clientDetails(attempt.client),
        });
    });
  } catch (err) {
    if (!(err instanceof CommandError && err.status === 503)) throw err;
  }
}

type UserRow = typeof consoleUsers.$inferSelect;

/**
 * Checks a console user's password under the sign-in limits (per account and per client
 * address), whatever the concurrency: sign-in and the "current password" of /noc/contrasena
 * count against the same limits. Throws CommandError 429 when refused without checking.
 * Failure bookkeeping is written outside runCommand on purpose: it changes nothing public, and
 * a password-guessing client must not be able to flush the public page cache on every attempt.
 */
export async function checkConsolePassword(
  db: Db,
  input: { email: string; password: string } & SignInClient,
  now: Date,
): Promise<{ ok: true; user: UserRow } | { ok: false }> {
  const email = normalizeEmail(input.email).slice(0, 320);
  const user = db.select().from(consoleUsers).where(eq(consoleUsers.email, email)).get();
  const client: SignInClient = { address: input.address, ip: input.ip, userAgent: input.userAgent };
  const attempt = reserveAttempt(db, { email, userId: user?.id ?? null, client, factor: 'password' }, now);
  // A wrong password stays counted as it was reserved; what remains is its audit row.
  const ok = await verifyPassword(
    input.password,
    user?.passwordHash ?? (dummyHash ??= hashPasswordSync('contraseña de relleno')),
  );
  if (!ok || !user || user.disabledAt) {
    settleFailure(db, attempt, !user ? 'unknown_account' : !ok ? 'wrong_password' : 'disabled', now);
    return { ok: false };
  }
  settleSuccess(db, attempt);
  return { ok: true, user };
}

/** Whether the user has a second factor: a confirmed TOTP or at least one passkey. */
export function hasSecondFactor(db: Db, user: Pick<UserRow, 'id' | 'totpSecret'>): boolean {
  if (user.totpSecret) return true;
  return !!db
    .select({ id: consolePasskeys.id })
    .from(consolePasskeys)
    .where(eq(consolePasskeys.userId, user.id))
    .limit(1)
    .get();
}

export interface OpenedSession {
  token: string;
  expiresAt: Date;
  mustChangePassword: boolean;
  /** False when the second factor is still owed (/noc/verificar). */
  complete: boolean;
}

/** What the sign-in was, as the audit log's `user.login` states it. */
export type SignInProof =
  'password' | 'password+totp' | 'password+recovery_code' | 'password+passkey' | 'passkey' | 'oidc';

/**
 * Opens a session for a user whose identity is established. A password sign-in that owes the
 * user's second factor opens an incomplete session (10 minutes, /noc/verificar only), audited
 * when completed; any other is complete and audited as `user.login` with how it was proven.
 * Call inside runCommand.
 */
function insertSession(
  db: Db,
  user: Pick<UserRow, 'id' | 'email'>,
  opts: { method: SignInMethod; complete: boolean; proof: SignInProof; client: SignInClient },
  now: Date,
): { token: string; expiresAt: Date } {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + (opts.complete ? SESSION_LIFETIME_MS : SECOND_FACTOR_WINDOW_MS));
  db.delete(consoleSessions).where(lt(consoleSessions.expiresAt, now)).run();
  db.insert(consoleSessions)
    .values({
      tokenHash: hashSessionToken(token),
      userId: user.id,
      csrfToken: randomBytes(32).toString('base64url'),
      createdAt: now,
      expiresAt,
      lastSeenAt: now,
      method: opts.method,
      complete: opts.complete,
      address: opts.client.ip ?? opts.client.address,
      userAgent: (opts.client.userAgent ?? '').slice(0, 400),
    })
    .run();
  if (opts.complete)
    recordAudit(db, { kind: 'user', name: user.email }, 'user.login', { type: 'user', id: user.email }, now, {
      method: opts.proof,
      ...clientDetails(opts.client),
    });
  return { token, expiresAt };
}

export function openSession(
  db: Db,
  user: Pick<UserRow, 'id' | 'email' | 'mustChangePassword'>,
  opts: { method: SignInMethod; complete: boolean; proof: SignInProof; client: SignInClient },
  now: Date,
): OpenedSession {
  const opened = runCommand(db, () => insertSession(db, user, opts, now));
  return { ...opened, mustChangePassword: user.mustChangePassword, complete: opts.complete };
}

const passwordLoginOff = () =>
  new CommandError(
    403,
    'password_login_disabled',
    'El inicio de sesión con contraseña está desactivado: entre con la cuenta de SOMNET (SSO).',
  );

/**
 * Checks a password and opens a session: complete when the user has no second factor, else
 * waiting for it. Rate limited per client address and locked per account after repeated
 * failures (`checkConsolePassword`). `passwordLogin: false` (CONSOLE_PASSWORD_LOGIN=0) refuses.
 */
export async function signIn(
  db: Db,
  input: { email: string; password: string } & SignInClient,
  now: Date,
  policy: { passwordLogin?: boolean } = {},
): Promise<OpenedSession> {
  if (policy.passwordLogin === false) throw passwordLoginOff();
  const checked = await checkConsolePassword(db, input, now);
  if (!checked.ok) throw invalid();
  const { user } = checked;
  const owesSecond = hasSecondFactor(db, user);
  return openSession(db, user, { method: 'password', complete: !owesSecond, proof: 'password', client: input }, now);
}

/**
 * The second factor of an incomplete session was given: the session gets a new token (its
 * privileges changed, so the cookie the password step set is worth nothing now), its 12 hours,
 * and the sign-in is audited. Call inside runCommand; returns the new cookie value.
 */
export function completeSession(
  db: Db,
  sessionId: number,
  user: Pick<UserRow, 'id' | 'email'>,
  proof: SignInProof,
  client: SignInClient,
  now: Date,
): { token: string; expiresAt: Date } {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + SESSION_LIFETIME_MS);
  const changed = db
    .update(consoleSessions)
    .set({ tokenHash: hashSessionToken(token), complete: true, expiresAt, lastSeenAt: now, challenge: null })
    .where(and(eq(consoleSessions.id, sessionId), eq(consoleSessions.complete, false)))
    .run().changes;
  if (changed === 0)
    throw new CommandError(409, 'session_gone', 'La sesión terminó o ya estaba verificada; inicie sesión de nuevo.');
  recordAudit(db, { kind: 'user', name: user.email }, 'user.login', { type: 'user', id: user.email }, now, {
    method: proof,
    ...clientDetails(client),
  });
  return { token, expiresAt };
}

/**
 * Notes that a session was used: the idle timeout counts from here. Written at most once a
 * minute and never waited for (bookkeeping, like a token's last use): a database busy with
 * another process must not turn a console page into a 503.
 */
export function touchSession(db: Db, session: { sessionId: number; lastSeenAt: Date }, now: Date): void {
  if (now.getTime() - session.lastSeenAt.getTime() < 60_000) return;
  try {
    withoutWaiting(db, () =>
      db.update(consoleSessions).set({ lastSeenAt: now }).where(eq(consoleSessions.id, session.sessionId)).run(),
    );
  } catch (err) {
    // Busy or full: written on a later request.
    if (!sqliteFailure(err)) throw err;
  }
}

export function signOut(db: Db, sessionId: number, { now, actor }: CommandContext): void {
  runCommand(db, () => {
    db.delete(consoleSessions).where(eq(consoleSessions.id, sessionId)).run();
    recordAudit(db, actor, 'user.logout', { type: 'user', id: actor.name }, now);
  });
}

/** "Cerrar esta sesión" on the list of one's sessions: only a session of the same user. */
export function endOwnSession(db: Db, userId: number, sessionId: number, { now, actor }: CommandContext): void {
  runCommand(db, () => {
    const ended = db
      .delete(consoleSessions)
      .where(and(eq(consoleSessions.id, sessionId), eq(consoleSessions.userId, userId)))
      .returning({ address: consoleSessions.address, userAgent: consoleSessions.userAgent })
      .get();
    if (!ended) throw new CommandError(404, 'not_found', 'Esa sesión ya no está abierta.');
    recordAudit(db, actor, 'session.end', { type: 'session', id: String(sessionId) }, now, {
      address: ended.address,
      browser: ended.userAgent,
    });
  });
}

/** "Cerrar sesión en todos los dispositivos": every session of the user ends. */
export function signOutEverywhere(db: Db, userId: number, { now, actor }: CommandContext): number {
  return runCommand(db, () => {
    const ended = db.delete(consoleSessions).where(eq(consoleSessions.userId, userId)).run().changes;
    recordAudit(db, actor, 'user.logout_everywhere', { type: 'user', id: actor.name }, now, { sessions: ended });
    return ended;
  });
}
