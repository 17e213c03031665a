// Expands notices recorded by a change's transaction into their per-recipient outbox rows
// (db/outbox/fanout.ts), right after the commit: woken by every commit in this process and, within
// a second, by another process's (the `noc` CLI, a standby server), through db/dataWatcher.ts like
// the clock worker. One slice per short transaction, a turn of the event loop between slices, so
// the requests that arrive meanwhile are answered between them. Only the holder of the background
// lease runs it; each slice checks it still holds the lease.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { dataWatcher } from '#db/dataWatcher.ts';
import { expandFanOuts } from '#db/outbox/fanout.ts';
import { readersServed } from '../readersFirst.ts';
import type { BackgroundWorker } from './index.ts';

/** A fan-out left waiting by a busy database is looked at again this often, without any write. */
const RETRY_MS = 5_000;

export function fanOutWorker(options: { retryMs?: number } = {}): BackgroundWorker {
  return {
    name: 'fan-out',
    start(deps) {
      let stopped = false;
      let running: Promise<void> | null = null;
      let again = false;
      const run = () => {
        if (stopped) return;
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
        await running;
      };
    },
  };
}
