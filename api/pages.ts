import { EventEmitter } from 'node:events';
import { IncomingMessage, type ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import type { PageLocals } from './context.ts';

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
    this.chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
    cb?.();
    return true;
  }
  end(chunk?: string | Uint8Array | (() => void)) {
    if (chunk && typeof chunk !== 'function') this.write(chunk);
    this.headersSent = true;
    this.writableEnded = true;
    this.emit('finish');
    this.emit('close');
    this.resolve({ status: this.statusCode, headers: this.headers, body: Buffer.concat(this.chunks) });
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
    this.perClient = options.perClient ?? 10;
    this.clientBurst = options.clientBurst ?? 20;
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
