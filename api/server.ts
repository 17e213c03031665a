import { createServer, type Server } from 'node:http';
import { basename, dirname } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import type { Db } from '#db/client.ts';
import { createApp } from './app.ts';
import { RenderedCache, replyFor } from './cache.ts';
import type { Config } from './config.ts';
import { loadPageRenderer, type RenderBudget } from './pages.ts';
import { Publisher } from './publish/publisher.ts';
import { cacheKeyFor } from './publish/routes.ts';
import { activeBuild, buildLayout } from './paths.ts';
import { workers as defaultWorkers, type BackgroundWorker } from './workers/index.ts';
import { BackgroundLease, type BackgroundWork } from './background.ts';
import { SnapshotDir } from './publish/files.ts';
import { newLeaseOwner } from '#db/commands/lease.ts';
import { countRequest } from './metrics/registry.ts';

/**
 * How long a request's write waits for another process's write lock (the `noc` CLI, a backup
 * tool) before answering 503 with Retry-After. better-sqlite3 waits on the event loop, so every
 * other request waits too: our own transactions take milliseconds, and a lock held longer than
 * this is not going to be released sooner by waiting.
 */
export const REQUEST_BUSY_TIMEOUT_MS = 250;

export interface RunningServer {
  server: Server;
  url: string;
  /** Keeps config.publishDir current, when set and while this server holds the background lease. */
  readonly publisher?: Publisher;
  /** Whether this server does the background work (it holds the lease) or serves HTTP alone, on standby. */
  background: BackgroundLease;
  close(): Promise<void>;
}

/** The built site behind the Hono app, without a listener (the server and `npm run export`). */
export async function loadSite(options: {
  db: Db;
  config: Config;
  now?: () => Date;
  entry?: string;
  cache?: RenderedCache;
  renderBudget?: RenderBudget;
}) {
  const build = options.entry ? undefined : activeBuild();
  if (!options.entry && !build)
    throw new Error('El sitio no está construido: ejecute npm run build (npm start lo hace solo).');
  const pages = await loadPageRenderer(options.entry ?? buildLayout.serverEntry(build!));
  return createApp({
    db: options.db,
    config: options.config,
    now: options.now,
    pages,
    cache: options.cache,
    renderBudget: options.renderBudget,
  });
}

/** One year, this host only: the site is public and always served over HTTPS once PUBLIC_URL says so. */
export const HSTS_VALUE = 'max-age=31536000';

/**
 * The Strict-Transport-Security header every answer carries when the public address is https
 * (browsers ignore it over plain http; nginx sends the same for the files it serves itself).
 */
export function strictTransportSecurity(publicUrl: string): string | null {
  return publicUrl.startsWith('https://') ? HSTS_VALUE : null;
}

/**
 * Listens on config.host:config.port. Cached GET/HEAD answers are sent straight from memory
 * before Hono is involved: that path is the one a crowd of customers hits during an outage.
 */
export async function startServer(options: {
  db: Db;
  config: Config;
  now?: () => Date;
  entry?: string;
  workers?: BackgroundWorker[];
  renderBudget?: RenderBudget;
  /** How often the background lease is renewed or looked at (tests shorten it). */
  leaseBeatMs?: number;
}): Promise<RunningServer> {
  options.db.$client.pragma(`busy_timeout = ${REQUEST_BUSY_TIMEOUT_MS}`);
  const cache = new RenderedCache(options.db, { externalCheckMs: 50 });
  const { app, deps, renderPublic } = await loadSite({ ...options, cache });
  const owner = newLeaseOwner();
  deps.instanceId = owner.id;
  // Checked before listening: a PUBLISH_DIR that cannot be used stops the start.
  const publishDir = options.config.publishDir;
  if (publishDir) new SnapshotDir(publishDir);
  const newPublisher = (dir: string) =>
    new Publisher({
      db: options.db,
      dir,
      render: renderPublic,
      pool: {
        config: options.config,
        ...(options.entry ? { entry: options.entry } : {}),
        ...(options.config.publishWorkers !== undefined ? { size: options.config.publishWorkers } : {}),
      },
      staticFiles: deps.staticFiles,
      now: options.now,
      command: options.config.publishCommand,
      origin: {
        build: basename(options.entry ? dirname(dirname(options.entry)) : (activeBuild() ?? '')),
        publicUrl: options.config.publicUrl,
      },
    });
  // What only the holder of the background lease runs. A publisher is made afresh at each
  // takeover: it reads the snapshot's manifest as the previous holder left it.
  let publisher: Publisher | undefined;
  let stops: Array<() => Promise<void> | void> = [];
  const work: BackgroundWork = {
    start() {
      stops = (options.workers ?? defaultWorkers).map((w) => w.start(deps));
      publisher = publishDir ? newPublisher(publishDir) : undefined;
      deps.publishing = publisher;
      publisher?.start();
    },
    async stop() {
      const [p, s] = [publisher, stops];
      publisher = undefined;
      deps.publishing = undefined;
      stops = [];
      await p?.stop();
      await Promise.all(s.map((stop) => stop()));
    },
  };
  const background = new BackgroundLease({ db: options.db, owner, work, beatMs: options.leaseBeatMs });
  deps.background = background;
  const honoListener = getRequestListener(app.fetch);
  const hsts = strictTransportSecurity(options.config.publicUrl);
  const server = createServer((req, res) => {
    // Merged into whatever the answer's own headers are (writeHead keeps headers set before it).
    if (hsts) res.setHeader('strict-transport-security', hsts);
    if ((req.method === 'GET' || req.method === 'HEAD') && req.url) {
      const entry = deps.staticFiles?.get(req.url) ?? deps.cache.get(cacheKeyFor(req.url));
      if (entry) {
        const reply = replyFor(
          entry,
          req.method,
          req.headers['accept-encoding'],
          req.headers['if-none-match'] as string | undefined,
          req.headers['if-modified-since'],
        );
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body);
        countRequest(req.url, reply.status);
        return;
      }
    }
    // Counted once answered (or abandoned), with the status it got.
    const url = req.url ?? '/';
    res.once('close', () => countRequest(url, res.statusCode));
    void honoListener(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.config.port, options.config.host, () => resolve());
  });
  background.begin();
  await background.settled();
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.config.port;
  const host = options.config.host === '0.0.0.0' || options.config.host === '::' ? 'localhost' : options.config.host;
  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    get publisher() {
      return publisher;
    },
    background,
    close: async () => {
      await background.close();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
