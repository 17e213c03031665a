import { nextAlertSettleDue, settleAlerts } from '#db/commands/alerts/index.ts';
import { isDatabaseBusy, onCommit } from '#db/commands/transaction.ts';
import { withoutWaiting } from '#db/client.ts';
import type { AppDeps } from '../context.ts';
import type { BackgroundWorker } from './index.ts';

/**
 * What the clock decides about alerts: a flapping alert settles once its hold-down time passes
 * (the component returns to operational, or shows the alert's own status), and alerts a
 * maintenance held take effect when it ends. Like the maintenance scheduler, it works from the
 * stored state (a restart catches up), sleeps until the next due instant (capped, unref'd), and
 * looks again right after any commit (a maintenance that ended, an alert that started flapping).
 */
export function alertSettler(options: { maxSleepMs?: number } = {}): BackgroundWorker {
  const maxSleepMs = options.maxSleepMs ?? 30_000;
  return {
    name: 'alert-settler',
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
          withoutWaiting(deps.db, () => settleAlerts(deps.db, deps.now()));
        } catch (err) {
          if (isDatabaseBusy(err)) {
            sleep(1000);
            return;
          }
          console.error('Alertas (amortiguación y mantenimientos):', err);
        }
        if (stopped) return;
        const next = nextAlertSettleDue(deps.db);
        const wait = next ? Math.min(maxSleepMs, Math.max(0, next.getTime() - deps.now().getTime())) : maxSleepMs;
        sleep(wait > 0 ? wait : 250);
      };
      // Its own commits wake it too; the second look then finds nothing due and writes nothing.
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
