import { Hono } from 'hono';
import type { Env } from '../context.ts';
import { CORS_HEADERS } from '../http.ts';
import type { ApiDescription } from '../openapi/document.ts';
import { publicRoute } from '../scopes.ts';

/** GET /api/v1/openapi.json, public and CORS open (clients are generated from it, editors load it). */
export function openApiRoutes(description: () => ApiDescription) {
  const app = new Hono<Env>();
  let body: string | undefined;
  app.get('/openapi.json', publicRoute, (c) => {
    body ??= JSON.stringify(description());
    return c.body(body, 200, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'public, max-age=300',
      'x-content-type-options': 'nosniff',
      ...CORS_HEADERS,
    });
  });
  return app;
}
