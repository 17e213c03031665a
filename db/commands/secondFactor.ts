// TOTP enrolment and checks, recovery codes, and an admin's reset of a user's second factor.
import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import {
  hashRecoveryCode,
  matchTotp,
  newRecoveryCodes,
  newTotpSecret,
  normalizeRecoveryCode,
  totpUri,
} from '../domain/secondFactor.ts';
import { consolePasskeys, consoleRecoveryCodes, consoleSessions, consoleUsers } from '../schema/index.ts';
import { recordAudit } from './audit.ts';
import { completeSession, reserveAttempt, settleFailure, settleSuccess, type SignInClient } from './consoleSessions.ts';
import { normalizeEmail } from './consoleUsers.ts';
import { CommandError, notFound } from './errors.ts';
import { runCommand, writeTransaction, type CommandContext } from './transaction.ts';

/**
 * The secret to show for TOTP enrolment: the one this session was already shown (a reload shows
 * the same QR code), else a new one kept on the session until a code confirms it.
 */
export function totpEnrolment(
  db: Db,
  session: { sessionId: number; pendingTotpSecret: string | null; user: { email: string } },
): { secret: string; uri: string } {
  let secret = session.pendingTotpSecret;
  if (!secret) {
    secret = newTotpSecret();
    const chosen = secret;
    writeTransaction(db, () =>
      db
        .update(consoleSessions)
        .set({ pendingTotpSecret: chosen })
        .where(eq(consoleSessions.id, session.sessionId))
        .run(),
    );
  }
  return { secret, uri: totpUri(secret, session.user.email) };
}

const wrongEnrolmentCode = () =>
  new CommandError(
    422,
    'wrong_code',
    'El código no coincide. Revise la hora del teléfono y escriba el código actual.',
    [{ path: 'code', message: 'El código no coincide con el de la aplicación; escriba el que muestra ahora.' }],
  );

/**
 * Confirms TOTP enrolment with a code of the secret this session was shown: the secret becomes
 * the user's (replacing an earlier one), the code's step is spent, and ten new recovery codes
 * replace any earlier ones. Returns the codes: the only time they exist in clear.
 */
export function confirmTotpEnrolment(
  db: Db,
  session: { sessionId: number; pendingTotpSecret: string | null; user: { id: number; email: string } },
  code: string,
  { now, actor }: CommandContext,
): { recoveryCodes: string[] } {
  const secret = session.pendingTotpSecret;
  if (!secret) throw new CommandError(409, 'no_enrolment', 'Vuelva a cargar la página para ver el código QR.');
  const step = matchTotp(secret, code, now);
  if (step === null) throw wrongEnrolmentCode();
  const codes = newRecoveryCodes();
  runCommand(db, () => {
    const before = db
      .select({ totpSecret: consoleUsers.totpSecret })
      .from(consoleUsers)
      .where(eq(consoleUsers.id, session.user.id))
      .get();
    db.update(consoleUsers)
      .set({ totpSecret: secret, totpLastStep: step, totpEnabledAt: now, updatedAt: now })
      .where(eq(consoleUsers.id, session.user.id))
      .run();
    db.update(consoleSessions).set({ pendingTotpSecret: null }).where(eq(consoleSessions.id, session.sessionId)).run();
    replaceRecoveryCodes(db, session.user.id, codes, now);
    recordAudit(db, actor, 'user.totp_enrol', { type: 'user', id: session.user.email }, now, {
      replaced: !!before?.totpSecret,
      recovery_codes: codes.length,
    });
  });
  return { recoveryCodes: codes };
}

function replaceRecoveryCodes(db: Db, userId: number, codes: string[], now: Date): void {
  db.delete(consoleRecoveryCodes).where(eq(consoleRecoveryCodes.userId, userId)).run();
  for (const code of codes)
    db.insert(consoleRecoveryCodes)
      .values({ userId, codeHash: hashRecoveryCode(userId, normalizeRecoveryCode(code)!), createdAt: now })
      .run();
}

/** New recovery codes (the old ones stop working), for a user who used or lost theirs. */
export function regenerateRecoveryCodes(
  db: Db,
  user: { id: number; email: string },
  { now, actor }: CommandContext,
): string[] {
  const codes = newRecoveryCodes();
  runCommand(db, () => {
    const row = db
      .select({ totpSecret: consoleUsers.totpSecret })
      .from(consoleUsers)
      .where(eq(consoleUsers.id, user.id))
      .get();
    if (!row?.totpSecret)
      throw new CommandError(
        409,
        'no_totp',
        'Los códigos de recuperación acompañan a la aplicación de códigos (TOTP).',
      );
    replaceRecoveryCodes(db, user.id, codes, now);
    recordAudit(db, actor, 'user.recovery_codes_regenerate', { type: 'user', id: user.email }, now, {
      recovery_codes: codes.length,
    });
  });
  return codes;
}

const wrongCode = () =>
  new CommandError(401, 'invalid_code', 'El código no es válido.', [
    { path: 'code', message: 'El código no es válido o ya se usó. Escriba el código que muestra ahora la aplicación.' },
  ]);

