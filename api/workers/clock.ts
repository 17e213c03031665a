// The clock worker: whatever happens because time passed, not because someone wrote. Each job
// works from the stored state (so the first pass after a restart catches up on everything that
// fell due while the server was down) and says when it is next due; the worker sleeps until the
// earliest of those instants, wakes as soon as any write commits (in this process or another:
// a new window, an alert that started flapping, a maintenance that ended), and backs off while
// another process holds the database's write lock.
import type { Db } from '#db/client.ts';
import { withoutWaiting } from '#db/client.ts';
import { nextAlertSettleDue, settleAlerts } from '#db/commands/alerts/index.ts';
import { advanceMaintenances, nextMaintenanceDue } from '#db/commands/maintenances.ts';
import { nextStatementsDue, sendMonthlyStatements } from '#db/commands/statements.ts';
import { isDatabaseBusy } from '#db/commands/transaction.ts';
import { dataWatcher } from '#db/dataWatcher.ts';
import type { AppDeps } from '../context.ts';
import { readersServed } from '../readersFirst.ts';
import type { BackgroundWorker } from './index.ts';

/** Something the clock decides. */
export interface ClockJob {
  /** Names the job in the log when it fails. */
  label: string;
  /**
   * Does what is due at `now`, one command per step; lets the busy error through when another
   * process holds the write lock (the worker backs off).
   */
  run(db: Db, now: Date): unknown;
  /** The earliest instant something falls due at or after `now`, or null when nothing is scheduled. */
  nextDue(db: Db, now: Date): Date | null;
}

/** Starts and completes maintenance windows at their times and sends the 24 h reminders. */
export const maintenanceTransitions: ClockJob = {
  label: 'Programador de mantenimientos',
  run: advanceMaintenances,
  nextDue: nextMaintenanceDue,
};

/**
 * A flapping alert settles once its hold-down time passes (the component returns to operational,
 * or shows the alert's own status), and alerts a maintenance held take effect when it ends.
 */
export const alertSettling: ClockJob = {
  label: 'Alertas (amortiguación y mantenimientos)',
  run: settleAlerts,
  nextDue: nextAlertSettleDue,
};

/**
 * On the 1st (09:00, Mexico City) each service with an outage the month before gets its statement
 * by email at its technical contacts; a server down then sends them when it starts, within the month.
 */
export const monthlyStatements: ClockJob = {
  label: 'Estados de disponibilidad mensuales',
  run: sendMonthlyStatements,
  nextDue: nextStatementsDue,
};

export interface ClockWorkerOptions {
  /** Maintenance first: a window that ends releases the alerts it held in the same pass. */
  jobs?: ClockJob[];
  /** Longest sleep between passes, whatever the jobs say. */
  maxSleepMs?: number;
}

/** How often another process's writes are looked for while asleep (db/dataWatcher.ts). */
const EXTERNAL_CHECK_MS = 1_000;
/** After a pass found the database busy: the first wait, doubled while it stays busy, up to the last. */
const BUSY_FIRST_MS = 1_000;
const BUSY_LONGEST_MS = 8_000;
/** Something still due right after a pass is failing: try again, but do not spin the CPU. */
const OVERDUE_RETRY_MS = 250;

export function clockWorker(options: ClockWorkerOptions = {}): BackgroundWorker {
  const jobs = options.jobs ?? [maintenanceTransitions, alertSettling, monthlyStatements];
  const maxSleepMs = options.maxSleepMs ?? 30_000;
  return {
    name: 'clock',
    start(deps: AppDeps) {
      const { db } = deps;
      let timer: NodeJS.Timeout | undefined;
      let stopped = false;
      let busyMs = 0;
      const sleep = (ms: number) => {
        clearTimeout(timer);
        // Unref'd: it never keeps a process (or a test) alive.
        timer = setTimeout(pass, ms);
        timer.unref();
      };
      /** Runs `fn` for a job: false when the database was busy; any other failure is logged. */
      const attempt = (job: ClockJob, fn: () => void): boolean => {
        try {
          // Never wait for another process's write lock on the event loop: every request would wait too.
          withoutWaiting(db, fn);
        } catch (err) {
          if (isDatabaseBusy(err)) return false;
          console.error(`${job.label}:`, err);
        }
        return true;
      };
      /** Every job once, then to sleep until the earliest due instant of them all. */
      const pass = () => {
        clearTimeout(timer);
        if (stopped) return;
        let busy = false;
        for (const job of jobs) {
          busy = !attempt(job, () => job.run(db, deps.now())) || busy;
          if (stopped) return;
        }
        let next = Infinity;
        for (const job of jobs) {
          busy =
            !attempt(job, () => (next = Math.min(next, job.nextDue(db, deps.now())?.getTime() ?? Infinity))) || busy;
        }
        if (busy) {
          busyMs = Math.min(busyMs > 0 ? busyMs * 2 : BUSY_FIRST_MS, BUSY_LONGEST_MS);
          sleep(busyMs);
          return;
        }
        busyMs = 0;
        const wait = Math.min(maxSleepMs, next - deps.now().getTime());
        sleep(wait > 0 ? wait : OVERDUE_RETRY_MS);
      };
      // A write may move the next due instant closer (a new or rescheduled window, an alert that
      // started flapping): look again right after it rather than at the end of the current sleep.
      // The pass's own commits wake it too, but the pass then replaces that wake by its sleep.
      // Readers first (../readersFirst.ts): a public write is read at once — `/` after an alert
      // storm's change, four readers waiting for its one rendering — and the pass (the settler
      // reads what every active alert imposes) ran before any of them was served. It now looks a
      // turn later, once no reader waits for a rendering (at most MAX_WAIT_MS).
      const unsubscribe = dataWatcher(db).subscribe(
        () => {
          if (!stopped)
            setImmediate(() => {
              void readersServed().then(() => {
                if (!stopped) sleep(0);
              });
            });
        },
        { pollMs: EXTERNAL_CHECK_MS },
      );
      pass();
      return () => {
        stopped = true;
        unsubscribe();
        clearTimeout(timer);
      };
    },
  };
}
