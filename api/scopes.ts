// What each `/api/v1` route lets a token do, declared where the route is registered:
//
//   const needs = scopeGuard(deps);
//   app.get('/incidents/:id', needs('incidents'), (c) => …);
//
// The middleware `needs(scope)` returns both enforces the scope (403 `insufficient_scope`,
// audited) and marks the route, so the application's route table says, for every method and
// path, which scope it needs: `routeScopes(app.routes)`. The table test reads it (every
// `/api/v1` route must have one) and so can a generated API description.
import type { MiddlewareHandler } from 'hono';
import type { RouterRoute } from 'hono/types';
import { recordOutOfScope, scopeAllows } from '#db/commands/tokens.ts';
import type { ApiScope } from '#db/enums.ts';
import { requestClient } from './clientIp.ts';
import type { AppDeps, Env } from './context.ts';
import { errorResponse } from './errors.ts';

/** A scope a route can need (`all` is what a token holds, never what a route asks for), or no token. */
export type RouteScope = Exclude<ApiScope, 'all'> | 'public';

const declared = new WeakMap<object, RouteScope>();

/**
 * The scope middleware of an app: `needs('incidents')` before a route's handler, after the token
 * check (nocRoutes / requireToken). RFC 6750 §3.1: a valid token without the privileges the
 * request needs is 403 `insufficient_scope`, and the challenge names the scope.
 */
export function scopeGuard(deps: Pick<AppDeps, 'db' | 'now' | 'trustedProxies'>) {
  return (needed: Exclude<ApiScope, 'all'>): MiddlewareHandler<Env> => {
    const middleware: MiddlewareHandler<Env> = async (c, next) => {
      const scopes = c.get('tokenScopes');
      if (!scopeAllows(scopes, needed)) {
        recordOutOfScope(
          deps.db,
          { name: c.get('tokenName'), scopes },
          {
            method: c.req.method,
            path: c.req.path,
            needed,
            address: requestClient(c, deps.trustedProxies).address,
          },
          deps.now(),
        );
        c.header('WWW-Authenticate', `Bearer realm="SOMNET NOC", error="insufficient_scope", scope="${needed}"`);
        return errorResponse(
          c,
          403,
          'insufficient_scope',
          `Este token no tiene el alcance «${needed}» que esta ruta requiere (tiene: ${scopes.join(', ')}).`,
        );
      }
      await next();
    };
    declared.set(middleware, needed);
    return middleware;
  };
}

/** Marks a `/api/v1` route that takes no token (sign-up, one-click unsubscribe). */
export const publicRoute: MiddlewareHandler = async (_c, next) => {
  await next();
};
declared.set(publicRoute, 'public');

export interface RouteScopeEntry {
  method: string;
  path: string;
  /** Undefined when the route declared none (the table test fails on it). */
  scope: RouteScope | undefined;
}

/**
 * Every `/api/v1` endpoint of a Hono route table with the scope it declared. Hono records each
 * handler of `app.get(path, a, b)` as its own entry with the same method and path, so an
 * endpoint's scope is the marked middleware among its entries; `use()` middleware is method ALL.
 */
export function routeScopes(routes: readonly RouterRoute[]): RouteScopeEntry[] {
  const endpoints = new Map<string, RouteScopeEntry>();
  for (const r of routes) {
    if (r.method === 'ALL' || !(r.path === '/api/v1' || r.path.startsWith('/api/v1/'))) continue;
    const key = `${r.method} ${r.path}`;
    const entry = endpoints.get(key) ?? { method: r.method, path: r.path, scope: undefined };
    entry.scope ??= declared.get(r.handler);
    endpoints.set(key, entry);
  }
  return [...endpoints.values()];
}
