import { Hono, type Context } from 'hono';
import { TrieRouter } from 'hono/router/trie-router';
import type { RouterRoute } from 'hono/types';
import { HTTPException } from 'hono/http-exception';
import type { Db } from '#db/client.ts';
import { storageRefusal } from '#db/commands/transaction.ts';
import { CommandError } from '#db/commands/errors.ts';
import { makeEntry, RenderedCache, type CachedEntry } from './cache.ts';
import { mountPages, syntheticGet, type PageRenderer, type RenderBudget } from './pages.ts';
import type { HttpBindings } from '@hono/node-server';
import type { Config } from './config.ts';
import type { AppDeps } from './context.ts';
import { commandErrorResponse, errorResponse } from './errors.ts';
import { publicRouteOf } from './publish/routes.ts';
import { v1Routes } from './routes/v1.ts';
import { v2Routes } from './routes/v2.ts';
import { maintenanceRoutes } from './routes/maintenances.ts';
import { maintenanceFeedRoutes } from './routes/maintenanceFeeds.ts';
import { coverageRoutes } from './routes/coverage.ts';
import { feedRoutes } from './routes/feeds.ts';
import { embedRoutes } from './routes/embeds.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { subscriberRoutes } from './routes/subscribers.ts';
import { openApiRoutes } from './routes/openapi.ts';
import { openApiDocument, type ApiDescription } from './openapi/document.ts';
import { channelWebhookRoutes } from './routes/channelWebhooks.ts';
import { serviceRoutes } from './routes/services.ts';
import { alertRoutes, alertRuleRoutes } from './routes/alerts.ts';
import { reportFileRoutes, reportRoutes } from './routes/reports.ts';
import { operationsRoutes } from './routes/operations.ts';
import { qualityFileRoutes, qualityRoutes } from './routes/quality.ts';
import { trustedProxyList } from './clientIp.ts';
import { canonicalRedirect, canonicalTarget } from './requestPath.ts';
import '#db/notifications/channels.ts';

export interface CreateAppOptions {
  db: Db;
  config: Config;
  now?: () => Date;
  cache?: RenderedCache;
  /** The built Astro site; without it (API tests) only the API answers. */
  pages?: PageRenderer;
  /** Renders per second for URLs outside the cache (tests give a small one). */
  renderBudget?: RenderBudget;
}

/**
 * Methods that have an endpoint for a path (RFC 9110 §15.5.6: a 405 lists them in `Allow`).
 * The router is built on first use, when every route is registered; `use()` middleware and
 * catch-alls are method ALL and left out.
 */
function allowedMethodsOf(routes: RouterRoute[]): (path: string) => string[] {
  let router: TrieRouter<true> | undefined;
  return (path) => {
    if (!router) {
      router = new TrieRouter<true>();
      for (const r of routes) if (r.method !== 'ALL') router.add(r.method, r.path, true);
    }
    const r = router;
    return ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'].filter(
      (m) => r.match(m === 'HEAD' ? 'GET' : m, path)[0].length > 0,
    );
  };
}

function trustedProxyOrThrow(entries: string[] | undefined) {
  const list = trustedProxyList(entries);
  if (!list) throw new Error(`TRUSTED_PROXIES no válido: ${entries?.join(', ')}`);
  return list;
}

function methodNotAllowed(c: Context, allowed: string[]) {
  c.header('allow', allowed.join(', '));
  return errorResponse(
    c,
    405,
    'method_not_allowed',
    `Método ${c.req.method} no admitido en esta ruta; use ${allowed.join(', ')}.`,
  );
}

/**
 * The Hono application, without a listener, so tests drive it with `app.request()`. With
 * `pages` (the built site, as api/server.ts loads it), the pages answer behind these routes
 * (`mountPages`, api/pages.ts).
 */
