import { drainOutbox } from '#db/outbox/worker.ts';
import type { BackgroundWorker } from './index.ts';
import { webhookTransport, type WebhookTransportOptions } from '../webhooks/transport.ts';

export interface WebhookWorkerOptions {
  intervalMs?: number;
  transport?: Partial<WebhookTransportOptions>;
}

/** `WEBHOOK_ALLOW_PRIVATE_TARGETS=1` lets webhooks reach private addresses (internal receivers, tests). */
export function allowPrivateWebhookTargets(env: Record<string, string | undefined> = process.env): boolean {
  return env.WEBHOOK_ALLOW_PRIVATE_TARGETS === '1';
}

/** Drains the outbox's 'webhook' channel every `intervalMs`; stopping aborts requests in flight. */
export function webhookWorker(options: WebhookWorkerOptions = {}): BackgroundWorker {
  return {
    name: 'webhooks',
    start(deps) {
      const abort = new AbortController();
      const transport = webhookTransport(deps.db, {
        publicUrl: deps.config.publicUrl,
        now: deps.now,
        allowPrivateTargets: allowPrivateWebhookTargets(),
        signal: abort.signal,
        ...options.transport,
      });
      let running: Promise<unknown> | null = null;
      const tick = () => {
        if (running || abort.signal.aborted) return;
        // One drain at a time: the outbox treats a claimed, still-pending batch as left over
        // from a crash and re-sends it, so two concurrent drains would deliver twice.
        running = drainOutbox(deps.db, transport, {
          now: deps.now,
          owner: deps.instanceId,
          maxBatches: 25,
          // Stopping between batches leaves the next one claimed but unsent: it goes first,
          // unchanged, at the next start (the outbox's crash path), without burning an attempt.
          pace: async () => {
            if (abort.signal.aborted) throw new Error('stopped');
          },
        })
          .catch((err) => {
            if (!abort.signal.aborted) console.error('Entrega de webhooks:', err);
          })
          .finally(() => {
            running = null;
          });
      };
      const timer = setInterval(tick, options.intervalMs ?? 2_000);
      timer.unref();
      tick();
      return async () => {
        clearInterval(timer);
        abort.abort();
        await running;
      };
    },
  };
}
