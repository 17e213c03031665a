import type { MiddlewareHandler } from 'hono';
import { verifyApiToken } from '#db/commands/tokens.ts';
import type { Db } from '#db/client.ts';
import type { Env } from './context.ts';
import { errorResponse } from './errors.ts';

/**
 * `Authorization: Bearer <token>`; anything else is 401 before the body is even read. What the
 * token may do is checked by each route's scope (api/scopes.ts), after this.
 */
export function requireToken(db: Db, now: () => Date): MiddlewareHandler<Env> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    // The token's last use (at most once a minute) is written once the route has answered:
    // bookkeeping a notifying POST need not wait for (its own commit, ~1–3 ms on a loaded machine).
    let recordUse: (() => void) | undefined;
    const verified = match
      ? verifyApiToken(db, match[1], now(), (write) => {
          recordUse = write;
        })
      : null;
    if (!verified?.ok) {
      // RFC 6750 §3: the challenge names the realm; §3.1 `invalid_token` when one was sent.
      c.header(
        'WWW-Authenticate',
        match ? 'Bearer realm="SOMNET NOC", error="invalid_token"' : 'Bearer realm="SOMNET NOC"',
      );
      return errorResponse(
        c,
        401,
        'unauthorized',
        !match
          ? 'Falta el encabezado Authorization: Bearer <token>.'
          : verified?.expired
            ? 'El token venció; pida uno nuevo a un administrador.'
            : 'El token no es válido o fue revocado.',
      );
    }
    c.set('tokenName', verified.name);
    c.set('tokenScopes', verified.scopes);
    try {
      await next();
    } finally {
      const write = recordUse;
      if (write)
        setImmediate(() => {
          if (db.$client.open) write();
        });
    }
  };
}
