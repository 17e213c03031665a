// The thread of api/workers/fanout.ts: its own connection to the database file, which expands
// fan-outs into their outbox rows (db/outbox/fanout.ts) off the server's event loop, so that the
// CPU of 11,600 link tokens and rows (~0.4 s at ten years of history) is not spent between the
// requests of customers reading `/` right after a notifying change. Each slice is the same short
// transaction as on the event loop (rows, chunk removal and cursor together: exactly once across
// kill -9). SQLite lets one connection write at a time: the thread never waits inside SQLite for
// the lock (a busy slice is tried again a moment later) and, after each slice, leaves the lock
// free for at least as long as it held it, so a request's write waiting for it (busy_timeout,
// api/server.ts) finds it free within a few milliseconds.
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '#db/client.ts';
import { isDatabaseBusy } from '#db/commands/transaction.ts';
import { expandFanOutSlice, hasUnfinishedFanOut } from '#db/outbox/fanout.ts';
import { waitForReaders } from '../readersFirst.ts';
// Every channel's fan-out registers how its recipients become rows.
import '#db/notifications/channels.ts';

/** The shortest pause between two slices, whatever the last one took. */
const MIN_PAUSE_MS = 2;
/** How long a slice that found the database busy waits before trying again. */
const BUSY_RETRY_MS = 5;

export type FanOutThreadMessage =
  | { kind: 'expanded'; recipients: number; slices: number; busy: number; ms: number }
  | { kind: 'failed'; message: string };

const { path, owner, commits, readers } = workerData as {
  path: string;
  owner: string | null;
  commits: Int32Array;
  readers: Int32Array;
};
const db = openDatabase(path, { migrate: false });
db.$client.pragma('busy_timeout = 0');
const port = parentPort!;

/** The server's clock at the last wake (a test's clock), advanced by real time since. */
let clock = { at: Date.now(), received: Date.now() };
const now = () => new Date(clock.at + (Date.now() - clock.received));

let running = false;
let again = false;
let stopping = false;

function finish(): void {
  db.$client.close();
  port.close();
}

async function run(): Promise<void> {
  if (running) {
    again = true;
    return;
  }
  running = true;
  try {
    do {
      again = false;
      if (!hasUnfinishedFanOut(db)) continue;
      const started = performance.now();
      let recipients = 0;
      let slices = 0;
      let busy = 0;
      while (!stopping) {
        // Readers first: a reader of the server waiting for `/` right after the change gets the
        // CPU for its rendering before the next slice (api/readersFirst.ts), as on the event loop.
        waitForReaders(readers);
        const t0 = performance.now();
        let slice;
        try {
          // Counted before the commit: the server's watcher of data_version tells these commits,
          // which change nothing a page shows, from another process's (db/dataWatcher.ts).
          Atomics.add(commits, 0, 1);
          slice = expandFanOutSlice(db, { owner, now: now() });
        } catch (err) {
          if (!isDatabaseBusy(err)) throw err;
          busy++;
          await sleep(BUSY_RETRY_MS);
          continue;
        }
        if (!slice) break;
        recipients += slice.expanded;
        slices++;
        await sleep(Math.max(MIN_PAUSE_MS, performance.now() - t0));
      }
      if (slices > 0)
        port.postMessage({
          kind: 'expanded',
          recipients,
          slices,
          busy,
          ms: performance.now() - started,
        } satisfies FanOutThreadMessage);
    } while (again && !stopping);
  } catch (err) {
    port.postMessage({ kind: 'failed', message: (err as Error).message } satisfies FanOutThreadMessage);
  } finally {
    running = false;
    if (stopping) finish();
  }
}

port.on('message', (message: { kind: 'wake'; now: number } | { kind: 'stop' }) => {
  if (message.kind === 'stop') {
    stopping = true;
    if (!running) finish();
    return;
  }
  clock = { at: message.now, received: Date.now() };
  void run();
});
