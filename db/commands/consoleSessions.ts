import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gte, lt, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { hashPasswordSync, verifyPassword } from '../domain/password.ts';
import { consoleLoginFailures, consoleSessions, consoleUsers } from '../schema/index.ts';
import { recordAudit } from './audit.ts';
import { normalizeEmail } from './consoleUsers.ts';
import { CommandError } from './errors.ts';
import { runCommand, writeTransaction, type CommandContext } from './transaction.ts';

/** A NOC shift: a session ends 12 h after sign-in, whatever the activity. */
export const SESSION_LIFETIME_MS = 12 * 60 * 60_000;
/** After this many wrong passwords in a row the account is locked for LOCK_MS. */
export const MAX_FAILED_LOGINS = 5;
export const LOCK_MS = 15 * 60_000;
/** At most this many failed sign-ins per client address within ADDRESS_WINDOW_MS. */
export const MAX_FAILURES_PER_ADDRESS = 20;
export const ADDRESS_WINDOW_MS = 15 * 60_000;

export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

// Compared against when the email is unknown, so a wrong email costs as much time as a wrong password.
let dummyHash: string | undefined;

const invalid = () => new CommandError(401, 'invalid_credentials', 'Correo o contraseña incorrectos.', [{ path: 'password', message: 'Correo o contraseña incorrectos.' }]);
const addressBlocked = () => new CommandError(429, 'too_many_attempts', 'Demasiados intentos fallidos desde esta conexión. Espere 15 minutos e intente de nuevo.', undefined, { retryAfterSeconds: ADDRESS_WINDOW_MS / 1000 });
const accountLocked = () => new CommandError(429, 'account_locked', 'La cuenta está bloqueada temporalmente por intentos fallidos. Espere 15 minutos o pida a un administrador que restablezca su contraseña.', undefined, { retryAfterSeconds: LOCK_MS / 1000 });

/** A password attempt counted before its (slow) check: settled as a success or a failure after it. */
interface PasswordAttempt {
  failureRowId: number;
  userId: number | null;
  /** This attempt's place among the account's consecutive failures (1 = first), counting itself. */
  failureNumber: number;
}

/**
 * Counts a password attempt as a failure *before* the ~100 ms scrypt check, in one IMMEDIATE
 * transaction, and refuses it when the limit is already reached, counting attempts still being
 * checked. Reading the counters before the check and writing them after (the old way) let every
 * request of a concurrent batch see "no failures yet": 40 simultaneous wrong passwords never
 * locked the account. A right password takes its reservation back (`settleAttempt`); a crash in
 * between leaves it counted, which errs on the safe side.
 */
function reserveAttempt(db: Db, input: { address: string; email: string; userId: number | null }, now: Date): PasswordAttempt {
  const since = new Date(now.getTime() - ADDRESS_WINDOW_MS);
  return writeTransaction(db, () => {
    db.delete(consoleLoginFailures).where(lt(consoleLoginFailures.at, since)).run();
    const recent = db.select({ n: sql<number>`count(*)` }).from(consoleLoginFailures)
      .where(and(eq(consoleLoginFailures.address, input.address), gte(consoleLoginFailures.at, since))).get()?.n ?? 0;
    if (recent >= MAX_FAILURES_PER_ADDRESS) throw addressBlocked();
    let failureNumber = 0;
    if (input.userId !== null) {
      // A live lock, or MAX_FAILED_LOGINS attempts already failed or still being checked,
      // refuses without checking the password. (Locking resets the count, so an expired lock
      // starts afresh.)
      const at = now.getTime();
      const counted = db.update(consoleUsers)
        .set({ failedLogins: sql`${consoleUsers.failedLogins} + 1`, lockedUntil: null })
        .where(and(
          eq(consoleUsers.id, input.userId),
          sql`(${consoleUsers.lockedUntil} IS NULL OR ${consoleUsers.lockedUntil} <= ${at})`,
          lt(consoleUsers.failedLogins, MAX_FAILED_LOGINS),
        ))
        .returning({ failedLogins: consoleUsers.failedLogins }).get();
      if (!counted) throw accountLocked();
      failureNumber = counted.failedLogins;
    }
    const row = db.insert(consoleLoginFailures).values({ address: input.address, email: input.email, at: now }).returning({ id: consoleLoginFailures.id }).get();
    return { failureRowId: row.id, userId: input.userId, failureNumber };
  });
}

