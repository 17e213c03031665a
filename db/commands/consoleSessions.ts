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

/** A password attempt counted before its (slow) check; a right password takes it back (`settleSuccess`). */
interface PasswordAttempt {
  failureRowId: number;
  userId: number | null;
}

/**
 * Counts a password attempt as a failure *before* the ~100 ms scrypt check, in one IMMEDIATE
 * transaction, and refuses it when the limit is already reached, counting attempts still being
 * checked. Reading the counters before the check and writing them after (the old way) let every
 * request of a concurrent batch see "no failures yet": 40 simultaneous wrong passwords never
 * locked the account.
 *
 * The attempt that reaches MAX_FAILED_LOGINS locks the account right here, not after its check:
 * what is written before the check must be complete on its own, because the write after it can
 * fail (another process holding the database, a crash). Locking only after the check left an
 * account whose fifth check was cut short at "5 failures, no lock", refused for good with
 * "espere 15 minutos". Now the worst such a cut leaves is one counted failure, or a lock that
 * expires. A right password, even that fifth one, lifts the lock when it is settled.
 */
function reserveAttempt(
  db: Db,
  input: { address: string; email: string; userId: number | null },
  now: Date,
): PasswordAttempt {
  const since = new Date(now.getTime() - ADDRESS_WINDOW_MS);
  return writeTransaction(db, () => {
    db.delete(consoleLoginFailures).where(lt(consoleLoginFailures.at, since)).run();
    const recent =
      db
        .select({ n: sql<number>`count(*)` })
        .from(consoleLoginFailures)
        .where(and(eq(consoleLoginFailures.address, input.address), gte(consoleLoginFailures.at, since)))
        .get()?.n ?? 0;
    if (recent >= MAX_FAILURES_PER_ADDRESS) throw addressBlocked();
    if (input.userId !== null) {
      // A live lock refuses without checking the password. (Locking resets the count, so an
      // expired lock starts afresh.) SET reads the row as it was before this UPDATE.
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
        .returning({ id: consoleUsers.id })
        .get();
      if (!counted) throw accountLocked();
    }
    const row = db
      .insert(consoleLoginFailures)
      .values({ address: input.address, email: input.email, at: now })
      .returning({ id: consoleLoginFailures.id })
      .get();
    return { failureRowId: row.id, userId: input.userId };
  });
}

/** After a right password: the reservation is taken back and the account's count and lock cleared. */
function settleSuccess(db: Db, attempt: PasswordAttempt): void {
  writeTransaction(db, () => {
    db.delete(consoleLoginFailures).where(eq(consoleLoginFailures.id, attempt.failureRowId)).run();
    if (attempt.userId !== null)
      db.update(consoleUsers)
        .set({ failedLogins: 0, lockedUntil: null })
        .where(eq(consoleUsers.id, attempt.userId))
        .run();
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
  // A wrong password stays counted as it was reserved; nothing more to write.
  const ok = await verifyPassword(
    input.password,
    user?.passwordHash ?? (dummyHash ??= hashPasswordSync('contraseña de relleno')),
  );
  if (!ok || !user || user.disabledAt) return { ok: false };
  settleSuccess(db, attempt);
  return { ok: true, user };
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
    db.insert(consoleSessions)
      .values({
        tokenHash: hashSessionToken(token),
        userId: user.id,
        csrfToken: randomBytes(32).toString('base64url'),
        createdAt: now,
        expiresAt,
      })
      .run();
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
