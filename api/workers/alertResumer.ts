import { resumeDelivery, stalledDeliveries } from '#db/commands/alerts/index.ts';
import { isDatabaseBusy } from '#db/commands/transaction.ts';
import type { AppDeps } from '../context.ts';
import type { BackgroundWorker } from './index.ts';

/**
 * Large alert deliveries left half-applied: a server that accepted one (it is recorded
 * 'applying', then applied slice by slice) and died before the last slice leaves its cursor in
 * the database. The holder of the background lease looks at start and then every `everyMs`, and
 * applies the rest from the stored body once the applier's own lease has run out.
 */
export function alertResumer(options: { everyMs?: number } = {}): BackgroundWorker {
  const everyMs = options.everyMs ?? 15_000;
  return {
    name: 'alert-resumer',
    start(deps: AppDeps) {
      let stopped = false;
      let running: Promise<void> = Promise.resolve();
      const look = async () => {
        for (const stalled of stalledDeliveries(deps.db, deps.now())) {
          if (stopped) return;
          await resumeDelivery(deps.db, stalled, { now: deps.now(), applier: deps.instanceId });
          console.log(`Alertas: se terminó de aplicar el envío ${stalled.id} que otro proceso dejó a medias.`);
        }
      };
      const tick = () => {
        running = running.then(look).catch((err: unknown) => {
          if (!isDatabaseBusy(err)) console.error('Alertas (envíos a medias):', err);
        });
      };
      const timer = setInterval(tick, everyMs);
      timer.unref();
      tick();
      return async () => {
        stopped = true;
        clearInterval(timer);
        await running;
      };
    },
  };
}
