// Passkeys (WebAuthn) for the console through @simplewebauthn/server: registering several per
// user, signing in with one alone (it must verify the user: PIN, fingerprint, face), and using
// one as the second factor of a password sign-in.
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, lt } from 'drizzle-orm';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Db } from '../client.ts';
import { consoleLoginFlows, consolePasskeys, consoleSessions, consoleUsers } from '../schema/index.ts';
import { recordAudit } from './audit.ts';
import {
  completeSession,
  openSession,
  reserveAttempt,
  settleFailure,
  settleSuccess,
  type OpenedSession,
  type SignInClient,
} from './consoleSessions.ts';
import { CommandError } from './errors.ts';
import { LIMITS, parseInput, text } from './input.ts';
import { runCommand, writeTransaction, type CommandContext } from './transaction.ts';
import { z } from 'zod';

/** The relying party: the console's origin (PUBLIC_URL) and its host name as the RP ID. */
export interface RelyingParty {
  id: string;
  origin: string;
  name: string;
}

export function relyingPartyOf(publicUrl: string): RelyingParty {
  const url = new URL(publicUrl);
  return { id: url.hostname, origin: url.origin, name: 'SOMNET · Consola NOC' };
}

/** A ceremony has this long before its challenge is refused (WebAuthn's suggested 5 minutes). */
export const CEREMONY_MS = 5 * 60_000;

export const passkeyNameInput = z.strictObject({
  name: text({
    min: 1,
    max: LIMITS.tokenName,
    label: 'El nombre de la llave',
    required: 'Póngale un nombre a la llave (p. ej. «Teléfono» o «Llave USB»).',
  }),
});

type Session = { sessionId: number; user: { id: number; email: string } };

function userHandle(db: Db, userId: number): string {
  const row = db
    .select({ handle: consoleUsers.webauthnUserId })
    .from(consoleUsers)
    .where(eq(consoleUsers.id, userId))
    .get();
  if (row?.handle) return row.handle;
  const handle = randomBytes(32).toString('base64url');
  writeTransaction(db, () =>
    db.update(consoleUsers).set({ webauthnUserId: handle }).where(eq(consoleUsers.id, userId)).run(),
  );
  return handle;
}

function passkeysOf(db: Db, userId: number) {
  return db.select().from(consolePasskeys).where(eq(consolePasskeys.userId, userId)).all();
}

