import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { sqliteFailure, withoutWaiting, type Db } from '../client.ts';
import { apiTokens } from '../schema/index.ts';
import { CommandError, notFound } from './errors.ts';
import { runCommand } from './transaction.ts';
import { recordAudit, type Actor } from './audit.ts';
import { LIMITS, parseInput, text } from './input.ts';

const TOKEN_NAME_MESSAGE = 'El nombre del token debe tener de 1 a 64 letras, números, puntos, guiones o @.';
/** A token's name: who or what uses it, shown in the audit log. */
export const apiTokenInput = z.strictObject({
  name: text({ min: 1, max: LIMITS.tokenName, label: 'El nombre del token', required: 'Nombre inválido.' }).regex(
    /^[\w.@-]+$/,
    'Nombre inválido.',
  ),
});

/** Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function createApiToken(
  db: Db,
  name: string,
  now: Date,
  actor: Actor = { kind: 'cli', name: 'noc' },
): { name: string; token: string } {
  const { name: clean } = parseInput(apiTokenInput, { name }, { message: TOKEN_NAME_MESSAGE });
  const token = `snt_${randomBytes(32).toString('base64url')}`;
  return runCommand(db, () => {
    const existing = db.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.name, clean)).get();
    if (existing)
      throw new CommandError(409, 'token_exists', `Ya existe un token llamado «${clean}».`, [
        { path: 'name', message: 'Nombre en uso.' },
      ]);
    db.insert(apiTokens)
      .values({ name: clean, tokenHash: hashToken(token), createdAt: now })
      .run();
    recordAudit(db, actor, 'token.create', { type: 'token', id: clean }, now);
    return { name: clean, token };
  });
}

export function listApiTokens(db: Db) {
  return db
    .select({ name: apiTokens.name, createdAt: apiTokens.createdAt, lastUsedAt: apiTokens.lastUsedAt })
    .from(apiTokens)
    .orderBy(apiTokens.name)
    .all();
}

export function revokeApiToken(db: Db, name: string, now: Date, actor: Actor = { kind: 'cli', name: 'noc' }): void {
  runCommand(db, () => {
    const result = db.delete(apiTokens).where(eq(apiTokens.name, name)).run();
    if (result.changes === 0) throw notFound('el token', name);
    recordAudit(db, actor, 'token.revoke', { type: 'token', id: name }, now);
  });
}

/** The token's name when it is valid, else null. Looked up by hash; compared in constant time. */
export function verifyApiToken(db: Db, token: string, now: Date): string | null {
  if (!token.startsWith('snt_') || token.length > 200) return null;
  const hash = hashToken(token);
  const row = db.select().from(apiTokens).where(eq(apiTokens.tokenHash, hash)).get();
  if (!row || !timingSafeEqual(Buffer.from(row.tokenHash), Buffer.from(hash))) return null;
  // Last use is bookkeeping, not content: written at most once a minute, outside runCommand
  // so it does not drop the public page cache, and never waited for: a database locked by
  // another process or a full disk must not turn a token's read (GET /api/v1/components) into a
  // 503. It is written on a later request instead.
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 60_000) {
    try {
      withoutWaiting(db, () => db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.id)).run());
    } catch (err) {
      if (!sqliteFailure(err)) throw err;
    }
  }
  return row.name;
}
