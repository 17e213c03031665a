// One outbox Transport for each non-email channel, built the same way: compose the row's message,
// hand it to the provider, and map the provider's answer to the outbox's outcomes. Every
// provider's errors are honoured: 429 with its retry hint, 5xx and timeouts retried with the
// outbox's backoff, a broken message failed, and an answer that means "this address is gone"
// (a blocked number, a deleted webhook, a bot removed from a chat) ends that subscription and
// says so to the NOC (the audit's `subscriber.gone`, listed on /noc).
import type { Db } from '#db/client.ts';
import type { DeliveryResult, OutboxRow, Transport } from '#db/outbox/worker.ts';
import { endSubscription } from '#db/commands/subscribers.ts';
import { systemActor } from '#db/commands/audit.ts';
import { isDatabaseBusy } from '#db/commands/transaction.ts';
import type { SubscriberChannel } from '#db/subscriptions/channels.ts';
import { channelComposer, type ChannelMessage } from './message.ts';

/** What a provider's answer means for the message. */
export type Verdict =
  | { outcome: 'sent'; providerMessageId?: string | null }
  | { outcome: 'retry'; error: string; retryAfterMs?: number }
  | { outcome: 'failed'; error: string }
  /** The address no longer exists for the provider: the subscription ends. */
  | { outcome: 'gone'; error: string };

export interface Provider {
  channel: SubscriberChannel;
  deliver(row: OutboxRow, message: ChannelMessage): Promise<Verdict>;
  /**
   * For a message claimed before a crash whose outcome was never recorded: asks the provider
   * whether it already took it ('sent': do not send again). Providers with an idempotency key
   * (Google Chat's messageId) or a way to list what was sent (Twilio) avoid a second copy; for
   * the others the one message in flight at the crash may arrive twice.
   */
  reconcile?(row: OutboxRow, message: ChannelMessage): Promise<'sent' | 'unsent'>;
}

export interface ChannelTransportOptions {
  publicUrl: string;
  now?: () => Date;
  log?: (line: string) => void;
}

/** A provider's 429 hint in seconds (Retry-After, Telegram's parameters.retry_after, Discord's retry_after). */
export function secondsToMs(seconds: unknown): number | undefined {
  const n = typeof seconds === 'string' ? Number(seconds) : seconds;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.min(3_600_000, Math.ceil(n * 1000)) : undefined;
}

/** The usual HTTP mapping, for providers whose answer says no more than its status. */
export function byStatus(
  name: string,
  status: number,
  detail: string,
  gone: (status: number) => boolean,
  retryAfterMs?: number,
): Verdict {
  if (status >= 200 && status < 300) return { outcome: 'sent' };
  const error = `${name} ${status}: ${detail.slice(0, 300)}`;
  if (status === 429) return { outcome: 'retry', error, retryAfterMs };
  if (status === 408 || status >= 500) return { outcome: 'retry', error, retryAfterMs };
  if (gone(status)) return { outcome: 'gone', error };
  return { outcome: 'failed', error };
}

export function channelTransport(db: Db, provider: Provider, options: ChannelTransportOptions): Transport {
  const now = options.now ?? (() => new Date());
  const log = options.log ?? ((line: string) => console.error(line));
  return {
    channel: provider.channel,
    // One provider call per message: none of these APIs takes a batch.
    batchSize: 1,
    // The payload holds link tokens or a code: forgotten once sent.
    forgetPayloadWhenSent: true,
    async send(batch, _key, resumed) {
      const compose = channelComposer(db, options.publicUrl, provider.channel);
      const results: DeliveryResult[] = [];
      for (const row of batch) {
        let message: ChannelMessage;
        try {
          message = compose(row);
        } catch (err) {
          results.push({ id: row.id, outcome: 'failed', error: (err as Error).message });
          continue;
        }
        let verdict: Verdict;
        try {
          if (resumed && provider.reconcile && (await provider.reconcile(row, message)) === 'sent') {
            results.push({ id: row.id, outcome: 'sent', providerMessageId: row.providerMessageId });
            continue;
          }
          verdict = await provider.deliver(row, message);
        } catch (err) {
          verdict = { outcome: 'retry', error: `Sin respuesta de ${provider.channel}: ${(err as Error).message}` };
        }
        if (verdict.outcome === 'gone') {
          try {
            const ended = endSubscription(db, provider.channel, row.recipient, verdict.error, {
              now: now(),
              actor: { ...systemActor, name: `canal ${provider.channel}` },
            });
            if (ended)
              log(`Aviso por ${provider.channel}: la suscripción de ${row.recipient} terminó (${verdict.error}).`);
          } catch (err) {
            // Another process holds the lock: the next notice to this address ends it.
            if (!isDatabaseBusy(err)) throw err;
          }
          results.push({
            id: row.id,
            outcome: 'failed',
            error: `Dirección dada de baja por el proveedor: ${verdict.error}`,
          });
        } else if (verdict.outcome === 'sent')
          results.push({ id: row.id, outcome: 'sent', providerMessageId: verdict.providerMessageId ?? null });
        else results.push({ id: row.id, ...verdict });
      }
      return results;
    },
  };
}

/** POSTs to a provider's own API (a configured base URL, trusted): status, text and headers. */
export async function callApi(
  url: string,
  init: { method?: string; headers: Record<string, string>; body?: string },
  timeoutMs = 30_000,
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url, {
    method: init.method ?? 'POST',
    headers: init.headers,
    body: init.body,
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'manual',
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

export function parseJson(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