function transportsOf(row: { transports: string }): string[] {
  try {
    const list: unknown = JSON.parse(row.transports);
    return Array.isArray(list) ? list.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

function setSessionChallenge(db: Db, sessionId: number, challenge: string): void {
  writeTransaction(db, () =>
    db.update(consoleSessions).set({ challenge }).where(eq(consoleSessions.id, sessionId)).run(),
  );
}

/**
 * Options for adding a passkey (navigator.credentials.create). A discoverable credential is
 * preferred (it can then sign in alone), user verification preferred; the user's existing
 * passkeys are excluded so one authenticator is not registered twice.
 */
export async function passkeyRegistrationOptions(
  db: Db,
  session: Session,
  rp: RelyingParty,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const handle = userHandle(db, session.user.id);
  const options = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: session.user.email,
    userID: Buffer.from(handle, 'base64url'),
    attestationType: 'none',
    excludeCredentials: passkeysOf(db, session.user.id).map((p) => ({ id: p.id, transports: transportsOf(p) })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    timeout: CEREMONY_MS,
  });
  setSessionChallenge(db, session.sessionId, options.challenge);
  return options;
}

const refusedPasskey = (message = 'La llave de acceso no se pudo verificar. Intente de nuevo.') =>
  new CommandError(400, 'passkey_refused', message);

/** Verifies the browser's answer to passkeyRegistrationOptions and keeps the credential. */
export async function registerPasskey(
  db: Db,
  session: Session & { challenge: string | null },
  response: RegistrationResponseJSON,
  rawName: string,
  rp: RelyingParty,
  { now, actor }: CommandContext,
): Promise<{ id: string; name: string }> {
  const { name } = parseInput(passkeyNameInput, { name: rawName });
  if (!session.challenge) throw refusedPasskey('Vuelva a pulsar «Agregar llave de acceso».');
  let verified;
  try {
    verified = await verifyRegistrationResponse({
      response,
      expectedChallenge: session.challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: false,
    });
  } catch {
    throw refusedPasskey();
  }
  if (!verified.verified) throw refusedPasskey();
  const { credential, credentialBackedUp } = verified.registrationInfo;
  return runCommand(db, () => {
    // The challenge is spent whatever happens next.
    db.update(consoleSessions).set({ challenge: null }).where(eq(consoleSessions.id, session.sessionId)).run();
    const taken = db
      .select({ id: consolePasskeys.id })
      .from(consolePasskeys)
      .where(eq(consolePasskeys.id, credential.id))
      .get();
    if (taken) throw new CommandError(409, 'passkey_exists', 'Esta llave de acceso ya está registrada.');
    db.insert(consolePasskeys)
      .values({
        id: credential.id,
        userId: session.user.id,
        name,
        publicKey: Buffer.from(credential.publicKey),
        counter: credential.counter,
        transports: JSON.stringify(credential.transports ?? []),
        backedUp: credentialBackedUp,
        createdAt: now,
      })
      .run();
    recordAudit(db, actor, 'user.passkey_add', { type: 'user', id: session.user.email }, now, {
      passkey: name,
      user_verified: verified.registrationInfo.userVerified,
    });
    return { id: credential.id, name };
  });
}

/** Removes one of the user's own passkeys; the last second factor stays while one is required. */
export function removePasskey(
  db: Db,
  user: { id: number; email: string },
  passkeyId: string,
  policy: { secondFactorRequired: boolean },
  { now, actor }: CommandContext,
): void {
  runCommand(db, () => {
    const row = db
      .select()
      .from(consolePasskeys)
      .where(and(eq(consolePasskeys.id, passkeyId), eq(consolePasskeys.userId, user.id)))
      .get();
    if (!row) throw new CommandError(404, 'not_found', 'Esa llave de acceso no está registrada en su cuenta.');
    const totp = db.select({ s: consoleUsers.totpSecret }).from(consoleUsers).where(eq(consoleUsers.id, user.id)).get();
    if (policy.secondFactorRequired && !totp?.s && passkeysOf(db, user.id).length === 1)
      throw new CommandError(
        409,
        'last_second_factor',
        'Es su único segundo factor: agregue otra llave o la aplicación de códigos antes de quitarla.',
      );
    db.delete(consolePasskeys).where(eq(consolePasskeys.id, passkeyId)).run();
    recordAudit(db, actor, 'user.passkey_remove', { type: 'user', id: user.email }, now, { passkey: row.name });
  });
}

function flowHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Options for signing in with a passkey alone (discoverable credential, user verification
 * required). The challenge is kept for CEREMONY_MS under a random flow token the page keeps in
 * a cookie: only that browser can answer it, once.
 */
export async function passkeySignInOptions(
  db: Db,
  rp: RelyingParty,
  now: Date,
): Promise<{ flowToken: string; options: PublicKeyCredentialRequestOptionsJSON }> {
  const options = await generateAuthenticationOptions({
    rpID: rp.id,
    userVerification: 'required',
    timeout: CEREMONY_MS,
  });
  const flowToken = randomBytes(24).toString('base64url');
  writeTransaction(db, () => {
    db.delete(consoleLoginFlows).where(lt(consoleLoginFlows.expiresAt, now)).run();
    db.insert(consoleLoginFlows)
      .values({
        tokenHash: flowHash(flowToken),
        kind: 'passkey',
        data: JSON.stringify({ challenge: options.challenge }),
        expiresAt: new Date(now.getTime() + CEREMONY_MS),
      })
      .run();
  });
  return { flowToken, options };
}

/** Takes a sign-in flow out of the table (single use); null when unknown, expired or of another kind. */
export function takeLoginFlow(
  db: Db,
  flowToken: string,
  kind: 'passkey' | 'oidc',
  now: Date,
): Record<string, string> | null {
  if (!flowToken || flowToken.length > 100) return null;
  const row = writeTransaction(db, () =>
    db
      .delete(consoleLoginFlows)
      .where(eq(consoleLoginFlows.tokenHash, flowHash(flowToken)))
      .returning()
      .get(),
  );
  if (!row || row.kind !== kind || row.expiresAt <= now) return null;
  return JSON.parse(row.data) as Record<string, string>;
}

/** Starts a sign-in flow of another kind (OIDC) with its data; returns the token for the cookie. */
export function startLoginFlow(db: Db, kind: 'oidc', data: Record<string, string>, now: Date, ttlMs: number): string {
  const flowToken = randomBytes(24).toString('base64url');
  writeTransaction(db, () => {
    db.delete(consoleLoginFlows).where(lt(consoleLoginFlows.expiresAt, now)).run();
    db.insert(consoleLoginFlows)
      .values({
        tokenHash: flowHash(flowToken),
        kind,
        data: JSON.stringify(data),
        expiresAt: new Date(now.getTime() + ttlMs),
      })
      .run();
  });
  return flowToken;
}

async function checkAssertion(
  db: Db,
  response: AuthenticationResponseJSON,
  challenge: string,
  row: typeof consolePasskeys.$inferSelect,
  rp: RelyingParty,
  requireUserVerification: boolean,
): Promise<boolean> {
  try {
    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification,
      credential: {
        id: row.id,
        publicKey: new Uint8Array(row.publicKey),
        counter: row.counter,
        transports: transportsOf(row),
      },
    });
    if (!result.verified) return false;
    writeTransaction(db, () =>
      db
        .update(consolePasskeys)
        .set({ counter: result.authenticationInfo.newCounter, backedUp: result.authenticationInfo.credentialBackedUp })
        .where(eq(consolePasskeys.id, row.id))
        .run(),
    );
    return true;
  } catch {
    // A bad signature, a counter that went backwards (a cloned key), another origin…
    return false;
  }
}

