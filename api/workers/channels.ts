// One worker per configured notice channel (SMS, WhatsApp, Telegram, team chats): drains that
// channel's outbox rows through its provider, one message per call, at most one drain at a time
// (the outbox treats a claimed, unfinished row as a crash's leftover and re-sends it).
import { drainOutbox } from '#db/outbox/worker.ts';
import type { BackgroundWorker } from './index.ts';
import { providersFor } from '../channels/providers.ts';
import { channelTransport, type Provider } from '../channels/transport.ts';

export interface ChannelWorkerOptions {
  intervalMs?: number;
  /** Tests give their own providers (pointed at stand-ins). */
  providers?: Provider[];
}

export function channelWorkers(options: ChannelWorkerOptions = {}): BackgroundWorker {
  return {
    name: 'channels',
    start(deps) {
      const providers = options.providers ?? providersFor(deps.config);
      const stops = providers.map((provider) => {
        const transport = channelTransport(deps.db, provider, { publicUrl: deps.config.publicUrl, now: deps.now });
        let running: Promise<unknown> | null = null;
        let stopped = false;
        const tick = () => {
          if (running || stopped) return;
          running = drainOutbox(deps.db, transport, {
            now: deps.now,
            maxBatches: 50,
            pace: async () => {
              if (stopped) throw new Error('stopped');
            },
          })
            .catch((err) => {
              if (!stopped) console.error(`Avisos por ${provider.channel}:`, (err as Error).message);
            })
            .finally(() => {
              running = null;
            });
        };
        const timer = setInterval(tick, options.intervalMs ?? 1_000);
        timer.unref();
        tick();
        return async () => {
          stopped = true;
          clearInterval(timer);
          await running;
        };
      });
      return async () => {
        await Promise.all(stops.map((stop) => stop()));
      };
    },
  };
}
