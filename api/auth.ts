import type { MiddlewareHandler } from 'hono';
import { verifyApiToken } from '#db/commands/tokens.ts';
import type { Db } from '#db/client.ts';
import type { Env } from './context.ts';
import { errorResponse } from './errors.ts';

/** `Authorization: Bearer <token>`; anything else is 401 before the body is even read. */
export function requireToken(db: Db, now: () => Date): MiddlewareHandler<Env> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const name = match ? verifyApiToken(db, match[1], now()) : null;
    if (!name) {
      c.header('WWW-Authenticate', 'Bearer realm="SOMNET NOC"');
      return errorResponse(
        c,
        401,
        'unauthorized',
        match ? 'El token no es válido o fue revocado.' : 'Falta el encabezado Authorization: Bearer <token>.',
      );
    }
    c.set('tokenName', name);
    await next();
  };
}
