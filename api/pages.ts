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
  /** Renders a GET page to bytes without sending anything. */
  render(req: IncomingMessage, locals: PageLocals): Promise<RenderedPage>;
  /** Lets Astro answer directly (form posts and other non-cacheable requests). */
  passthrough(req: IncomingMessage, res: ServerResponse, locals: PageLocals): Promise<void>;
}

export async function loadPageRenderer(serverEntry: string): Promise<PageRenderer> {
  const mod = (await import(pathToFileURL(serverEntry).href)) as { handler: AstroHandler };
  const handler = mod.handler;
  return {
    clientDir: join(dirname(serverEntry), '..', 'client'),
    async render(req, locals) {
      const res = new CapturedResponse(req);
      await handler(req, res as unknown as ServerResponse, undefined, locals);
      return res.done;
    },
    async passthrough(req, res, locals) {
      await handler(req, res, undefined, locals);
    },
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

/**
 * Page renders per second that requests outside the cache may cause (a token bucket). A page is
 * ~15 ms of CPU: unique URLs (random query strings, unknown paths, free-text form answers) would
 * otherwise make every request a rendering and starve the event loop. The few fixed public paths
 * (`/`, `/historial`…) are not counted, so they render right after a write whatever the load.
 */
export class RenderBudget {
  private tokens: number;
  private last: number;
  private readonly perSecond: number;
  private readonly burst: number;
  private readonly clock: () => number;
  constructor(perSecond = 50, burst = 100, clock: () => number = Date.now) {
    this.perSecond = perSecond;
    this.burst = burst;
    this.clock = clock;
    this.tokens = burst;
    this.last = clock();
  }
  take(): boolean {
    const now = this.clock();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
