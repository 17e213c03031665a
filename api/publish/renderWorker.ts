// A render worker of a full publish (api/publish/renderPool.ts), a child process: its own
// read-only connection to the database and its own copy of the built site, rendering the paths
// it is sent as Node serves them (createApp's renderPublic) and compressing them as the snapshot
// stores them. The bytes go back to the server (or `npm run export`), which writes the files:
// rendering takes other cores, not its event loop. Its settings come as the first message.
import { openReader } from '#db/client.ts';
import { MIN_COMPRESSIBLE_BYTES } from '../cache.ts';
import type { Config } from '../config.ts';
import { loadSite } from '../server.ts';
import { gzipHistory, type Compression } from './files.ts';

export interface RenderWorkerData {
  databasePath: string;
  config: Config;
  /** The build's server entry (the same build as the main thread's). */
  entry?: string;
}

export interface RenderTask {
  id: number;
  path: string;
  /** The ETag of the bytes on disk: the same bytes come back as `same`, uncompressed. */
  etag?: string;
  compression: Compression;
  /** The main thread's clock when it sent the task. */
  now: number;
}

export type RenderResult =
  | { id: number; kind: 'none' }
  | { id: number; kind: 'same'; etag: string }
  | {
      id: number;
      kind: 'entry';
      etag: string;
      body: Uint8Array;
      gzip: Uint8Array | null;
      br: Uint8Array | null;
      headers: Record<string, string>;
    }
  | { id: number; kind: 'error'; message: string };

const send = (message: RenderResult | { ready: true }) => process.send!(message);
const data = await new Promise<RenderWorkerData>((resolve) => process.once('message', resolve));
let clock = Date.now();
const db = openReader(data.databasePath);
const { renderPublic } = await loadSite({ db, config: data.config, entry: data.entry, now: () => new Date(clock) });
// The parent gone (killed, crashed): nothing left to render for.
process.on('disconnect', () => process.exit(0));

process.on('message', async (task: RenderTask) => {
  clock = task.now;
  let result: RenderResult;
  try {
    // Nothing is kept: each path is rendered once per full publish.
    const entry = await renderPublic(task.path, { fresh: true, keep: false });
    if (!entry) result = { id: task.id, kind: 'none' };
    else if (entry.etag === task.etag) result = { id: task.id, kind: 'same', etag: entry.etag };
    else {
      const compressible = entry.body.length >= MIN_COMPRESSIBLE_BYTES;
      const hot = task.compression === 'hot';
      result = {
        id: task.id,
        kind: 'entry',
        etag: entry.etag,
        body: entry.body,
        gzip: !compressible ? null : hot ? entry.gzip : gzipHistory(entry.body),
        br: compressible && hot ? entry.br : null,
        headers: entry.headers,
      };
    }
  } catch (err) {
    result = { id: task.id, kind: 'error', message: (err as Error).message };
  }
  send(result);
});
send({ ready: true });
