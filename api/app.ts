import { Hono, type Context } from 'hono';
import { TrieRouter } from 'hono/router/trie-router';
import type { RouterRoute } from 'hono/types';
import { HTTPException } from 'hono/http-exception';
import type { Db } from '#db/client.ts';
import { storageRefusal } from '#db/commands/transaction.ts';
import { CommandError } from '#db/commands/errors.ts';
import { makeEntry, PUBLIC_CACHE_CONTROL, RenderedCache, replyFor, toResponse, type CachedEntry } from './cache.ts';
import { isSynthetic, RenderBudget, syntheticGet, type PageRenderer, type RenderedPage } from './pages.ts';
import { cacheKeyFor, publicRouteOf } from './publish/routes.ts';
import { loadStaticFiles } from './static.ts';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { HttpBindings } from '@hono/node-server';
import { authConfig, type Config } from './config.ts';
import type { AppDeps, PageLocals } from './context.ts';
import { commandErrorResponse, errorResponse } from './errors.ts';
import { v1Routes } from './routes/v1.ts';
import { v2Routes } from './routes/v2.ts';
import { maintenanceRoutes } from './routes/maintenances.ts';
import { maintenanceFeedRoutes } from './routes/maintenanceFeeds.ts';
import { coverageRoutes } from './routes/coverage.ts';
import { feedRoutes } from './routes/feeds.ts';
import { embedRoutes } from './routes/embeds.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { subscriberRoutes } from './routes/subscribers.ts';
import { serviceRoutes } from './routes/services.ts';
import { alertRoutes, alertRuleRoutes } from './routes/alerts.ts';
import { reportFileRoutes, reportRoutes } from './routes/reports.ts';
import { operationsRoutes } from './routes/operations.ts';
import { timeRender } from './metrics/registry.ts';
import { qualityFileRoutes, qualityRoutes } from './routes/quality.ts';
import { redactedUrl } from './render/quality.ts';
import { settleForwardedHeaders, trustedProxyList, UNKNOWN_ADDRESS } from './clientIp.ts';
import { formBodyLimitFor, readBodyWithin, sendTooLarge } from './formBody.ts';
import { canonicalRedirect, canonicalTarget } from './requestPath.ts';
import { isConsolePath, sessionCookieName, sessionForToken } from './consoleSession.ts';
import { getCookie } from 'hono/cookie';
import '#db/notifications/channels.ts';

/** A page rendered (kept unless private), or the shared 404 page when no page route matches the path. */
type RenderedResult = { private: false; entry: CachedEntry; unknown?: true } | { private: true; response: Response };

/**
 * A page that sets cookies or says `Cache-Control: private|no-store` (the NOC console, token
 * links) is per-visitor: never kept, never shared between concurrent requests.
 */
function isPrivate(headers: RenderedPage['headers']): boolean {
  const cacheControl = String(headers['cache-control'] ?? '');
  return headers['set-cookie'] !== undefined || /\b(private|no-store)\b/i.test(cacheControl);
}

function privateResponse(page: RenderedPage): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(page.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  headers.set('content-type', htmlContentType(headers.get('content-type') ?? undefined));
  if (!headers.has('cache-control')) headers.set('cache-control', 'private, no-store');
  headers.set('x-content-type-options', 'nosniff');
  return new Response(page.status === 204 || page.status === 304 ? null : new Uint8Array(page.body), {
    status: page.status,
    headers,
  });
}

function htmlContentType(type: string | undefined): string {
  return !type || /^text\/html\s*$/i.test(type) ? 'text/html; charset=utf-8' : type;
}

/**
 * The site's 404 page, rendered once per cache generation (it shows nothing that changes by
 * itself) and answered to every path no page route matches: unknown URLs cost no rendering.
 */
function notFoundPage(pages: PageRenderer, deps: AppDeps, locals: PageLocals): () => Promise<CachedEntry> {
  let kept: { generation: number; entry: CachedEntry } | undefined;
  const host = new URL(deps.config.publicUrl).host;
  return async () => {
    const generation = deps.cache.currentGeneration;
    if (kept?.generation === generation) return kept.entry;
    const page = await pages.render(syntheticGet('/404', host), locals);
    const entry = makeEntry(404, page?.body ?? NOT_FOUND_HTML, {
      'content-type': 'text/html; charset=utf-8',
      ...PAGE_HEADERS,
    });
    kept = { generation, entry };
    return entry;
  };
}

