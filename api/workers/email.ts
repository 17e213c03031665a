// The email BackgroundWorker: drains the 'email' outbox channel through Resend (RESEND_API_KEY)
// or into .eml files, and purges expired sign-ups and links.
import { dirname, join, resolve } from 'node:path';
import type { Db } from '#db/client.ts';
import { purgeExpiredSubscriptions } from '#db/commands/subscribers.ts';
import { drainOutbox, type Transport } from '#db/outbox/worker.ts';
import { backgroundWrite, isDatabaseBusy } from '#db/commands/transaction.ts';
import type { Config } from '../config.ts';
import type { AppDeps } from '../context.ts';
import type { BackgroundWorker } from './index.ts';
import { fileTransport } from '../email/file.ts';
import { resendTransport } from '../email/resend.ts';

export function emailTransportFor(db: Db, config: Config): Transport {
  if (config.resendApiKey) {
    return resendTransport(db, config, {
      apiKey: config.resendApiKey,
      baseUrl: config.resendBaseUrl,
      requestsPerSecond: config.resendRequestsPerSecond,
    });
  }
  const dir =
    config.databasePath === ':memory:'
      ? resolve('data', 'outbox')
      : join(dirname(resolve(config.databasePath)), 'outbox');
  return fileTransport(db, config, dir);
}

export interface EmailWorkerOptions {
  /** Pause between passes when the outbox is empty. */
  idleMs?: number;
  transport?: (deps: AppDeps) => Transport;
}

export function emailWorker(options: EmailWorkerOptions = {}): BackgroundWorker {
  const idleMs = options.idleMs ?? 1000;
  return {
    name: 'email',
    start(deps) {
      const transport = (options.transport ?? ((d) => emailTransportFor(d.db, d.config)))(deps);
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      let wake: (() => void) | undefined;
      let lastPurge = 0;
      const loop = (async () => {
        while (!stopped) {
          try {
            if (deps.now().getTime() - lastPurge > 60_000) {
              await backgroundWrite(deps.db, () => purgeExpiredSubscriptions(deps.db, deps.now()));
              lastPurge = deps.now().getTime();
            }
            // Up to 50 batches per pass, then the loop comes round (and can be stopped).
            const handled = await drainOutbox(deps.db, transport, {
              now: deps.now,
              maxBatches: 50,
              owner: deps.instanceId,
            });
            if (handled > 0) continue;
          } catch (err) {
            // A database locked by another process is waited out quietly: the next pass retries.
            if (!isDatabaseBusy(err))
              console.error(`Correo: fallo al vaciar la bandeja de salida: ${(err as Error).message}`);
          }
          if (stopped) break;
          await new Promise<void>((r) => {
            wake = r;
            timer = setTimeout(r, idleMs);
            timer.unref();
          });
        }
      })();
      return async () => {
        stopped = true;
        if (timer) clearTimeout(timer);
        wake?.();
        await loop;
      };
    },
  };
}
