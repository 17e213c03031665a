import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../client.ts';
import { consoleRoles } from '../enums.ts';
import { consoleSessions, consoleUsers } from '../schema/index.ts';
import { recordAudit } from './audit.ts';
import { CommandError, notFound } from './errors.ts';
import { LIMITS, parseInput, text } from './input.ts';
import { runCommand, type CommandContext } from './transaction.ts';

export type ConsoleUserRow = typeof consoleUsers.$inferSelect;

const EMAIL = /^[^\s@<>"]{1,64}@[^\s@<>"]+\.[^\s@<>"]{2,}$/;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

const roleInput = z.enum(consoleRoles, { error: 'El rol debe ser admin o noc.' });

/** A new console user (the admin page, `npm run noc -- user create`). */
export const consoleUserInput = z.strictObject({
  email: text({
    min: 1,
    max: LIMITS.email,
    label: 'El correo',
    required: 'Indique un correo válido, p. ej. guardia@somnet.com.mx.',
  })
    .transform(normalizeEmail)
    .refine((v) => EMAIL.test(v), 'Indique un correo válido, p. ej. guardia@somnet.com.mx.'),
  role: roleInput,
  /** scrypt hash of the one-time password, made by the caller (slow; not inside the transaction). */
  passwordHash: z.string().min(1),
});
export type ConsoleUserInput = z.input<typeof consoleUserInput>;

/** An admin may not demote or disable their own account: another admin must do it. */
function assertNotSelf(user: ConsoleUserRow, actor: CommandContext['actor']): void {
  if (actor.kind === 'user' && normalizeEmail(actor.name) === user.email) {
    throw new CommandError(409, 'own_account', 'No puede cambiar el rol ni desactivar su propia cuenta.');
  }
}

function findUser(db: Db, userId: number): ConsoleUserRow {
  const user = db.select().from(consoleUsers).where(eq(consoleUsers.id, userId)).get();
  if (!user) throw notFound('el usuario', String(userId));
  return user;
}

/**
 * Creates a console user with a one-time password (hashed by the caller: hashing is slow and
 * must not run inside the transaction). The user must choose a new password at first sign-in.
 */
export function createConsoleUser(
  db: Db,
  raw: { email: string; role: string; passwordHash: string },
  { now, actor }: CommandContext,
): ConsoleUserRow {
  const input = parseInput(consoleUserInput, raw);
  const email = input.email;
  return runCommand(db, () => {
    const existing = db.select({ id: consoleUsers.id }).from(consoleUsers).where(eq(consoleUsers.email, email)).get();
    if (existing)
      throw new CommandError(409, 'user_exists', `Ya existe un usuario con el correo «${email}».`, [
        { path: 'email', message: 'Ya existe un usuario con este correo.' },
      ]);
    const user = db
      .insert(consoleUsers)
      .values({
        email,
        role: input.role,
        passwordHash: input.passwordHash,
        mustChangePassword: true,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    recordAudit(db, actor, 'user.create', { type: 'user', id: email }, now, { role: user.role });
    return user;
  });
}

/** Sets a new one-time password (admin reset): unlocks the account and signs it out everywhere. */
export function resetConsoleUserPassword(
  db: Db,
  userId: number,
  passwordHash: string,
  { now, actor }: CommandContext,
): ConsoleUserRow {
  return runCommand(db, () => {
    const user = findUser(db, userId);
    db.delete(consoleSessions).where(eq(consoleSessions.userId, user.id)).run();
    recordAudit(db, actor, 'user.reset_password', { type: 'user', id: user.email }, now);
    return db
      .update(consoleUsers)
      .set({ passwordHash, mustChangePassword: true, failedLogins: 0, lockedUntil: null, updatedAt: now })
      .where(eq(consoleUsers.id, user.id))
      .returning()
      .get();
  });
}

/** The user's own new password: ends every other session (the current one stays). */
export function changeOwnPassword(
  db: Db,
  userId: number,
  passwordHash: string,
  keepSessionId: number,
  { now, actor }: CommandContext,
): void {
  runCommand(db, () => {
    const user = findUser(db, userId);
    const sessions = db
      .select({ id: consoleSessions.id })
      .from(consoleSessions)
      .where(eq(consoleSessions.userId, user.id))
      .all();
    for (const s of sessions)
      if (s.id !== keepSessionId) db.delete(consoleSessions).where(eq(consoleSessions.id, s.id)).run();
    db.update(consoleUsers)
      .set({ passwordHash, mustChangePassword: false, updatedAt: now })
      .where(eq(consoleUsers.id, user.id))
      .run();
    recordAudit(db, actor, 'user.change_password', { type: 'user', id: user.email }, now);
  });
}

export function setConsoleUserRole(
  db: Db,
  userId: number,
  newRole: string,
  { now, actor }: CommandContext,
): ConsoleUserRow {
  const { role } = parseInput(z.object({ role: roleInput }), { role: newRole });
  return runCommand(db, () => {
    const user = findUser(db, userId);
    assertNotSelf(user, actor);
    if (user.role === 'admin' && role !== 'admin') assertAnotherAdmin(db, user.id);
    recordAudit(db, actor, 'user.set_role', { type: 'user', id: user.email }, now, { from: user.role, to: role });
    return db.update(consoleUsers).set({ role, updatedAt: now }).where(eq(consoleUsers.id, user.id)).returning().get();
  });
}

/** Disabling signs the user out everywhere; the last active admin cannot be disabled or demoted. */
export function setConsoleUserDisabled(
  db: Db,
  userId: number,
  disabled: boolean,
  { now, actor }: CommandContext,
): ConsoleUserRow {
  return runCommand(db, () => {
    const user = findUser(db, userId);
    assertNotSelf(user, actor);
    if (disabled && user.role === 'admin') assertAnotherAdmin(db, user.id);
    if (disabled) db.delete(consoleSessions).where(eq(consoleSessions.userId, user.id)).run();
    recordAudit(db, actor, disabled ? 'user.disable' : 'user.enable', { type: 'user', id: user.email }, now);
    return db
      .update(consoleUsers)
      .set({ disabledAt: disabled ? now : null, failedLogins: 0, lockedUntil: null, updatedAt: now })
      .where(eq(consoleUsers.id, user.id))
      .returning()
      .get();
  });
}

function assertAnotherAdmin(db: Db, exceptId: number): void {
  const admins = db
    .select()
    .from(consoleUsers)
    .where(eq(consoleUsers.role, 'admin'))
    .all()
    .filter((u) => u.id !== exceptId && !u.disabledAt);
  if (admins.length === 0)
    throw new CommandError(409, 'last_admin', 'Debe quedar al menos un administrador activo.', [
      { path: 'role', message: 'Es el último administrador activo.' },
    ]);
}
