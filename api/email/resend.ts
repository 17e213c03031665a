// Email through Resend with the official SDK. The SDK neither throws on HTTP errors (it returns
// { data, error, headers }) nor retries: the outbox does the retrying, this maps answers.
import { Resend } from 'resend';
import type { Db } from '#db/client.ts';
import type { DeliveryResult, OutboxRow, Transport } from '#db/outbox/worker.ts';
import { EMAIL_CHANNEL } from '#db/subscriptions/payload.ts';
import type { Config } from '../config.ts';
import { emailComposer, type OutgoingEmail } from './compose.ts';

/** Resend's batch endpoint takes at most 100 emails per call. */
export const RESEND_BATCH_LIMIT = 100;

/** Spaces provider calls so they stay under `perSecond` (0 or Infinity: no spacing). */
export function pacer(perSecond: number, sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))) {
  const interval = perSecond > 0 && Number.isFinite(perSecond) ? 1000 / perSecond : 0;
  let next = 0;
  return async () => {
    if (interval === 0) return;
    const now = Date.now();
    const wait = next - now;
    next = Math.max(now, next) + interval;
    if (wait > 0) await sleep(wait);
  };
}

interface ResendAnswer {
  data: unknown;
  error: { statusCode: number | null; name: string; message: string } | null;
  headers: Record<string, string> | null;
}

/** retry-after is seconds (or an HTTP date); Resend also sends ratelimit-reset. */
function retryAfterMs(headers: Record<string, string> | null): number | undefined {
  const value = headers?.['retry-after'] ?? headers?.['ratelimit-reset'];
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

type Outcome =
  | { kind: 'ok'; ids: string[] }
  | { kind: 'retry'; error: string; retryAfterMs?: number }
  | { kind: 'invalid'; error: string };

/**
 * 429, 5xx, network failures (no status), 409 (the same idempotency key still in flight) and
 * auth errors (a key being rotated) are retried; 400/422 mean the message itself is wrong.
 */
function classify(answer: ResendAnswer, count: number): Outcome {
  if (!answer.error) {
    const data = answer.data as { data?: Array<{ id: string }>; id?: string } | null;
    const ids = data?.data ? data.data.map((d) => d.id) : data?.id ? [data.id] : [];
    return { kind: 'ok', ids: ids.length === count ? ids : Array(count).fill(null) };
  }
  const status = answer.error.statusCode;
  const error = `Resend ${status ?? 'sin respuesta'} ${answer.error.name}: ${answer.error.message}`;
  if (status === 400 || status === 422) return { kind: 'invalid', error };
  return { kind: 'retry', error, retryAfterMs: retryAfterMs(answer.headers) };
}

function toResend(m: OutgoingEmail) {
  return {
    from: m.from,
    to: m.to,
    subject: m.subject,
    text: m.text,
    html: m.html,
    headers: m.headers,
    ...(m.replyTo ? { replyTo: m.replyTo } : {}),
    ...(m.attachments || m.calendar
      ? {
          attachments: [
            // Resend builds the MIME itself and takes no extra alternative part: the calendar goes
            // as a text/calendar attachment with its method, which Gmail and Outlook offer to add.
            ...(m.calendar
              ? [
                  {
                    filename: m.calendar.filename,
                    content: Buffer.from(m.calendar.content).toString('base64'),
                    contentType: `text/calendar; charset=utf-8; method=${m.calendar.method}`,
                  },
                ]
              : []),
            ...(m.attachments ?? []).map((a) => ({
              filename: a.filename,
              content: Buffer.from(a.content).toString('base64'),
              contentType: a.contentType,
            })),
          ],
        }
      : {}),
  };
}

/** Resend's batch endpoint takes no attachments: such a message goes through POST /emails alone. */
const travelsAlone = (m: OutgoingEmail) => Boolean(m.calendar || m.attachments?.length);

export interface ResendTransportOptions {
  apiKey: string;
  baseUrl?: string;
  requestsPerSecond?: number;
}

export function resendTransport(db: Db, config: Config, options: ResendTransportOptions): Transport {
  const resend = new Resend(options.apiKey, options.baseUrl ? { baseUrl: options.baseUrl } : undefined);
  const pace = pacer(options.requestsPerSecond ?? 2);

  const sendOne = async (row: OutboxRow, message: OutgoingEmail, key: string): Promise<DeliveryResult> => {
    await pace();
    const outcome = classify((await resend.emails.send(toResend(message), { idempotencyKey: key })) as ResendAnswer, 1);
    if (outcome.kind === 'ok') return { id: row.id, outcome: 'sent', providerMessageId: outcome.ids[0] };
    if (outcome.kind === 'invalid') return { id: row.id, outcome: 'failed', error: outcome.error };
    return { id: row.id, outcome: 'retry', error: outcome.error, retryAfterMs: outcome.retryAfterMs };
  };

  return {
    channel: EMAIL_CHANNEL,
    batchSize: RESEND_BATCH_LIMIT,
    forgetPayloadWhenSent: true,
    async send(batch, batchKey) {
      const compose = emailComposer(db, config);
      const messages: OutgoingEmail[] = [];
      const results: DeliveryResult[] = [];
      for (const row of batch) {
        try {
          messages.push(compose(row));
        } catch (err) {
          return batch.map((r) =>
            r.id === row.id
              ? {
                  id: r.id,
                  outcome: 'failed' as const,
                  error: `No se pudo componer el correo: ${(err as Error).message}`,
                }
              : {
                  id: r.id,
                  outcome: 'retry' as const,
                  error: 'Lote aplazado por un mensaje inválido.',
                  retryAfterMs: 0,
                },
          );
        }
      }
      if (batch.length === 1) {
        results.push(await sendOne(batch[0], messages[0], batchKey));
        return results;
      }
      // Messages with a calendar go one by one (each under a key derived from the batch's, so a
      // re-send after a crash is recognised); the rest in one batch call.
      const together: number[] = [];
      for (let i = 0; i < batch.length; i++) {
        if (travelsAlone(messages[i])) results.push(await sendOne(batch[i], messages[i], `${batchKey}/${batch[i].id}`));
        else together.push(i);
      }
      if (together.length === 0) return results;
      if (together.length === 1) {
        const i = together[0];
        results.push(await sendOne(batch[i], messages[i], `${batchKey}/${batch[i].id}`));
        return results;
      }
      await pace();
      const rows = together.map((i) => batch[i]);
      const outcome = classify(
        (await resend.batch.send(
          together.map((i) => toResend(messages[i])),
          { idempotencyKey: together.length === batch.length ? batchKey : `${batchKey}/lote` },
        )) as ResendAnswer,
        rows.length,
      );
      if (outcome.kind === 'ok')
        return [
          ...results,
          ...rows.map((r, i) => ({ id: r.id, outcome: 'sent' as const, providerMessageId: outcome.ids[i] })),
        ];
      if (outcome.kind === 'retry')
        return [
          ...results,
          ...rows.map((r) => ({
            id: r.id,
            outcome: 'retry' as const,
            error: outcome.error,
            retryAfterMs: outcome.retryAfterMs,
          })),
        ];
      // A batch is validated as a whole: one bad message refuses all. Nothing was sent, so
      // each goes again singly and only the bad ones fail.
      for (const i of together) results.push(await sendOne(batch[i], messages[i], `${batchKey}/${batch[i].id}`));
      return results;
    },
  };
}
