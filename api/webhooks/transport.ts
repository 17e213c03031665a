// The outbox transport for channel 'webhook': one HTTP request per message, signed with
// the endpoint's secret. 2xx within the deadline = delivered; 408, 429, 5xx, timeouts and
// connection errors are retried by the outbox with backoff; other answers (3xx, 4xx) are
// final. Every failed attempt counts against the endpoint, which is disabled after repeated
// failure (db/commands/webhooks.ts).
import { createHmac } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '#db/client.ts';
import {
  defaultDisablePolicy,
  recordWebhookAttempt,
  WEBHOOK_CHANNEL,
  type DisablePolicy,
} from '#db/commands/webhooks.ts';
import { backgroundWrite } from '#db/commands/transaction.ts';
import type { WebhookMessage } from '#db/notifications/webhooks.ts';
import type { DeliveryResult, OutboxRow, Transport } from '#db/outbox/worker.ts';
import { webhookEndpoints } from '#db/schema/index.ts';
import { renderWebhookBody } from './payload.ts';
import { postWebhook } from './post.ts';

export const SIGNATURE_HEADER = 'x-somnet-signature';

/** `sha256=<hex HMAC-SHA256 of the exact body bytes, keyed with the endpoint's secret>`. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface WebhookTransportOptions {
  publicUrl: string;
  now?: () => Date;
  /** 30 s: a receiver that has not answered by then has not accepted the message. */
  timeoutMs?: number;
  allowPrivateTargets?: boolean;
  disablePolicy?: DisablePolicy;
  /** Aborts in-flight requests when the server stops. */
  signal?: AbortSignal;
}

export function webhookTransport(db: Db, options: WebhookTransportOptions): Transport {
  const now = options.now ?? (() => new Date());
  const deliver = async (row: OutboxRow): Promise<DeliveryResult> => {
    const endpoint = db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, row.recipient)).get();
    if (!endpoint) return { id: row.id, outcome: 'failed', error: 'El webhook fue eliminado.' };
    if (endpoint.disabledAt)
      return { id: row.id, outcome: 'failed', error: 'Webhook desactivado por fallos repetidos.' };
    const message = JSON.parse(row.payload) as WebhookMessage;
    const body = renderWebhookBody(db, message, options.publicUrl);
    if (body === null) return { id: row.id, outcome: 'failed', error: 'El incidente o componente ya no existe.' };
    const result = await postWebhook(
      endpoint.url,
      body,
      {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'SOMNET-Estado-Webhooks/1.0',
        'x-somnet-event': message.event,
        // Stable across retries: receivers drop a delivery they already processed.
        'x-somnet-delivery': row.dedupeKey,
        [SIGNATURE_HEADER]: signBody(endpoint.secret, body),
      },
      {
        timeoutMs: options.timeoutMs ?? 30_000,
        allowPrivateTargets: options.allowPrivateTargets ?? false,
        signal: options.signal,
      },
    );

    if (result.ok && result.status >= 200 && result.status < 300) {
      await backgroundWrite(db, () => recordWebhookAttempt(db, endpoint.id, { ok: true }, now()), { attempts: 20 });
      return { id: row.id, outcome: 'sent', providerMessageId: String(result.status) };
    }
    const error = result.ok ? `El receptor respondió HTTP ${result.status}.` : result.error;
    // Cut short by our own shutdown: not the receiver's fault, so not counted against it.
    if (!result.ok && options.signal?.aborted) return { id: row.id, outcome: 'retry', error };
    const { disabled } = await backgroundWrite(
      db,
      () =>
        recordWebhookAttempt(
          db,
          endpoint.id,
          { ok: false, error },
          now(),
          options.disablePolicy ?? defaultDisablePolicy,
        ),
      { attempts: 20 },
    );
    const retryable = result.ok
      ? result.status === 408 || result.status === 429 || result.status >= 500
      : !result.permanent;
    if (disabled || !retryable) return { id: row.id, outcome: 'failed', error };
    return { id: row.id, outcome: 'retry', error, retryAfterMs: result.ok ? result.retryAfterMs : undefined };
  };
  return {
    channel: WEBHOOK_CHANNEL,
    // Up to 10 deliveries in flight at once (one per row, each its own request and result), so
    // one slow receiver does not hold up the others for long.
    batchSize: 10,
    send: (batch: OutboxRow[]) => Promise.all(batch.map(deliver)),
  };
}