const NOT_FOUND_HTML =
  '<!doctype html><html lang="es-MX"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Página no encontrada · SOMNET</title></head><body><main><h1>Página no encontrada</h1><p><a href="/">Volver al estado actual de la red</a></p></main></body></html>';

/** The 404 page for a path; under /noc with the console's private, unframeable headers. */
function notFoundResponse(entry: CachedEntry, path: string, method: string): Response {
  const reply = replyFor(entry, method, undefined, undefined);
  const headers = new Headers(reply.headers);
  if (isConsolePath(path)) {
    headers.set('cache-control', 'private, no-store');
    headers.set('x-frame-options', 'DENY');
    headers.delete('etag');
  }
  return new Response(reply.body ? new Uint8Array(reply.body) : null, { status: 404, headers });
}

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

/** Headers for every public HTML page. Public pages ship no script, so none may run. */
export const PAGE_HEADERS = {
  'cache-control': PUBLIC_CACHE_CONTROL,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'",
};

/**
 * A page may widen the policy for itself (the coverage map adds its tile host to img-src);
 * every other page keeps PAGE_HEADERS' policy.
 */
function pageCsp(headers: RenderedPage['headers']): { 'content-security-policy'?: string } {
  const own = headers['content-security-policy'];
  return typeof own === 'string' ? { 'content-security-policy': own } : {};
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

/** Pages answer GET and HEAD, and POST for their forms; anything else (TRACE, PUT…) is a 405. */
const PAGE_METHODS = ['GET', 'HEAD', 'POST'];

function pageMethodNotAllowed(allowed: string[]): Response {
  const html = `<!doctype html><html lang="es-MX"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Método no permitido · SOMNET</title></head><body><main><h1>Método no permitido</h1><p>Esta dirección solo acepta ${allowed.join(', ')}.</p><p><a href="/">Ver el estado de la red</a></p></main></body></html>`;
  return new Response(html, {
    status: 405,
    headers: {
      allow: allowed.join(', '),
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
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
 * The Hono application, without a listener, so tests drive it with `app.request()`.
 * Astro pages are mounted by the server (api/server.ts) behind these routes.
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
  app.route('/api/v1', subscriberRoutes(deps)); // before v1: sign-up and one-click unsubscribe are public
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

  const pages = options.pages;
  if (pages) {
    const baseLocals = {
      db: deps.db,
      now: deps.now,
      publicUrl: deps.config.publicUrl,
      mapTileUrl: deps.config.mapTileUrl,
      maintenanceMaxHours: deps.config.maintenanceMaxHours,
      prometheusUrl: deps.config.prometheusUrl ? redactedUrl(deps.config.prometheusUrl) : undefined,
      auth: authConfig(deps.config),
    };
    const staticFiles = loadStaticFiles(pages.clientDir, PAGE_HEADERS);
    deps.staticFiles = staticFiles;
    const budget = options.renderBudget ?? new RenderBudget();
    // Concurrent misses for one public page share a single rendering.
    const inFlight = new Map<string, Promise<RenderedResult>>();
    const notFound = notFoundPage(pages, deps, {
      ...baseLocals,
      clientAddress: UNKNOWN_ADDRESS,
      clientIp: UNKNOWN_ADDRESS,
    });
    const renderPage = (req: HttpBindings['incoming'], key: string, locals: PageLocals): Promise<RenderedResult> => {
      const generation = deps.cache.currentGeneration;
      return timeRender(key, () => pages.render(req, locals)).then(async (page) => {
        if (!page) return { private: false, entry: await notFound(), unknown: true };
        if (isPrivate(page.headers)) return { private: true, response: privateResponse(page) };
        const entry = makeEntry(page.status, page.body, {
          'content-type': htmlContentType(String(page.headers['content-type'] ?? '') || undefined),
          ...PAGE_HEADERS,
          ...pageCsp(page.headers),
        });
        if (entry.status === 200) deps.cache.set(key, generation, entry);
        return { private: false, entry };
      });
    };
    app.all('*', async (c) => {
      const req = c.env.incoming;
      // Every request reaching Astro: its client decided once (api/clientIp.ts: forwarded headers
      // believed only from a trusted proxy, then replaced), handed to pages as locals.clientAddress.
      const client = settleForwardedHeaders(req, deps.trustedProxies, deps.config.publicUrl);
      const locals: PageLocals = { ...baseLocals, clientAddress: client.key, clientIp: client.address };
      if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
        if (c.req.method !== 'POST') {
          const own = allowedMethods(c.req.path);
          return pageMethodNotAllowed(own.length ? own : PAGE_METHODS);
        }
        // The body is read here, within the form limit, before Astro could buffer it.
        const signedIn =
          isConsolePath(c.req.path) &&
          sessionForToken(
            deps.db,
            getCookie(c, sessionCookieName(deps.config.publicUrl)),
            deps.now(),
            baseLocals.auth.idleMinutes,
          )?.complete === true;
        const limit = formBodyLimitFor(c.req.path, signedIn);
        let body: Buffer | null;
        try {
          body = await readBodyWithin(req, limit);
        } catch {
          // The client went away mid-upload: nobody is left to answer.
          req.socket?.destroy();
          return RESPONSE_ALREADY_SENT;
        }
        if (!body) {
          sendTooLarge(req, c.env.outgoing, c.req.path, limit);
          return RESPONSE_ALREADY_SENT;
        }
        // astro/app/node takes a Buffer in req.body as the request body (as after body-parser).
        (req as typeof req & { body?: Buffer }).body = body;
        if (await pages.passthrough(req, c.env.outgoing, locals)) return RESPONSE_ALREADY_SENT;
        return notFoundResponse(await notFound(), c.req.path, c.req.method);
      }
      const url = req.url ?? '/';
      const key = cacheKeyFor(url);
      // A public page is rendered from its key, so it never sees a parameter it does not declare.
      if (key !== url) req.url = key;
      const file = staticFiles.get(c.req.path);
      let entry = file ?? deps.cache.get(key);
      if (!entry) {
        let result: RenderedResult;
        const pending = inFlight.get(key);
        if (pending && !(result = await pending).private) {
          if (result.unknown) return notFoundResponse(result.entry, c.req.path, c.req.method);
          entry = result.entry;
        } else {
          const fixedPublicPath = key === c.req.path && publicRouteOf(key)?.path === key;
          // Counted once a page route matched (site/middleware.ts asks), so a path no route
          // matches is a 404 whatever is left of the client's budget.
          // Asked once per request: a page that answers 404 passes the middleware again for 404.astro.
          if (!fixedPublicPath && !key.startsWith('/noc') && !isSynthetic(req)) {
            let admitted: boolean | undefined;
            locals.admitRender = () => (admitted ??= budget.take(client.key));
          }
          const mine = renderPage(req, key, locals);
          inFlight.set(key, mine);
          try {
            result = await mine;
          } finally {
            if (inFlight.get(key) === mine) inFlight.delete(key);
          }
          if (result.private) return result.response;
          // No page route matched: answered with the shared 404 page, nothing was rendered.
          if (result.unknown) return notFoundResponse(result.entry, c.req.path, c.req.method);
          entry = result.entry;
        }
      }
      return toResponse(replyFor(entry, c.req.method, c.req.header('accept-encoding'), c.req.header('if-none-match')));
    });
  }

  const host = new URL(deps.config.publicUrl).host;
  /**
   * A public path as Node answers a plain GET of it (for PUBLIC_URL's host), or null when it
   * does not answer 200: what the published snapshot is made of (api/publish), through the same
   * routes and cache.
   */
  const renderPublic = async (path: string, options: { fresh?: boolean } = {}): Promise<CachedEntry | null> => {
    // `fresh`: a page whose content changes with time alone must not come from the cache.
    if (options.fresh) deps.cache.delete(path);
    const known = deps.staticFiles?.get(path) ?? deps.cache.get(path);
    if (known) return known;
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
    return (
      deps.cache.get(path) ??
      makeEntry(200, Buffer.from(await res.arrayBuffer()), {
        'content-type': res.headers.get('content-type') ?? 'application/octet-stream',
      })
    );
  };

  return { app, deps, renderPublic };
}