/**
 * After the check: a success removes the reservation and clears the account's count; a failure
 * stays counted, and the one that reaches MAX_FAILED_LOGINS locks the account for LOCK_MS.
 */
function settleAttempt(db: Db, attempt: PasswordAttempt, ok: boolean, now: Date): void {
  writeTransaction(db, () => {
    if (ok) {
      db.delete(consoleLoginFailures).where(eq(consoleLoginFailures.id, attempt.failureRowId)).run();
      if (attempt.userId !== null) db.update(consoleUsers).set({ failedLogins: 0, lockedUntil: null }).where(eq(consoleUsers.id, attempt.userId)).run();
    } else if (attempt.userId !== null && attempt.failureNumber >= MAX_FAILED_LOGINS) {
      db.update(consoleUsers).set({ failedLogins: 0, lockedUntil: new Date(now.getTime() + LOCK_MS) }).where(eq(consoleUsers.id, attempt.userId)).run();
    }
  });
}

/**
 * Checks a console user's password under the sign-in limits (per account and per client
 * address), whatever the concurrency: sign-in and the "current password" of /noc/contrasena
 * count against the same limits. Throws CommandError 429 when refused without checking.
 * Failure bookkeeping is written outside runCommand on purpose: it changes nothing public, and
 * a password-guessing client must not be able to flush the public page cache on every attempt.
 */
export async function checkConsolePassword(
  db: Db,
  input: { email: string; password: string; address: string },
  now: Date,
): Promise<{ ok: true; user: typeof consoleUsers.$inferSelect } | { ok: false }> {
  const email = normalizeEmail(input.email);
  const user = db.select().from(consoleUsers).where(eq(consoleUsers.email, email)).get();
  const attempt = reserveAttempt(db, { address: input.address, email, userId: user?.id ?? null }, now);
  let ok = false;
  try {
    ok = await verifyPassword(input.password, user?.passwordHash ?? (dummyHash ??= hashPasswordSync('contraseña de relleno')));
    ok = ok && !!user && !user.disabledAt;
  } finally {
    settleAttempt(db, attempt, ok, now);
  }
  return ok && user ? { ok: true, user } : { ok: false };
}

/**
 * Checks a password and opens a session. Rate limited per client address and locked per account
 * after repeated failures (`checkConsolePassword`).
 */
export async function signIn(
  db: Db,
  input: { email: string; password: string; address: string },
  now: Date,
): Promise<{ token: string; expiresAt: Date; mustChangePassword: boolean }> {
  const checked = await checkConsolePassword(db, input, now);
  if (!checked.ok) throw invalid();
  const { user } = checked;
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + SESSION_LIFETIME_MS);
  runCommand(db, () => {
    db.delete(consoleSessions).where(lt(consoleSessions.expiresAt, now)).run();
    db.insert(consoleSessions).values({ tokenHash: hashSessionToken(token), userId: user.id, csrfToken: randomBytes(32).toString('base64url'), createdAt: now, expiresAt }).run();
    recordAudit(db, { kind: 'user', name: user.email }, 'user.login', { type: 'user', id: user.email }, now);
  });
  return { token, expiresAt, mustChangePassword: user.mustChangePassword };
}

export function signOut(db: Db, sessionId: number, { now, actor }: CommandContext): void {
  runCommand(db, () => {
    db.delete(consoleSessions).where(eq(consoleSessions.id, sessionId)).run();
    recordAudit(db, actor, 'user.logout', { type: 'user', id: actor.name }, now);
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
