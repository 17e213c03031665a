import { startServer, type RunningServer } from '../../api/server.ts';
import { createApiToken } from '#db/commands/tokens.ts';
import type { Db } from '#db/client.ts';
import type { BackgroundWorker } from '../../api/workers/index.ts';
import type { Config } from '../../api/config.ts';
import { freshDb, testConfig } from './db.ts';
import type { RenderBudget } from '../../api/pages.ts';

/** The real server (built Astro site + Hono) on a random port over a fresh database. */
export async function startTestServer(
  options: {
    db?: Db;
    now?: () => Date;
    workers?: BackgroundWorker[];
    publicUrl?: string;
    config?: Partial<Config>;
    publishDir?: string;
    publishCommand?: string;
    renderBudget?: RenderBudget;
  } = {},
) {
  const db = options.db ?? freshDb();
  const running: RunningServer = await startServer({
    db,
    config: {
      ...testConfig,
      port: 0,
      host: '127.0.0.1',
      ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
      ...(options.publishDir ? { publishDir: options.publishDir, publishCommand: options.publishCommand } : {}),
      ...options.config,
    },
    now: options.now,
    workers: options.workers ?? [],
    renderBudget: options.renderBudget,
  });
  const { token } = createApiToken(db, `tests-${Math.random().toString(36).slice(2)}`, new Date());
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${running.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  return { ...running, db, token, api };
}