/**
 * The second factor of a password sign-in, typed: a TOTP code (6 digits) or a recovery code.
 * Counted like a password (reserveAttempt: per account and per address, before the check), so
 * guessing codes locks the account as guessing passwords does. A TOTP code is accepted once:
 * the user's last accepted step only grows, in the same statement that checks it. A recovery
 * code is spent when used (audited with how many remain). Returns the session's new cookie.
 */
export function verifySecondFactorCode(
  db: Db,
  session: { sessionId: number; complete: boolean; user: { id: number; email: string } },
  code: string,
  client: SignInClient,
  now: Date,
): { token: string; expiresAt: Date; recoveryCodesLeft?: number } {
  if (session.complete) throw new CommandError(409, 'already_verified', 'Esta sesión ya está verificada.');
  const user = db.select().from(consoleUsers).where(eq(consoleUsers.id, session.user.id)).get();
  if (!user) throw notFound('el usuario', session.user.email);
  const recovery = /[a-z]/i.test(code) ? normalizeRecoveryCode(code) : null;
  const factor = recovery ? 'recovery_code' : 'totp';
  const attempt = reserveAttempt(db, { email: user.email, userId: user.id, client, factor }, now);
  if (recovery) {
    const hash = hashRecoveryCode(user.id, recovery);
    const result = runCommand(db, () => {
      const spent = db
        .update(consoleRecoveryCodes)
        .set({ usedAt: now })
        .where(
          and(
            eq(consoleRecoveryCodes.userId, user.id),
            eq(consoleRecoveryCodes.codeHash, hash),
            isNull(consoleRecoveryCodes.usedAt),
          ),
        )
        .returning({ id: consoleRecoveryCodes.id })
        .get();
      if (!spent) return null;
      const left =
        db
          .select({ n: sql<number>`count(*)` })
          .from(consoleRecoveryCodes)
          .where(and(eq(consoleRecoveryCodes.userId, user.id), isNull(consoleRecoveryCodes.usedAt)))
          .get()?.n ?? 0;
      recordAudit(
        db,
        { kind: 'user', name: user.email },
        'user.recovery_code_used',
        { type: 'user', id: user.email },
        now,
        {
          left,
          address: client.ip ?? client.address,
        },
      );
      return { ...completeSession(db, session.sessionId, user, 'password+recovery_code', client, now), left };
    });
    if (!result) {
      settleFailure(db, attempt, 'wrong_recovery_code', now);
      throw wrongCode();
    }
    settleSuccess(db, attempt);
    return { token: result.token, expiresAt: result.expiresAt, recoveryCodesLeft: result.left };
  }
  const step = user.totpSecret ? matchTotp(user.totpSecret, code, now) : null;
  if (step === null) {
    settleFailure(db, attempt, 'wrong_code', now);
    throw wrongCode();
  }
  const result = runCommand(db, () => {
    // RFC 6238 §5.2: "the verifier MUST NOT accept the second attempt of the same OTP after the
    // successful validation has been issued for the first OTP".
    const spent = db
      .update(consoleUsers)
      .set({ totpLastStep: step })
      .where(
        and(eq(consoleUsers.id, user.id), or(isNull(consoleUsers.totpLastStep), lt(consoleUsers.totpLastStep, step))),
      )
      .run().changes;
    if (spent === 0) return null;
    return completeSession(db, session.sessionId, user, 'password+totp', client, now);
  });
  if (!result) {
    settleFailure(db, attempt, 'replayed_code', now);
    throw wrongCode();
  }
  settleSuccess(db, attempt);
  return result;
}

/**
 * An admin (or `npm run noc -- user reset-2fa`) removes a user's second factor — TOTP, recovery
 * codes and passkeys — for a user who lost their phone or key. Every session of the user ends;
 * with CONSOLE_2FA=required the user enrols again at the next sign-in. Returns the email.
 */
export function resetSecondFactor(
  db: Db,
  target: { userId: number } | { email: string },
  { now, actor }: CommandContext,
): string {
  return runCommand(db, () => {
    const user =
      'userId' in target
        ? db.select().from(consoleUsers).where(eq(consoleUsers.id, target.userId)).get()
        : db
            .select()
            .from(consoleUsers)
            .where(eq(consoleUsers.email, normalizeEmail(target.email)))
            .get();
    if (!user) throw notFound('el usuario', 'userId' in target ? String(target.userId) : target.email);
    const passkeys = db.delete(consolePasskeys).where(eq(consolePasskeys.userId, user.id)).run().changes;
    const codes = db.delete(consoleRecoveryCodes).where(eq(consoleRecoveryCodes.userId, user.id)).run().changes;
    const sessions = db.delete(consoleSessions).where(eq(consoleSessions.userId, user.id)).run().changes;
    db.update(consoleUsers)
      .set({ totpSecret: null, totpLastStep: null, totpEnabledAt: null, updatedAt: now })
      .where(eq(consoleUsers.id, user.id))
      .run();
    recordAudit(db, actor, 'user.reset_second_factor', { type: 'user', id: user.email }, now, {
      totp: user.totpSecret !== null,
      passkeys,
      recovery_codes: codes,
      sessions,
    });
    return user.email;
  });
}
