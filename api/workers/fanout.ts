// Expands notices recorded by a change's transaction into their per-recipient outbox rows
// (db/outbox/fanout.ts), right after the commit: woken by every commit in this process and, within
// a second, by another process's (the `noc` CLI, a standby server), through db/dataWatcher.ts like
// the clock worker. Only the holder of the background lease runs it; each slice checks it still
// holds the lease.
//
// The slices run in a thread with its own connection (./fanoutThread.ts), started the first time a
// fan-out waits and kept until the worker stops: at ten years of history the expansion of one
// notice to 11,600 recipients was ~0.4 s of the event loop's CPU, spent between the renderings of
// `/` that customers were waiting for right after the change. An in-memory database (tests), or a
// thread that failed, expands on the event loop as before: one slice per short transaction, a turn
// of the event loop between slices, and readers of a page being rendered first.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { dataWatcher } from '#db/dataWatcher.ts';
import { expandFanOuts, hasUnfinishedFanOut } from '#db/outbox/fanout.ts';
import { readersGauge, readersServed } from '../readersFirst.ts';
import type { FanOutThreadMessage } from './fanoutThread.ts';
import type { BackgroundWorker } from './index.ts';

/** A fan-out left waiting by a busy database is looked at again this often, without any write. */
const RETRY_MS = 5_000;

export function fanOutWorker(options: { retryMs?: number; thread?: boolean } = {}): BackgroundWorker {
  return {
    name: 'fan-out',
    start(deps) {
      const client = deps.db.$client;
      // The thread unless FANOUT_THREAD=0 (or a test asks for the event loop), on a database file.
      let threaded =
        (options.thread ?? deps.config.fanOutThread !== false) &&
        !client.memory &&
        client.name !== '' &&
        client.name !== ':memory:';
      let thread: Worker | undefined;
      let stopped = false;
      let running: Promise<void> | null = null;
      let again = false;

      // The thread's commits, counted so that they are not taken for another process's writes
      // (which drop the page cache and wake the publisher): they change nothing a page shows.
      let unwatch: (() => void) | undefined;
      const startThread = () => {
        const commits = new Int32Array(new SharedArrayBuffer(4));
        unwatch = dataWatcher(deps.db).privateWriter(commits);
        const t = new Worker(new URL('./fanoutThread.ts', import.meta.url), {
          workerData: { path: client.name, owner: deps.instanceId ?? null, commits, readers: readersGauge },
        });
        t.unref();
        t.on('message', (m: FanOutThreadMessage) => {
          if (m.kind === 'failed') console.error(`Preparación de avisos: ${m.message}`);
        });
        // A thread that cannot go on leaves the work to the event loop, where it ran before.
        const fallBack = (why: string) => {
          if (thread !== t) return;
          thread = undefined;
          threaded = false;
          unwatch?.();
          if (stopped) return;
          console.error(`Preparación de avisos: ${why}; sigue en el hilo principal.`);
          run();
        };
        t.on('error', (err) => fallBack(err.message));
        t.on('exit', (code) => fallBack(`el hilo terminó (código ${code})`));
        return t;
      };

      const run = () => {
        if (stopped) return;
        if (threaded) {
          const now = deps.now().getTime();
          // After the answer of the request whose commit woke us (it is sent before any
          // setImmediate callback), and the thread started the first time there is something
          // to expand: most commits notify nobody.
          setImmediate(() => {
            if (stopped || !threaded) return;
            if (!thread && !hasUnfinishedFanOut(deps.db)) return;
            thread ??= startThread();
            thread.postMessage({ kind: 'wake', now });
          });
          return;
        }
        if (running) {
          again = true;
          return;
        }
        running = (async () => {
          do {
            again = false;
            // The commit that woke us is answered first: the wake comes from inside the command.
            await nextTurn();
            await expandFanOuts(deps.db, {
              owner: deps.instanceId,
              now: deps.now,
              stopped: () => stopped,
              // A reader waiting for `/` right after the change goes first (api/readersFirst.ts).
              between: () => readersServed(),
            });
          } while (again && !stopped);
        })()
          .catch((err: unknown) => {
            if (!stopped) console.error('Preparación de avisos:', err);
          })
          .finally(() => {
            running = null;
          });
      };
      const unsubscribe = dataWatcher(deps.db).subscribe(run, { pollMs: 1_000 });
      const timer = setInterval(run, options.retryMs ?? RETRY_MS);
      timer.unref();
      run();
      return async () => {
        stopped = true;
        unsubscribe();
        clearInterval(timer);
        const t = thread;
        thread = undefined;
        if (t) {
          // The slice in progress commits (or not) whole; the thread closes its connection and ends.
          const exited = new Promise((resolve) => t.once('exit', resolve));
          t.postMessage({ kind: 'stop' });
          await exited;
        }
        unwatch?.();
        await running;
      };
    },
  };
}
