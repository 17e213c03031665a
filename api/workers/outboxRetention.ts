import { setImmediate as nextTurn } from 'node:timers/promises';
import { withoutWaiting } from '#db/client.ts';
import { isDatabaseBusy } from '#db/commands/transaction.ts';
import { DEFAULT_OUTBOX_RETENTION_DAYS, pruneOutboxSlice } from '#db/outbox/retention.ts';
import type { AppDeps } from '../context.ts';
import type { BackgroundWorker } from './index.ts';

/** How often delivered messages past OUTBOX_RETENTION_DAYS are looked for. */
const EVERY_MS = 3_600_000;

/**
 * Removes delivered outbox messages older than OUTBOX_RETENTION_DAYS (db/outbox/retention.ts)
 * at start and every hour, in slices of 2,000 rows, each its own short transaction with a turn
 * of the event loop between: requests never wait behind a long delete.
 */
export function outboxRetention(options: { everyMs?: number } = {}): BackgroundWorker {
  return {
    name: 'outbox-retention',
    start(deps: AppDeps) {
      const days = deps.config.outboxRetentionDays ?? DEFAULT_OUTBOX_RETENTION_DAYS;
      if (days === 0) return () => {};
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      const run = async () => {
        let after = 0;
        let removed = 0;
        while (!stopped) {
          try {
            const slice = withoutWaiting(deps.db, () => pruneOutboxSlice(deps.db, deps.now(), days, after));
            if (slice.after === null) break;
            after = slice.after;
            removed += slice.removed;
          } catch (err) {
            if (!isDatabaseBusy(err)) console.error('Retención de la cola de envíos:', err);
            break;
          }
          await nextTurn();
        }
        if (removed > 0)
          console.log(
            `Cola de envíos: ${removed} mensajes entregados de hace más de ${days} días retirados (queda su resumen).`,
          );
        if (!stopped) {
          timer = setTimeout(() => void run(), options.everyMs ?? EVERY_MS);
          timer.unref();
        }
      };
      timer = setTimeout(() => void run(), 0);
      timer.unref();
      return () => {
        stopped = true;
        clearTimeout(timer);
      };
    },
  };
}
