import { Hono } from 'hono';
import { makeEntry, replyFor, toResponse, type CachedEntry } from '../cache.ts';
import type { Env } from '../context.ts';
import { CORS_HEADERS } from '../http.ts';
import type { ApiDescription } from '../openapi/document.ts';
import { publicRoute } from '../scopes.ts';

/**
 * GET /api/v1/openapi.json, public and CORS open (clients are generated from it, editors load
 * it). It changes only with the code, so it is serialised once, with its ETag and gzip form
 * (about 160 KB of JSON, 14 KB gzipped).
 */
export function openApiRoutes(description: () => ApiDescription) {
  const app = new Hono<Env>();
  let entry: CachedEntry | undefined;
  app.get('/openapi.json', publicRoute, (c) => {
    entry ??= makeEntry(200, JSON.stringify(description()), {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'public, max-age=300',
      'x-content-type-options': 'nosniff',
      ...CORS_HEADERS,
    });
    return toResponse(replyFor(entry, c.req.method, c.req.header('accept-encoding'), c.req.header('if-none-match')));
  });
  return app;
}
