import { Hono } from 'hono';
import type { RouterRoute } from 'hono/types';
import type { AppDeps, Env } from '../context.ts';
import { CORS_HEADERS } from '../http.ts';
import { openApiDocument } from '../openapi/document.ts';
import { publicRoute } from '../scopes.ts';

/**
 * GET /api/v1/openapi.json, public and CORS open (clients are generated from it, editors load it).
 * Built on first request, when every route is registered, and kept: it changes only with the code.
 */
export function openApiRoutes(deps: AppDeps, routes: () => readonly RouterRoute[]) {
  const app = new Hono<Env>();
  let body: string | undefined;
  app.get('/openapi.json', publicRoute, (c) => {
    body ??= JSON.stringify(openApiDocument(routes(), deps.config.publicUrl));
    return c.body(body, 200, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'public, max-age=300',
      'x-content-type-options': 'nosniff',
      ...CORS_HEADERS,
    });
  });
  return app;
}
