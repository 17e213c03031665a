// The built Astro site behind the API routes: its handler loaded from the build, a page rendered
// to bytes without sending them (so the page cache and the publisher can keep them), and the
// catch-all route (`mountPages`) that answers every request no API route took.
import { EventEmitter } from 'node:events';
import { IncomingMessage, type ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import type { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { compressEntry, makeEntry, PUBLIC_CACHE_CONTROL, replyFor, toResponse, type CachedEntry } from './cache.ts';
import { settleForwardedHeaders, UNKNOWN_ADDRESS } from './clientIp.ts';
import { authConfig } from './config.ts';
import { isConsolePath, sessionCookieName, sessionForToken } from './consoleSession.ts';
import type { AppDeps, PageLocals } from './context.ts';
import type { ApiDescription } from './openapi/document.ts';
import { formBodyLimitFor, readBodyWithin, sendTooLarge } from './formBody.ts';
import { timeRender } from './metrics/registry.ts';
import { channelPolicy } from './channels/policy.ts';
import { cacheKeyFor, publicRouteOf } from './publish/routes.ts';
import { redactedUrl } from './render/quality.ts';
import { loadStaticFiles } from './static.ts';
import { readerRendering } from './readersFirst.ts';

/** The @astrojs/node middleware-mode handler: `handler(req, res, next?, locals?)`. */
export type AstroHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (err?: unknown) => void,
  locals?: object,
) => Promise<void>;

export interface RenderedPage {
  status: number;
  /** Lower-case names; set-cookie stays an array. */
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/**
 * A stand-in for ServerResponse that keeps what Astro writes instead of sending it, so the
 * bytes can be cached and served many times. It implements what astro/app/node's
 * writeResponse uses: writeHead, write, end, on/off, destroy, req.
 */
class CapturedResponse extends EventEmitter {
  statusCode = 200;
  statusMessage = '';
  headersSent = false;
  writableEnded = false;
  private chunks: Buffer[] = [];
  private headers: Record<string, string | string[]> = {};
  readonly done: Promise<RenderedPage>;
  private resolve!: (page: RenderedPage) => void;
  private reject!: (err: unknown) => void;

  readonly req: IncomingMessage;

  constructor(req: IncomingMessage) {
    super();
    this.req = req;
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
  setHeader(name: string, value: string | number | string[]) {
    this.headers[name.toLowerCase()] = Array.isArray(value) ? value.map(String) : String(value);
    return this;
  }
  getHeader(name: string) {
    return this.headers[name.toLowerCase()];
  }
  removeHeader(name: string) {
    delete this.headers[name.toLowerCase()];
  }
  writeHead(status: number, headers?: Record<string, string | string[] | number | undefined> | string[]) {
    this.statusCode = status;
    if (headers && !Array.isArray(headers))
      for (const [k, v] of Object.entries(headers)) if (v !== undefined) this.setHeader(k, v);
    this.headersSent = true;
    return this;
  }
  write(chunk: string | Uint8Array, cb?: () => void) {
    // A Uint8Array is taken as it is (a view, no copy): Astro hands each chunk over and keeps none.
    this.chunks.push(
      typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength),
    );
    cb?.();
    return true;
  }
  end(chunk?: string | Uint8Array | (() => void)) {
    if (chunk && typeof chunk !== 'function') this.write(chunk);
    this.headersSent = true;
    this.writableEnded = true;
    this.emit('finish');
    this.emit('close');
    // A page rendered to one string (astro.config.mjs) is one chunk: no concatenation.
    const body = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    this.resolve({ status: this.statusCode, headers: this.headers, body });
    return this;
  }
  destroy(err?: unknown) {
    this.emit('close');
    this.reject(err ?? new Error('La página se interrumpió al generarse.'));
    return this;
  }
}

export interface PageRenderer {
  /** The build's client folder: bundled assets and pre-rendered pages. */
  clientDir: string;
  /** Renders a GET page to bytes without sending anything; null when no page route matches the path. */
  render(req: IncomingMessage, locals: PageLocals): Promise<RenderedPage | null>;
  /** Lets Astro answer directly (form posts); false, with nothing sent, when no page route matches. */
  passthrough(req: IncomingMessage, res: ServerResponse, locals: PageLocals): Promise<boolean>;
}

export async function loadPageRenderer(serverEntry: string): Promise<PageRenderer> {
  const mod = (await import(pathToFileURL(serverEntry).href)) as { handler: AstroHandler };
  const handler = mod.handler;
  // Given a `next`, the handler calls it when no route matches instead of rendering the 404 page
  // without our locals (where the console's guard could not find a session): the server answers
  // those itself, without a rendering.
  const run = async (req: IncomingMessage, res: ServerResponse, locals: PageLocals): Promise<boolean> => {
    let matched = true;
    await handler(
      req,
      res,
      (err?: unknown) => {
        if (err) throw err;
        matched = false;
      },
      locals,
    );
    return matched;
  };
  return {
    clientDir: join(dirname(serverEntry), '..', 'client'),
    async render(req, locals) {
      const res = new CapturedResponse(req);
      return (await run(req, res as unknown as ServerResponse, locals)) ? res.done : null;
    },
    passthrough: run,
  };
}

/**
 * A GET of `url` that no client sent: how the publisher (api/publish) asks for a page, so the
 * snapshot holds exactly what Node answers. No peer address (nothing forwarded is believed) and
 * no Accept-Encoding (the bytes are compressed once, for every reader).
 */
export function syntheticGet(url: string, host: string): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.method = 'GET';
  req.url = url;
  req.headers = { host };
  synthetic.add(req);
  return req;
}

const synthetic = new WeakSet<IncomingMessage>();

/** The publisher's own requests are not counted against the render budget: it renders each path once per change. */
export function isSynthetic(req: IncomingMessage): boolean {
  return synthetic.has(req);
}

/** One token bucket: `perSecond` refill, `burst` capacity. */
class Bucket {
  tokens: number;
  last: number;
  constructor(burst: number, now: number) {
    this.tokens = burst;
    this.last = now;
  }
  take(now: number, perSecond: number, burst: number): boolean {
    this.tokens = Math.min(burst, this.tokens + ((now - this.last) / 1000) * perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export interface RenderBudgetOptions {
  /** Renders per second one client (api/clientIp.ts's key: an address, an IPv6 /64) may cause, and its burst. */
  perClient?: number;
  clientBurst?: number;
  /** Renders per second all clients together may cause, and the burst: what keeps the event loop free. */
  perSecond?: number;
  burst?: number;
  clock?: () => number;
}

/**
 * Page renders that requests outside the cache may cause (token buckets). A page is ~15 ms of
 * CPU: unique URLs (random query strings, made-up incident ids, free-text form answers) would
 * otherwise make every request a rendering and starve the event loop. Each client address has its
 * own bucket, drawn first, so one client spending its own cannot spend everyone's (a flood of
 * unique URLs from one address left `/incidentes/:id` and `/mi-servicio/:id` answering 503 to
 * everyone); the shared bucket caps the total. The few fixed public paths (`/`, `/historial`…)
 * are not counted, so they render right after a write whatever the load; unknown paths are
 * answered 404 without a rendering at all.
 */
export class RenderBudget {
  private readonly clients = new Map<string, Bucket>();
  private readonly shared: Bucket;
  private readonly perClient: number;
  private readonly clientBurst: number;
  private readonly perSecond: number;
  private readonly burst: number;
  private readonly clock: () => number;
  /** Buckets kept at most; a full (idle) bucket is the same as none, so the oldest go first. */
  static readonly MAX_CLIENTS = 10_000;

  constructor(options: RenderBudgetOptions = {}) {
    this.perClient = options.perClient ?? 20;
    this.clientBurst = options.clientBurst ?? 40;
    this.perSecond = options.perSecond ?? 50;
    this.burst = options.burst ?? 100;
    this.clock = options.clock ?? Date.now;
    this.shared = new Bucket(this.burst, this.clock());
  }

  /** One rendering for `client`, if both its own bucket and the shared one allow it. */
  take(client: string): boolean {
    const now = this.clock();
    let own = this.clients.get(client);
    if (own) this.clients.delete(client);
    else {
      own = new Bucket(this.clientBurst, now);
      if (this.clients.size >= RenderBudget.MAX_CLIENTS) this.clients.delete(this.clients.keys().next().value!);
    }
    // Most recently seen last, so the oldest is first to go.
    this.clients.set(client, own);
    if (!own.take(now, this.perClient, this.clientBurst)) return false;
    if (this.shared.take(now, this.perSecond, this.burst)) return true;
    own.tokens += 1; // not spent: the shared bucket said no
    return false;
  }
}

// The catch-all route (mounted by createApp in api/app.ts after every API route).

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

/** RFC 9110 §15.6.4: over the render budget, come back in a second. */
export function tooBusy(): Response {
  const html =
    '<!doctype html><html lang="es-MX"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Demasiadas solicitudes · SOMNET</title></head><body><main><h1>Demasiadas solicitudes</h1><p>El sitio está atendiendo muchas solicitudes. Intente de nuevo en unos segundos, o vea el <a href="/">estado actual de la red</a>.</p></main></body></html>';
  return new Response(html, {
    status: 503,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'retry-after': '1',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}

function htmlContentType(type: string | undefined): string {
  return !type || /^text\/html\s*$/i.test(type) ? 'text/html; charset=utf-8' : type;
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

/** What mountPages needs from the app it is mounted in. */
export interface PageRouteOptions {
  /** Renders per second for URLs outside the cache (tests give a small one). */
  renderBudget?: RenderBudget;
  /** The methods the app's own routes answer for a path (a 405 for a page lists them). */
  allowedMethods: (path: string) => string[];
  /** The API's OpenAPI description, for the reference page /integraciones/api. */
  apiDescription: () => ApiDescription;
}

/**
 * The catch-all behind every API route: the built Astro site. A GET or HEAD is answered from the
 * build's files or the page cache, else rendered once (concurrent misses share it, a per-visitor
 * page is never kept) within the render budget; a POST (a form) has its body read here, within
 * its limit, then goes to Astro as it is; any other method is a 405.
 */
export function mountPages(
  app: Hono<{ Bindings: HttpBindings }>,
  deps: AppDeps,
  pages: PageRenderer,
  options: PageRouteOptions,
): void {
  const { allowedMethods } = options;
  const baseLocals = {
    db: deps.db,
    now: deps.now,
    publicUrl: deps.config.publicUrl,
    mapTileUrl: deps.config.mapTileUrl,
    maintenanceMaxHours: deps.config.maintenanceMaxHours,
    prometheusUrl: deps.config.prometheusUrl ? redactedUrl(deps.config.prometheusUrl) : undefined,
    notifyConfirmAbove: deps.config.channels?.confirmAbove,
    channels: {
      ...channelPolicy(deps.config),
      telegramBot: deps.config.channels?.telegram?.botUsername,
    },
    auth: authConfig(deps.config),
    apiDescription: options.apiDescription,
  };
  const staticFiles = loadStaticFiles(pages.clientDir, PAGE_HEADERS);
  deps.staticFiles = staticFiles;
  const budget = options.renderBudget ?? new RenderBudget();
  // Concurrent misses for one public page share a single rendering — readers' and the publisher's
  // alike (`/` once per change) — if it began after the last change: one begun before it is not the page now.
  const inFlight = new Map<string, { generation: number; rendering: Promise<RenderedResult> }>();
  const joinable = (key: string) => {
    const pending = inFlight.get(key);
    return pending && pending.generation === deps.cache.currentGeneration ? pending.rendering : undefined;
  };
  const shared = async (key: string, render: () => Promise<RenderedResult>): Promise<RenderedResult> => {
    const mine = { generation: deps.cache.currentGeneration, rendering: render() };
    inFlight.set(key, mine);
    try {
      return await mine.rendering;
    } finally {
      if (inFlight.get(key) === mine) inFlight.delete(key);
    }
  };
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
      // For a reader, its gzip and brotli forms made in the thread pool: those waiting for this
      // rendering (`/` right after a change) get them without compressing on the event loop. A
      // publish's rendering (synthetic) compresses as its file needs (api/publish/files.ts).
      if (!isSynthetic(req)) await compressEntry(entry);
      if (entry.status === 200) deps.cache.set(key, generation, entry);
      return { private: false, entry };
    });
  };
  const host = new URL(deps.config.publicUrl).host;
  // What the GET below does for a synthetic request of a page path, without Hono's request and
  // response around Astro's (a fifth of a history page's CPU in a full publish).
  deps.renderPage = async (path) => {
    const req = syntheticGet(path, host);
    const client = settleForwardedHeaders(req, deps.trustedProxies, deps.config.publicUrl);
    const locals = { ...baseLocals, clientAddress: client.key, clientIp: client.address };
    const result = await (joinable(path) ?? shared(path, () => renderPage(req, path, locals)));
    return result.private || result.unknown || result.entry.status !== 200 ? null : result.entry;
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
      const pending = joinable(key);
      if (pending && !(result = await readerRendering(pending)).private) {
        if (result.unknown) return notFoundResponse(result.entry, c.req.path, c.req.method);
        entry = result.entry;
        // A publish's rendering is not compressed for readers: in the thread pool, not on the loop.
        await compressEntry(entry);
      } else {
        const fixedPublicPath = key === c.req.path && publicRouteOf(key)?.path === key;
        // Counted once a page route matched (site/middleware.ts asks), so a path no route
        // matches is a 404 whatever is left of the client's budget. Asked once per request: a
        // page that answers 404 passes the middleware again for 404.astro.
        if (!fixedPublicPath && !key.startsWith('/noc') && !isSynthetic(req)) {
          let admitted: boolean | undefined;
          locals.admitRender = () => (admitted ??= budget.take(client.key));
        }
        result = await readerRendering(shared(key, () => renderPage(req, key, locals)));
        if (result.private) return result.response;
        // No page route matched: answered with the shared 404 page, nothing was rendered.
        if (result.unknown) return notFoundResponse(result.entry, c.req.path, c.req.method);
        entry = result.entry;
      }
    }
    return toResponse(replyFor(entry, c.req.method, c.req.header('accept-encoding'), c.req.header('if-none-match')));
  });
}
