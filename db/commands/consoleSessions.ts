import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gte, lt, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { hashPasswordSync, verifyPassword } from '../domain/password.ts';
import { consoleLoginFailures, consoleSessions, consoleUsers } from '../schema/index.ts';
import { recordAudit } from './audit.ts';
import { normalizeEmail } from './consoleUsers.ts';
import { CommandError } from './errors.ts';
import { runCommand, type CommandContext } from './transaction.ts';

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

/**
 * Checks a password and opens a session. Rate limited per client address and locked per account
 * after repeated failures. The password check (scrypt, ~100 ms) runs before the write transaction.
 * Failure bookkeeping is written outside runCommand on purpose: it changes nothing public, and
 * a password-guessing client must not be able to flush the public page cache on every attempt.
 */
export async function signIn(
  db: Db,
  input: { email: string; password: string; address: string },
  now: Date,
): Promise<{ token: string; expiresAt: Date; mustChangePassword: boolean }> {
  const email = normalizeEmail(input.email);
  const since = new Date(now.getTime() - ADDRESS_WINDOW_MS);
  const recent = db.select({ n: sql<number>`count(*)` }).from(consoleLoginFailures)
    .where(and(eq(consoleLoginFailures.address, input.address), gte(consoleLoginFailures.at, since))).get()?.n ?? 0;
  if (recent >= MAX_FAILURES_PER_ADDRESS) {
    throw new CommandError(429, 'too_many_attempts', 'Demasiados intentos fallidos desde esta conexión. Espere 15 minutos e intente de nuevo.');
  }
  const user = db.select().from(consoleUsers).where(eq(consoleUsers.email, email)).get();
  if (user?.lockedUntil && user.lockedUntil.getTime() > now.getTime()) {
    throw new CommandError(429, 'account_locked', 'La cuenta está bloqueada temporalmente por intentos fallidos. Espere 15 minutos o pida a un administrador que restablezca su contraseña.');
  }
  const ok = await verifyPassword(input.password, user?.passwordHash ?? (dummyHash ??= hashPasswordSync('contraseña de relleno')));
  if (!ok || !user || user.disabledAt) {
    db.$client.transaction(() => {
      db.delete(consoleLoginFailures).where(lt(consoleLoginFailures.at, since)).run();
      db.insert(consoleLoginFailures).values({ address: input.address, email, at: now }).run();
      if (user) {
        const failed = user.failedLogins + 1;
        const lock = failed >= MAX_FAILED_LOGINS;
        db.update(consoleUsers).set({ failedLogins: lock ? 0 : failed, lockedUntil: lock ? new Date(now.getTime() + LOCK_MS) : user.lockedUntil })
          .where(eq(consoleUsers.id, user.id)).run();
      }
    }).immediate();
    throw invalid();
  }
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + SESSION_LIFETIME_MS);
  runCommand(db, () => {
    db.delete(consoleSessions).where(lt(consoleSessions.expiresAt, now)).run();
    db.update(consoleUsers).set({ failedLogins: 0, lockedUntil: null }).where(eq(consoleUsers.id, user.id)).run();
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
