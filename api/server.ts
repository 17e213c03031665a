import { createServer, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { Db } from '../db/client.ts';
import { createApp } from './app.ts';
import { RenderedCache, replyFor } from './cache.ts';
import type { Config } from './config.ts';
import { loadPageRenderer } from './pages.ts';
import { activeBuild, buildLayout } from './paths.ts';
import { workers as defaultWorkers, type BackgroundWorker } from './workers/index.ts';

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
  close(): Promise<void>;
}

/**
 * Listens on config.host:config.port. Cached GET/HEAD answers are sent straight from memory
 * before Hono is involved: that path is the one a crowd of customers hits during an outage.
 */
export async function startServer(options: { db: Db; config: Config; now?: () => Date; entry?: string; workers?: BackgroundWorker[] }): Promise<RunningServer> {
  options.db.$client.pragma(`busy_timeout = ${REQUEST_BUSY_TIMEOUT_MS}`);
  const build = options.entry ? undefined : activeBuild();
  if (!options.entry && !build) throw new Error('El sitio no está construido: ejecute npm run build (npm start lo hace solo).');
  const pages = await loadPageRenderer(options.entry ?? buildLayout.serverEntry(build!));
  const cache = new RenderedCache(options.db, { externalCheckMs: 50 });
  const { app, deps } = createApp({ db: options.db, config: options.config, now: options.now, pages, cache });
  const honoListener = getRequestListener(app.fetch);
  const server = createServer((req, res) => {
    if ((req.method === 'GET' || req.method === 'HEAD') && req.url) {
      const entry = deps.staticFiles?.get(req.url) ?? deps.cache.get(req.url);
      if (entry) {
        const reply = replyFor(entry, req.method, req.headers['accept-encoding'], req.headers['if-none-match'] as string | undefined, req.headers['if-modified-since']);
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body);
        return;
      }
    }
    void honoListener(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.config.port, options.config.host, () => resolve());
  });
  const stops = (options.workers ?? defaultWorkers).map((w) => w.start(deps));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.config.port;
  const host = options.config.host === '0.0.0.0' || options.config.host === '::' ? 'localhost' : options.config.host;
  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: async () => {
      await Promise.all(stops.map((stop) => stop()));
      await new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
    },
  };
}