export function createApp(options: CreateAppOptions) {
  const deps: AppDeps = {
    db: options.db,
    config: options.config,
    now: options.now ?? (() => new Date()),
    cache: options.cache ?? new RenderedCache(options.db),
    trustedProxies: trustedProxyOrThrow(options.config.trustedProxies),
  };
  const app = new Hono<{ Bindings: HttpBindings }>();

  app.onError((err, c) => {
    if (err instanceof CommandError) return commandErrorResponse(c, err);
    if (err instanceof HTTPException)
      return errorResponse(c, err.status, 'http_error', err.message || 'Solicitud inválida.');
    // Outside a command (a read while another process checkpoints): the same clear 503 a
    // command gives, never a 500.
    const refusal = storageRefusal(err);
    if (refusal) return commandErrorResponse(c, refusal);
    console.error(err);
    return errorResponse(c, 500, 'internal_error', 'Error interno del servidor.');
  });

  // Before any route: one spelling per path (api/requestPath.ts).
  app.use('*', async (c, next) => {
    const url = new URL(c.req.url);
    const canonical = canonicalTarget(url.pathname + url.search);
    if (canonical) return canonicalRedirect(c.req.method, canonical);
    await next();
  });

  app.route('/', operationsRoutes(deps));

  app.route('/api/v1/maintenances', maintenanceRoutes(deps));
  app.route('/', coverageRoutes(deps));
  app.route('/api/v1/webhooks', webhookRoutes(deps));
  app.route('/api/v1/alerts', alertRoutes(deps));
  app.route('/api/v1/alert-rules', alertRuleRoutes(deps));
  app.route('/api/v1/services', serviceRoutes(deps));
  app.route('/api/v1/reports', reportRoutes(deps));
  app.route('/api/v1/quality', qualityRoutes(deps));
  // The API description is built on first use, when every route is registered; it changes only with the code.
  let description: ApiDescription | undefined;
  const apiDescription = () => (description ??= openApiDocument(app.routes, deps.config.publicUrl));
  app.route('/api/v1', openApiRoutes(apiDescription)); // public: before v1's token check
  app.route('/api/v1', subscriberRoutes(deps)); // before v1: sign-up and one-click unsubscribe are public
  app.route('/', channelWebhookRoutes(deps)); // SMS, WhatsApp and Telegram call back, signed
  app.route('/api/v1', v1Routes(deps));
  app.route('/api/v2', v2Routes(deps));
  app.route('/', feedRoutes(deps));
  app.route('/', embedRoutes(deps));
  app.all('/healthz', (c) => methodNotAllowed(c, ['GET', 'HEAD']));
  app.all('/metrics', (c) => methodNotAllowed(c, ['GET', 'HEAD']));
  const allowedMethods = allowedMethodsOf(app.routes);
  app.all('/api/*', (c) => {
    const allowed = allowedMethods(c.req.path);
    return allowed.length
      ? methodNotAllowed(c, allowed)
      : errorResponse(c, 404, 'not_found', 'Ruta de API desconocida.');
  });
  app.route('/', maintenanceFeedRoutes(deps));
  app.route('/', reportFileRoutes(deps));
  app.route('/', qualityFileRoutes(deps));

  if (options.pages)
    mountPages(app, deps, options.pages, { renderBudget: options.renderBudget, allowedMethods, apiDescription });

  const host = new URL(deps.config.publicUrl).host;
  /**
   * A public path as Node answers a plain GET of it (for PUBLIC_URL's host), or null when it
   * does not answer 200: what the published snapshot is made of (api/publish), through the same
   * routes and cache.
   */
  const renderPublic = async (
    path: string,
    options: { fresh?: boolean; keep?: boolean } = {},
  ): Promise<CachedEntry | null> => {
    // `fresh`: a page whose content changes with time alone must not come from the cache.
    if (options.fresh) deps.cache.delete(path);
    const known = deps.staticFiles?.get(path) ?? deps.cache.get(path);
    if (known) return known;
    if (deps.renderPage && publicRouteOf(path)?.page) {
      const page = await deps.renderPage(path);
      if (options.keep === false) deps.cache.delete(path);
      return page;
    }
    const res = await app.fetch(new Request(new URL(path, deps.config.publicUrl)), {
      incoming: syntheticGet(path, host),
      outgoing: undefined as never,
    });
    if (res.status !== 200) {
      await res.body?.cancel();
      return null;
    }
    // A write that committed meanwhile kept the route from storing its rendering: publish those
    // bytes anyway; the write publishes again.
    const entry =
      deps.cache.get(path) ??
      makeEntry(200, Buffer.from(await res.arrayBuffer()), {
        'content-type': res.headers.get('content-type') ?? 'application/octet-stream',
      });
    // `keep: false`: history a full publish renders (thousands of old incidents) is read from the
    // files, seldom from Node; kept, it would fill the cache's memory and push out what is read.
    if (options.keep === false) {
      // (Read above when the route kept nothing: its stream is spent, not cancellable.)
      if (!res.bodyUsed) await res.body?.cancel();
      deps.cache.delete(path);
    }
    return entry;
  };

  return { app, deps, renderPublic };
}
