import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Db } from '../db/client.ts';
import { CommandError } from '../db/commands/errors.ts';
import { makeEntry, PUBLIC_CACHE_CONTROL, RenderedCache, replyFor, toResponse, type CachedEntry } from './cache.ts';
import type { PageRenderer } from './pages.ts';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { HttpBindings } from '@hono/node-server';
import type { Config } from './config.ts';
import type { AppDeps } from './context.ts';
import { commandErrorResponse, errorResponse } from './errors.ts';
import { v1Routes } from './routes/v1.ts';
import { v2Routes } from './routes/v2.ts';
import '../db/notifications/channels.ts';

function htmlContentType(type: string | undefined): string {
  return !type || /^text\/html\s*$/i.test(type) ? 'text/html; charset=utf-8' : type;
}

export interface CreateAppOptions {
  db: Db;
  config: Config;
  now?: () => Date;
  cache?: RenderedCache;
  /** The built Astro site; without it (API tests) only the API answers. */
  pages?: PageRenderer;
}

/** Headers for every public HTML page. Public pages ship no script, so none may run. */
export const PAGE_HEADERS = {
  'cache-control': PUBLIC_CACHE_CONTROL,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'",
};

/**
 * The Hono application, without a listener, so tests drive it with `app.request()`.
 * Astro pages are mounted by the server (api/server.ts) behind these routes.
 */
export function createApp(options: CreateAppOptions) {
  const deps: AppDeps = {
    db: options.db,
    config: options.config,
    now: options.now ?? (() => new Date()),
    cache: options.cache ?? new RenderedCache(options.db),
  };
  const app = new Hono<{ Bindings: HttpBindings }>();

  app.onError((err, c) => {
    if (err instanceof CommandError) return commandErrorResponse(c, err);
    if (err instanceof HTTPException) return errorResponse(c, err.status, 'http_error', err.message || 'Solicitud inválida.');
    console.error(err);
    return errorResponse(c, 500, 'internal_error', 'Error interno del servidor.');
  });

  app.get('/healthz', (c) => {
    deps.db.$client.prepare('SELECT 1').get();
    return c.json({ status: 'ok' }, 200, { 'cache-control': 'no-store' });
  });

  app.route('/api/v1', v1Routes(deps));
  app.route('/api/v2', v2Routes(deps));
  app.all('/api/*', (c) => errorResponse(c, 404, 'not_found', 'Ruta de API desconocida.'));

  const pages = options.pages;
  if (pages) {
    const locals = { db: deps.db, now: deps.now, publicUrl: deps.config.publicUrl };
    // Concurrent misses for one page share a single rendering.
    const inFlight = new Map<string, Promise<CachedEntry>>();
    app.all('*', async (c) => {
      const req = c.env.incoming;
      if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
        await pages.passthrough(req, c.env.outgoing, locals);
        return RESPONSE_ALREADY_SENT;
      }
      const key = req.url ?? '/';
      let entry = deps.cache.get(key);
      if (!entry) {
        let pending = inFlight.get(key);
        if (!pending) {
          const generation = deps.cache.currentGeneration;
          pending = pages.render(req, locals).then((page) => {
            const rendered = makeEntry(page.status, page.body, { 'content-type': htmlContentType(page.headers['content-type']), ...PAGE_HEADERS });
            if (rendered.status === 200) deps.cache.set(key, generation, rendered);
            return rendered;
          }).finally(() => inFlight.delete(key));
          inFlight.set(key, pending);
        }
        entry = await pending;
      }
      const reply = replyFor(entry, c.req.method, c.req.header('accept-encoding'), c.req.header('if-none-match'));
      return toResponse(reply);
    });
  }

  return { app, deps };
}
