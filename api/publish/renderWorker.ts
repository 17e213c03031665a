// A render worker of a full publish (api/publish/renderPool.ts), a child process: its own
// read-only connection to the database and its own copy of the built site, rendering the paths
// it is sent as Node serves them (createApp's renderPublic) and compressing them as the snapshot
// stores them. The bytes go back to the server (or `npm run export`), which writes the files:
// rendering takes other cores, not its event loop. Its settings come as the first message.
import { openReader } from '#db/client.ts';
import { forgetIncidents, keepIncidents } from '#db/queries/incidents.ts';
import { catalogueKept, keepCatalogue } from '#db/queries/catalog.ts';
import { forgetStatusHistory, keepStatusHistory } from '#db/queries/availability.ts';
import { forgetFeedSnapshots, keepFeedSnapshots } from '#db/queries/feeds.ts';
import { MIN_COMPRESSIBLE_BYTES, RenderedCache } from '../cache.ts';
import type { Config } from '../config.ts';
import { loadSite } from '../server.ts';
import { fileFor, gzipHistory, gzipOnlyFile, writeNewFile, type Compression } from './files.ts';
import { incidentOfPage, type RenderBatch } from './renderPool.ts';

export interface RenderWorkerData {
  databasePath: string;
  config: Config;
  /** The build's server entry (the same build as the main thread's). */
  entry?: string;
  /**
   * The directory of an export into an empty directory (SnapshotDir.writesInPlace): a task with
   * `write` has its files written here by the worker itself, and only their names go back.
   */
  writeDir?: string;
}

export interface RenderTask {
  id: number;
  path: string;
  /** The ETag of the bytes on disk: the same bytes come back as `same`, uncompressed. */
  etag?: string;
  compression: Compression;
  /** The main thread's clock when it sent the task. */
  now: number;
  /**
   * A path not yet in the export's directory (RenderWorkerData.writeDir): the worker writes its
   * files there, with this modification time (seconds), and answers `written`.
   */
  write?: number;
}

export type RenderResult =
  | { id: number; kind: 'none' }
  | { id: number; kind: 'same'; etag: string }
  | {
      id: number;
      kind: 'entry';
      etag: string;
      /**
       * Null for a history page stored as its .gz alone (api/publish/files.ts, gzipOnlyFile): those
       * bytes are never written, so they do not travel (three quarters of an export's IPC bytes).
       */
      body: Uint8Array | null;
      /** The plain body's length. */
      bodyLength: number;
      gzip: Uint8Array | null;
      br: Uint8Array | null;
      headers: Record<string, string>;
    }
  /** Its files written by the worker (RenderTask.write): their names, relative to the directory. */
  | { id: number; kind: 'written'; etag: string; files: string[] }
  | { id: number; kind: 'error'; message: string };

const send = (message: RenderResult | RenderResults | { ready: true }) => process.send!(message);

/**
 * Answers without bytes (files the worker wrote itself, nothing to write, an error) sent together
 * at the end of a batch: each message wakes the parent, and at one per path that cost as much as
 * the bytes did (measured at 20,000 incidents: 2.7 s of socket writes per worker for answers of a
 * few dozen bytes).
 */
export interface RenderResults {
  results: RenderResult[];
}
const data = await new Promise<RenderWorkerData>((resolve) => process.once('message', resolve));
let clock = Date.now();
const db = openReader(data.databasePath);
// Nothing is kept in its cache (each path is rendered once): it never looks for writes by
// others, which would cost a `PRAGMA data_version` on every lookup of every page.
const cache = new RenderedCache(db, { externalCheckMs: Number.POSITIVE_INFINITY });
const { renderPublic } = await loadSite({
  db,
  config: data.config,
  entry: data.entry,
  cache,
  now: () => new Date(clock),
});
// The parent gone (killed, crashed): nothing left to render for.
process.on('disconnect', () => process.exit(0));
// Ended by the pool: exit as a process does (a --cpu-prof profile is written, for one).
process.on('SIGTERM', () => process.exit(0));

