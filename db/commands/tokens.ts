import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { sqliteFailure, withoutWaiting, type Db } from '../client.ts';
import { apiScopes, type ApiScope } from '../enums.ts';
import { apiTokens } from '../schema/index.ts';
import { CommandError, notFound } from './errors.ts';
import { runCommand, writeTransaction } from './transaction.ts';
import { recordAudit, type Actor } from './audit.ts';
import { instant, LIMITS, parseInput, text } from './input.ts';

const TOKEN_NAME_MESSAGE = 'El nombre del token debe tener de 1 a 64 letras, números, puntos, guiones o @.';
const SCOPE_MESSAGE = `Cada alcance debe ser uno de: ${apiScopes.join(', ')}.`;

/** A token: its name (who or what uses it, shown in the audit log), what it may do, until when. */
export const apiTokenInput = z.strictObject({
  name: text({ min: 1, max: LIMITS.tokenName, label: 'El nombre del token', required: 'Nombre inválido.' }).regex(
    /^[\w.@-]+$/,
    'Nombre inválido.',
  ),
  scopes: z
    .array(z.enum(apiScopes, { error: SCOPE_MESSAGE }), { error: 'Elija al menos un alcance.' })
    .min(1, 'Elija al menos un alcance.')
    .transform((list): ApiScope[] => (list.includes('all') ? ['all'] : [...new Set(list)])),
  expiresAt: instant.optional(),
});

/** Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function parseScopes(stored: string): ApiScope[] {
  return stored.split(',').filter((s): s is ApiScope => (apiScopes as readonly string[]).includes(s));
}

/** Whether a token with `scopes` may use a route that needs `needed`. */
export function scopeAllows(scopes: readonly ApiScope[], needed: ApiScope): boolean {
  return scopes.includes('all') || scopes.includes(needed);
}

export function createApiToken(
  db: Db,
  name: string,
  now: Date,
  actor: Actor = { kind: 'cli', name: 'noc' },
  options: { scopes?: readonly string[]; expiresAt?: Date | string } = {},
): { name: string; token: string; scopes: ApiScope[]; expiresAt: Date | null } {
  const raw = { name, scopes: options.scopes ? [...options.scopes] : ['all'], expiresAt: options.expiresAt };
  const nameOnly = apiTokenInput.shape.name.safeParse(name).success;
  const input = parseInput(apiTokenInput, raw, {
    message: nameOnly ? 'Los datos del token no son válidos.' : TOKEN_NAME_MESSAGE,
  });
  if (input.expiresAt && input.expiresAt <= now)
    throw new CommandError(422, 'validation_failed', 'La fecha de vencimiento debe ser futura.', [
      { path: 'expires_at', message: 'La fecha de vencimiento debe ser futura.' },
    ]);
  const token = `snt_${randomBytes(32).toString('base64url')}`;
  return runCommand(db, () => {
    const existing = db.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.name, input.name)).get();
    if (existing)
      throw new CommandError(409, 'token_exists', `Ya existe un token llamado «${input.name}».`, [
        { path: 'name', message: 'Nombre en uso.' },
      ]);
    db.insert(apiTokens)
      .values({
        name: input.name,
        tokenHash: hashToken(token),
        scopes: input.scopes.join(','),
        expiresAt: input.expiresAt ?? null,
        createdAt: now,
      })
      .run();
    recordAudit(db, actor, 'token.create', { type: 'token', id: input.name }, now, {
      scopes: input.scopes,
      expires_at: input.expiresAt?.toISOString() ?? null,
    });
    return { name: input.name, token, scopes: input.scopes, expiresAt: input.expiresAt ?? null };
  });
}

export function listApiTokens(db: Db) {
  return db
    .select({
      name: apiTokens.name,
      scopes: apiTokens.scopes,
      expiresAt: apiTokens.expiresAt,
      createdAt: apiTokens.createdAt,
      lastUsedAt: apiTokens.lastUsedAt,
    })
    .from(apiTokens)
    .orderBy(apiTokens.name)
    .all()
    .map((t) => ({ ...t, scopes: parseScopes(t.scopes) }));
}

export function revokeApiToken(db: Db, name: string, now: Date, actor: Actor = { kind: 'cli', name: 'noc' }): void {
  runCommand(db, () => {
    const result = db.delete(apiTokens).where(eq(apiTokens.name, name)).run();
    if (result.changes === 0) throw notFound('el token', name);
    recordAudit(db, actor, 'token.revoke', { type: 'token', id: name }, now);
  });
}

export type VerifiedToken = { ok: true; name: string; scopes: ApiScope[] } | { ok: false; expired: boolean };

/**
 * The token's name and scopes when it is valid. Looked up by hash; compared in constant time.
 * `recordUse` decides when its last use is written (by default at once): the API writes it after
 * its answer, so a request never waits for that write's commit.
 */
export function verifyApiToken(
  db: Db,
  token: string,
  now: Date,
  recordUse: (write: () => void) => void = (write) => write(),
): VerifiedToken {
  if (!token.startsWith('snt_') || token.length > 200) return { ok: false, expired: false };
  const hash = hashToken(token);
  const row = db.select().from(apiTokens).where(eq(apiTokens.tokenHash, hash)).get();
  if (!row || !timingSafeEqual(Buffer.from(row.tokenHash), Buffer.from(hash))) return { ok: false, expired: false };
  if (row.expiresAt && row.expiresAt <= now) return { ok: false, expired: true };
  // Last use is bookkeeping, not content: written at most once a minute, outside runCommand
  // so it does not drop the public page cache, and never waited for: a database locked by
  // another process or a full disk must not turn a token's read (GET /api/v1/components) into a
  // 503. It is written on a later request instead.
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 60_000)
    recordUse(() => {
      try {
        withoutWaiting(db, () => db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.id)).run());
      } catch (err) {
        if (!sqliteFailure(err)) throw err;
      }
    });
  return { ok: true, name: row.name, scopes: parseScopes(row.scopes) };
}

/**
 * A token used on a route outside its scopes: audited, so a leaked `alerts` token probing the
 * incident routes shows in /noc/auditoria. Private bookkeeping (no public page changes), written
 * without waiting for another process's lock: the refusal is answered either way.
 */
export function recordOutOfScope(
  db: Db,
  token: { name: string; scopes: readonly ApiScope[] },
  request: { method: string; path: string; needed: ApiScope; address: string },
  now: Date,
): void {
  try {
    withoutWaiting(db, () =>
      writeTransaction(db, () =>
        recordAudit(
          db,
          { kind: 'token', name: token.name },
          'token.out_of_scope',
          { type: 'token', id: token.name },
          now,
          {
            method: request.method,
            path: request.path,
            needed: request.needed,
            scopes: token.scopes,
            address: request.address,
          },
        ),
      ),
    );
  } catch (err) {
    // Busy or full (writeTransaction's 503): the refusal stands without its audit row.
    if (!(err instanceof CommandError && err.status === 503)) throw err;
  }
}
