import { advanceMaintenances, nextMaintenanceDue } from '#db/commands/maintenances.ts';
import { isDatabaseBusy, onCommit } from '#db/commands/transaction.ts';
import { withoutWaiting } from '#db/client.ts';
import type { AppDeps } from '../context.ts';
import type { BackgroundWorker } from './index.ts';

export interface MaintenanceSchedulerOptions {
  /** Longest sleep between checks (also how soon a write by another process is noticed). */
  maxSleepMs?: number;
}

/**
 * Starts and completes maintenance windows at their times and sends the 24 h reminders. The
 * state lives in the database, so the first tick after a (re)start catches up on everything
 * that fell due while the server was down. It sleeps until the next due instant (capped), with
 * an unref'd timer so it never keeps a process or a test alive.
 */
export function maintenanceScheduler(options: MaintenanceSchedulerOptions = {}): BackgroundWorker {
  const maxSleepMs = options.maxSleepMs ?? 30_000;
  return {
    name: 'maintenance-scheduler',
    start(deps: AppDeps) {
      let timer: NodeJS.Timeout | undefined;
      let stopped = false;
      const sleep = (ms: number) => {
        clearTimeout(timer);
        timer = setTimeout(tick, ms);
        timer.unref();
      };
      const tick = () => {
        clearTimeout(timer);
        if (stopped) return;
        try {
          // Never wait for another process's write lock on the event loop: come back in a second.
          withoutWaiting(deps.db, () => advanceMaintenances(deps.db, deps.now()));
        } catch (err) {
          if (isDatabaseBusy(err)) {
            sleep(1000);
            return;
          }
          console.error('Programador de mantenimientos:', err);
        }
        if (stopped) return;
        const next = nextMaintenanceDue(deps.db);
        const wait = next ? Math.min(maxSleepMs, Math.max(0, next.getTime() - deps.now().getTime())) : maxSleepMs;
        // Something still due right after a tick is failing: retry, but do not spin the CPU.
        sleep(wait > 0 ? wait : 250);
      };
      // A write in this process (a new or rescheduled window) may move the next due instant
      // closer: look again right after it commits rather than at the end of the current sleep.
      const unsubscribe = onCommit(deps.db, () => {
        if (!stopped) sleep(0);
      });
      tick();
      return () => {
        stopped = true;
        unsubscribe();
        clearTimeout(timer);
      };
    },
  };
}