const passkeyNotAccepted = () =>
  new CommandError(
    401,
    'passkey_refused',
    'La llave de acceso no fue aceptada. Intente de nuevo o entre con su contraseña.',
  );

/**
 * Signs in with a passkey alone. The user must have been verified by the authenticator (UV):
 * a passkey that only proves presence can serve as a second factor, never alone. A refused
 * assertion counts against the client's address (not the account: credential IDs are not
 * secret, and counting them would let anyone lock an account out) and is audited.
 */
export async function signInWithPasskey(
  db: Db,
  flowToken: string,
  response: AuthenticationResponseJSON,
  rp: RelyingParty,
  client: SignInClient,
  now: Date,
): Promise<OpenedSession> {
  const flow = takeLoginFlow(db, flowToken, 'passkey', now);
  const row =
    typeof response?.id === 'string'
      ? db.select().from(consolePasskeys).where(eq(consolePasskeys.id, response.id)).get()
      : undefined;
  const user = row ? db.select().from(consoleUsers).where(eq(consoleUsers.id, row.userId)).get() : undefined;
  const attempt = reserveAttempt(
    db,
    { email: user?.email ?? '(llave desconocida)', userId: null, client, factor: 'passkey' },
    now,
  );
  const handle = response?.response?.userHandle;
  const ok =
    !!flow &&
    !!row &&
    !!user &&
    !user.disabledAt &&
    (!handle || handle === user.webauthnUserId) &&
    (await checkAssertion(db, response, flow.challenge, row, rp, true));
  if (!ok || !user || !row) {
    settleFailure(
      db,
      attempt,
      !flow ? 'passkey_expired' : !row ? 'unknown_passkey' : user?.disabledAt ? 'disabled' : 'passkey_failed',
      now,
    );
    throw passkeyNotAccepted();
  }
  settleSuccess(db, attempt);
  writeTransaction(db, () =>
    db.update(consolePasskeys).set({ lastUsedAt: now }).where(eq(consolePasskeys.id, row.id)).run(),
  );
  return openSession(db, user, { method: 'passkey', complete: true, proof: 'passkey', client }, now);
}

/** Options for a passkey as the second factor of a password sign-in: the user's own passkeys. */
export async function secondFactorPasskeyOptions(
  db: Db,
  session: Session,
  rp: RelyingParty,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const options = await generateAuthenticationOptions({
    rpID: rp.id,
    allowCredentials: passkeysOf(db, session.user.id).map((p) => ({ id: p.id, transports: transportsOf(p) })),
    userVerification: 'preferred',
    timeout: CEREMONY_MS,
  });
  setSessionChallenge(db, session.sessionId, options.challenge);
  return options;
}

/**
 * A passkey as the second factor: it must be one of the session user's. Counted like a wrong
 * code (per account and per address) when refused. Returns the session's new cookie.
 */
export async function verifySecondFactorPasskey(
  db: Db,
  session: Session & { challenge: string | null; complete: boolean },
  response: AuthenticationResponseJSON,
  rp: RelyingParty,
  client: SignInClient,
  now: Date,
): Promise<{ token: string; expiresAt: Date }> {
  if (session.complete) throw new CommandError(409, 'already_verified', 'Esta sesión ya está verificada.');
  const attempt = reserveAttempt(
    db,
    { email: session.user.email, userId: session.user.id, client, factor: 'passkey' },
    now,
  );
  const row =
    typeof response?.id === 'string'
      ? db
          .select()
          .from(consolePasskeys)
          .where(and(eq(consolePasskeys.id, response.id), eq(consolePasskeys.userId, session.user.id)))
          .get()
      : undefined;
  const ok = !!row && !!session.challenge && (await checkAssertion(db, response, session.challenge, row, rp, false));
  if (!ok || !row) {
    settleFailure(db, attempt, !row ? 'unknown_passkey' : 'passkey_failed', now);
    throw passkeyNotAccepted();
  }
  settleSuccess(db, attempt);
  return runCommand(db, () => {
    db.update(consolePasskeys).set({ lastUsedAt: now }).where(eq(consolePasskeys.id, row.id)).run();
    return completeSession(db, session.sessionId, session.user, 'password+passkey', client, now);
  });
}
