import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Db } from '../db/client.ts';
import { CommandError } from '../db/commands/errors.ts';
import { RenderedCache } from './cache.ts';
import type { Config } from './config.ts';
import type { AppDeps } from './context.ts';
import { commandErrorResponse, errorResponse } from './errors.ts';
import { v1Routes } from './routes/v1.ts';
import { v2Routes } from './routes/v2.ts';

export interface CreateAppOptions {
  db: Db;
  config: Config;
  now?: () => Date;
  cache?: RenderedCache;
}

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
  const app = new Hono();

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

  return { app, deps };
}
