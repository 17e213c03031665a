// SQLite copies its write-ahead log back into the database file (a checkpoint) whenever a
// commit leaves the log past 1,000 pages, in that commit: on the server's one thread, where it
// held every request for 20–40 ms on a loaded machine (the copy and its fsync), and fell inside
// whichever request committed then — a notifying POST, or a fan-out's slice with readers of `/`
// waiting behind it. The lease holder moves it to a worker thread (./walCheckpointThread.ts)
// that checkpoints every second; the server's own connection keeps SQLite's automatic
// checkpoint only as a safety net far above that (AUTOCHECKPOINT_FALLBACK_PAGES), should the
// thread stop. Other processes (the `noc` CLI, a standby server) keep SQLite's default.
import { Worker } from 'node:worker_threads';
import type { BackgroundWorker } from './index.ts';

/** How often the thread checkpoints. */
export const CHECKPOINT_EVERY_MS = 1_000;

/**
 * The server connection's automatic checkpoint while the thread runs: 25,000 pages (~100 MB of
 * log), which only a thread that stopped lets the log reach.
 */
export const AUTOCHECKPOINT_FALLBACK_PAGES = 25_000;

/** SQLite's default, given back when the worker stops. */
const SQLITE_DEFAULT_AUTOCHECKPOINT = 1_000;

export function walCheckpointWorker(options: { everyMs?: number } = {}): BackgroundWorker {
  return {
    name: 'wal-checkpoint',
    start(deps) {
      const client = deps.db.$client;
      // An in-memory database (tests) has no log to copy.
      if (client.memory || client.name === '' || client.name === ':memory:') return () => {};
      let thread: Worker | undefined = new Worker(new URL('./walCheckpointThread.ts', import.meta.url), {
        workerData: { path: client.name, everyMs: options.everyMs ?? CHECKPOINT_EVERY_MS },
        resourceLimits: { maxYoungGenerationSizeMb: 4 },
      });
      thread.unref();
      client.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_FALLBACK_PAGES}`);
      const fallBack = (why: string) => {
        if (!thread) return;
        thread = undefined;
        if (client.open) client.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
        console.error(`Copia del registro de escritura a la base de datos: ${why}; la hace SQLite al confirmar.`);
      };
      thread.on('message', (m: { kind: string; message?: string }) => {
        if (m.kind === 'failed') console.error(`Copia del registro de escritura a la base de datos: ${m.message}`);
      });
      thread.on('error', (err) => fallBack(err.message));
      thread.on('exit', (code) => {
        if (code !== 0) fallBack(`el hilo terminó (código ${code})`);
      });
      return async () => {
        const t = thread;
        thread = undefined;
        if (!t) return;
        if (client.open) client.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
        const exited = new Promise((resolve) => t.once('exit', resolve));
        t.postMessage('stop');
        await exited;
      };
    },
  };
}