async function renderOne(task: RenderTask): Promise<RenderResult> {
  clock = task.now;
  try {
    // Nothing is kept: each path is rendered once per full publish.
    const entry = await renderPublic(task.path, { fresh: true, keep: false });
    if (!entry) return { id: task.id, kind: 'none' };
    if (entry.etag === task.etag) return { id: task.id, kind: 'same', etag: entry.etag };
    const compressible = entry.body.length >= MIN_COMPRESSIBLE_BYTES;
    const hot = task.compression === 'hot';
    const name = fileFor(task.path);
    const gzipOnly = gzipOnlyFile(name, compressible, task.compression);
    const body = gzipOnly ? null : entry.body;
    const gzip = !compressible ? null : hot ? entry.gzip : gzipHistory(entry.body);
    const br = compressible && hot ? entry.br : null;
    if (task.write !== undefined && data.writeDir) {
      // As SnapshotDir.write writes a new path: the compressed forms first, then the plain file.
      const files: string[] = [];
      for (const [file, bytes] of [
        [`${name}.gz`, gzip],
        [`${name}.br`, br],
        [name, body],
      ] as const) {
        if (!bytes) continue;
        writeNewFile(data.writeDir, file, bytes, task.write);
        files.push(file);
      }
      return { id: task.id, kind: 'written', etag: entry.etag, files };
    }
    return {
      id: task.id,
      kind: 'entry',
      etag: entry.etag,
      body,
      bodyLength: entry.body.length,
      gzip,
      br,
      headers: entry.headers,
    };
  } catch (err) {
    return { id: task.id, kind: 'error', message: (err as Error).message };
  }
}

const startRead = db.$client.prepare('SELECT 1 FROM sqlite_schema LIMIT 1');
const dataVersion = db.$client.prepare('PRAGMA data_version').pluck();
/** PRAGMA data_version when what is kept across batches was read. */
let keptAt: unknown;

/**
 * Begins a batch's read transaction. What the worker keeps across batches (the catalogue's rows,
 * every status event, the last feed snapshots: db/queries/catalog.ts keepCatalogue,
 * db/queries/availability.ts keepStatusHistory, db/queries/feeds.ts keepFeedSnapshots) is read again only when another connection committed since it was read:
 * `PRAGMA data_version` is asked once the transaction's snapshot has begun, so a commit just
 * before it is seen (and one just after only costs a needless reload).
 */
function beginSnapshot(): void {
  db.$client.exec('BEGIN');
  startRead.get();
  const version = dataVersion.get();
  if (version === keptAt && catalogueKept(db)) return;
  keepCatalogue(db);
  forgetStatusHistory(db);
  keepStatusHistory(db);
  forgetFeedSnapshots(db);
  keepFeedSnapshots(db);
  keptAt = version;
}

/**
 * A batch in one read transaction (one snapshot of the database), its incidents loaded together
 * beforehand: a few queries for the batch instead of several per page (db/queries/incidents.ts,
 * keepIncidents).
 */
async function renderBatch(batch: RenderTask[]): Promise<void> {
  const incidentIds = batch.flatMap((t) => incidentOfPage(t.path) ?? []);
  let done = 0;
  const small: RenderResult[] = [];
  beginSnapshot();
  try {
    if (incidentIds.length > 0) keepIncidents(db, incidentIds);
    for (const task of batch) {
      const result = await renderOne(task);
      if (result.kind === 'entry') send(result);
      else small.push(result);
      done++;
    }
  } catch (err) {
    for (const task of batch.slice(done)) small.push({ id: task.id, kind: 'error', message: (err as Error).message });
  } finally {
    forgetIncidents(db);
    db.$client.exec('COMMIT');
    if (small.length > 0) send({ results: small });
  }
}

// Batches one after the other: a transaction and the incidents kept are the batch's alone.
let queue = Promise.resolve();
process.on('message', (message: RenderBatch) => {
  queue = queue.then(() => renderBatch(message.batch));
});
send({ ready: true });
