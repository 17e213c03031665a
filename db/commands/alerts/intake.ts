// Alert intake, step 1: each sender's format (Alertmanager, Grafana, the generic shape for Zabbix,
// LibreNMS and scripts) has its own zod schema (Alertmanager's and Grafana's in ./envelopes.ts),
// and becomes the same `IncomingAlert`, which ./receive.ts applies. A payload is accepted or
// refused as a whole; a refused one writes nothing. A large group's body is read, validated and
// normalised off the event loop, by the intake worker (./offload.ts).
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import type { Db } from '../../client.ts';
import type { AlertFormat } from '../../enums.ts';
import { CommandError } from '../errors.ts';
import { fieldErrors, instant, LIMITS, parseInput, parseJsonObject, ref, refList, text } from '../input.ts';
import {
  alertListOf,
  alertmanagerAlert,
  alertmanagerWebhookInput,
  alertState,
  envelopeFormats,
  envelopeGroup,
  fingerprintsOf,
  fromEnvelope,
  grafanaWebhookInput,
  labels,
  MAX_ALERTS_PER_PAYLOAD,
  NoticeHasher,
  PackedAlerts,
  url,
  type DeliveryAlerts,
  type EnvelopeFormat,
  type IncomingAlert,
} from './envelopes.ts';
import { rememberRawDigest } from './groups.ts';
import { OFFLOAD_MIN_BYTES, readInWorker, readStreamInWorker, type OffloadedBody } from './offload.ts';
import { receive, receiveInSlices, unchangedResend, type IntakeResult } from './receive.ts';

export { alertmanagerWebhookInput, grafanaWebhookInput, MAX_ALERTS_PER_PAYLOAD, type IncomingAlert };

/**
 * The one documented shape for everything else (Zabbix webhook media types, LibreNMS API
 * transport, scripts). `labels` is optional and lets NOC rules match on the sender's facts.
 */
export const genericAlertInput = z
  .strictObject({
    source: z
      .string({ error: 'Indique «source», p. ej. "zabbix".' })
      .trim()
      .min(1, 'Indique «source», p. ej. "zabbix".')
      .max(100)
      .regex(/^[\w.:/-]+$/u, 'La fuente solo lleva letras, números y . _ - : /, p. ej. "zabbix".'),
    id: z
      .union([z.string().trim().min(1).max(200), z.number().int()], {
        error: 'Indique «id»: el identificador del evento en el sistema que lo envía.',
      })
      .transform(String),
    status: alertState,
    component: ref.optional(),
    components: refList.min(1, 'Indique al menos un componente.').optional(),
    severity: z
      .string({ error: 'Indique «severity», p. ej. "critical".' })
      .trim()
      .min(1, 'Indique «severity», p. ej. "critical".')
      .max(50),
    summary: text({
      min: 1,
      max: LIMITS.note,
      label: 'El resumen',
      required: 'Indique «summary»: qué pasa, en una línea.',
    }),
    description: text({ max: LIMITS.body, label: 'La descripción' }).optional(),
    startedAt: instant.optional(),
    endedAt: instant.optional(),
    url: url.optional(),
    labels: labels.optional(),
  })
  .refine((a) => (a.component === undefined) !== (a.components === undefined), {
    message: 'Indique «component» (uno) o «components» (lista), no ambos.',
    path: ['component'],
  });

export type AlertmanagerWebhook = z.input<typeof alertmanagerWebhookInput>;
export type GrafanaWebhook = z.input<typeof grafanaWebhookInput>;
export type GenericAlert = z.input<typeof genericAlertInput>;

/** One webhook as received, its alerts normalised. */
export interface Delivery {
  format: AlertFormat;
  source: string;
  receiver: string | null;
  rawBody: string;
  /** `rawBody` gzipped by the intake worker (a large group): stored so, the event loop never writes 2 MB. */
  gzipBody?: Uint8Array;
  /** In memory, or packed by the intake worker (a large group), read a slice at a time. */
  alerts: DeliveryAlerts;
  /** Alertmanager's and Grafana's group: an unchanged resend of it costs one comparison (./groups.ts). */
  groupKey?: string;
  /** What its alerts say, hashed while they were validated (./groups.ts `noticeDigest`). */
  noticeDigest?: string;
}

export interface IntakeContext {
  now: Date;
  /** The API token that authenticated the sender, recorded with the delivery. */
  tokenName?: string;
  /** The server instance applying a large delivery (db/commands/lease.ts): no other resumes it while it lives. */
  applier?: string;
}

/**
 * Alerts validated per turn of the event loop. zod takes about 0.05 ms an alert: a group of 5,000
 * validated in one go held every request a quarter of a second (more on a busy machine).
 */
export const VALIDATION_SLICE = 250;

const yieldToRequests = () => new Promise<void>((resolve) => setImmediate(resolve));

type EnvelopeSchema = typeof alertmanagerWebhookInput | typeof grafanaWebhookInput;
type EnvelopeOutput = z.output<typeof alertmanagerWebhookInput> | z.output<typeof grafanaWebhookInput>;

/** Each envelope schema with its alerts taken as they come: the rest of the envelope checked on its own. */
const shells = new Map<EnvelopeSchema, z.ZodType>();
const shellOf = (schema: EnvelopeSchema) => {
  let shell = shells.get(schema);
  if (!shell) shells.set(schema, (shell = schema.extend({ alerts: alertListOf(z.unknown()) })));
  return shell;
};
const alertSlice = z.array(alertmanagerAlert);

/**
 * In process (a small body, a caller holding parsed JSON, or the intake worker unable to run): a
 * whole envelope validated, and normalised to a Delivery, without holding the event loop: the
 * envelope first, then its alerts VALIDATION_SLICE at a time with requests served in between
 * (each slice also hashed for the resend comparison). Still validated whole before anything is
 * applied: a bad alert anywhere refuses the group, every problem named as the one-go parse names
 * it (`alerts.4999.labels`), and nothing is written.
 */
function validateEnvelope(
  format: 'alertmanager' | 'grafana',
  schema: EnvelopeSchema,
  message: string,
  raw: unknown,
  rawBody: string,
): Delivery | Promise<Delivery> {
  const items = (raw as { alerts?: unknown } | null)?.alerts;
  // A small group is validated at once (and applied in the same turn, as callers expect).
  if (!Array.isArray(items) || items.length <= VALIDATION_SLICE)
    return deliveryOf(format, parseInput(schema, raw, { message, keepNames: true }), rawBody);
  return validateInSlices(format, schema, message, raw, items, rawBody);
}

async function validateInSlices(
  format: 'alertmanager' | 'grafana',
  schema: EnvelopeSchema,
  message: string,
  raw: unknown,
  items: unknown[],
  rawBody: string,
): Promise<Delivery> {
  const refuse = (issues: z.core.$ZodIssue[]) =>
    new CommandError(422, 'validation_failed', message, fieldErrors(new z.ZodError(issues), undefined, true));
  const shell = shellOf(schema).safeParse(raw);
  const issues: z.core.$ZodIssue[] = shell.success ? [] : [...shell.error.issues];
  if (items.length > MAX_ALERTS_PER_PAYLOAD) throw refuse(issues);
  const envelope = shell.data as { receiver: string; groupKey?: string } | undefined;
  const alerts: IncomingAlert[] = [];
  const hasher = new NoticeHasher(envelope?.receiver ?? null);
  for (let start = 0; start < items.length; start += VALIDATION_SLICE) {
    await yieldToRequests();
    const parsed = alertSlice.safeParse(items.slice(start, start + VALIDATION_SLICE));
    if (!parsed.success)
      for (const issue of parsed.error.issues)
        issues.push({ ...issue, path: ['alerts', start + (issue.path[0] as number), ...issue.path.slice(1)] });
    else if (issues.length === 0) {
      const slice = parsed.data.map(fromEnvelope);
      hasher.add(slice);
      for (const a of slice) alerts.push(a);
    }
  }
  if (issues.length || !envelope) throw refuse(issues);
  const { receiver, groupKey } = envelope;
  return { format, source: format, receiver, rawBody, alerts, groupKey, noticeDigest: hasher.digest() };
}

/**
 * The two senders of whole groups: a byte-identical resend is answered before validation, one
 * that says the same in other bytes after it; anything else is applied (large groups in slices).
 */
function receiveEnvelope(
  db: Db,
  format: 'alertmanager' | 'grafana',
  schema: EnvelopeSchema,
  message: string,
  raw: unknown,
  rawBody: string,
  ctx: IntakeContext,
): Promise<IntakeResult> {
  const named = envelopeGroup(raw);
  const resend = named && unchangedResend(db, { format, source: format, ...named, rawBody }, ctx.now);
  if (resend) return Promise.resolve(resend);
  const delivery = validateEnvelope(format, schema, message, raw, rawBody);
  return delivery instanceof Promise
    ? delivery.then((d) => applyEnvelope(db, d, ctx))
    : applyEnvelope(db, delivery, ctx);
}

/** A validated group: answered as a resend if it says what the group last said, applied otherwise. */
function applyEnvelope(db: Db, delivery: Delivery, ctx: IntakeContext): Promise<IntakeResult> {
  const same = () => unchangedResend(db, { ...delivery, fingerprints: fingerprintsOf(delivery.alerts) }, ctx.now);
  const result = same();
  return result ? Promise.resolve(result) : receiveInSlices(db, delivery, ctx, same);
}

/**
 * The intake worker failed while a streamed body was in it (the body is not kept anywhere else):
 * a 503, which Alertmanager retries.
 */
const INTAKE_UNAVAILABLE = 'No se pudo leer el envío en este momento; no se registró nada. Vuelva a enviarlo.';

/** A large body given to the intake worker: null when the worker cannot run (the body is then read here). */
async function offload(format: EnvelopeFormat, received: string | Uint8Array): Promise<OffloadedBody | null> {
  if ((typeof received === 'string' ? received.length : received.byteLength) < OFFLOAD_MIN_BYTES) return null;
  const read = await readInWorker(format, received);
  if (read.kind === 'refused') throw new CommandError(read.status, read.code, read.message, read.fields);
  if (read.kind === 'failed') return null;
  rememberRawDigest(format, read.text, read.rawDigest);
  return read;
}

/** The worker's body validated whole and packed: a 422 as the in-process parse words it, null if the worker failed. */
async function packed(format: EnvelopeFormat, body: OffloadedBody, rawBody: string): Promise<Delivery | null> {
  const checked = await body.validate();
  if (checked.kind === 'refused') throw new CommandError(checked.status, checked.code, checked.message, checked.fields);
  if (checked.kind === 'failed') return null;
  const { group } = checked;
  return {
    format,
    source: format,
    receiver: group.receiver,
    rawBody,
    gzipBody: new Uint8Array(checked.gzip),
    alerts: new PackedAlerts(group),
    groupKey: group.groupKey,
    noticeDigest: group.noticeDigest,
  };
}

/**
 * POST /api/v1/alerts/alertmanager and /grafana, from the body as received (a JSON type, checked
 * by the route), whole or as the chunks of the request's stream: a large body is read by the
 * intake worker (a stream's chunks handed to it as they arrive), a byte-identical resend answered
 * from its digest, anything else validated there and applied in slices here. Small bodies, and
 * every body when the worker cannot run, are read in process. A stream that fails (the route's
 * size limit) writes nothing and throws its error.
 */
export async function receiveEnvelopeBody(
  db: Db,
  format: EnvelopeFormat,
  receivedAs: string | Uint8Array | AsyncIterable<Uint8Array>,
  ctx: IntakeContext,
): Promise<IntakeResult> {
  let received: string | Uint8Array;
  let body: OffloadedBody | null;
  if (typeof receivedAs === 'string' || receivedAs instanceof Uint8Array) {
    received = receivedAs;
    body = await offload(format, received);
  } else {
    const streamed = await readStreamInWorker(format, receivedAs);
    if (streamed.kind === 'refused')
      throw new CommandError(streamed.status, streamed.code, streamed.message, streamed.fields);
    if (streamed.kind === 'failed') throw new CommandError(503, 'intake_unavailable', INTAKE_UNAVAILABLE);
    if (streamed.kind === 'body') {
      received = '';
      body = streamed;
      rememberRawDigest(format, body.text, body.rawDigest);
    } else {
      received = streamed.bytes;
      body = await offload(format, received);
    }
  }
  if (body) {
    const rawBody = body.text;
    let delivery: Delivery | null;
    try {
      const resend = body.named && unchangedResend(db, { format, source: format, ...body.named, rawBody }, ctx.now);
      if (resend) return resend;
      delivery = await packed(format, body, rawBody);
    } finally {
      // The worker forgets the parsed body unless it was asked to validate it (a resend, a throw).
      body.drop();
    }
    if (delivery) return applyEnvelope(db, delivery, ctx);
  }
  // As c.req.text() decodes a body (a byte order mark dropped, bad bytes as U+FFFD).
  const rawBody = body ? body.text : typeof received === 'string' ? received : new TextDecoder().decode(received);
  const { schema, message } = envelopeFormats[format];
  return receiveEnvelope(db, format, schema, message, parseJsonObject(rawBody), rawBody, ctx);
}

function deliveryOf(format: 'alertmanager' | 'grafana', input: EnvelopeOutput, rawBody: string): Delivery {
  return {
    format,
    source: format,
    receiver: input.receiver,
    rawBody,
    alerts: input.alerts.map(fromEnvelope),
    groupKey: input.groupKey,
  };
}

/** POST /api/v1/alerts/alertmanager. `rawBody` is kept as received. */
export function receiveAlertmanagerWebhook(
  db: Db,
  raw: AlertmanagerWebhook | unknown,
  rawBody: string,
  ctx: IntakeContext,
): Promise<IntakeResult> {
  const { schema, message } = envelopeFormats.alertmanager;
  return receiveEnvelope(db, 'alertmanager', schema, message, raw, rawBody, ctx);
}

/** POST /api/v1/alerts/grafana. */
export function receiveGrafanaWebhook(
  db: Db,
  raw: GrafanaWebhook | unknown,
  rawBody: string,
  ctx: IntakeContext,
): Promise<IntakeResult> {
  const { schema, message } = envelopeFormats.grafana;
  return receiveEnvelope(db, 'grafana', schema, message, raw, rawBody, ctx);
}

/**
 * A stored body applied again from where it stopped: a large delivery whose server died
 * half-way ('applying', its applier's lease run out), resumed by the holder of the background
 * lease. It was validated whole when it was accepted.
 */
export async function resumeDelivery(
  db: Db,
  stored: { format: string; body: string; gzip?: Buffer | null; tokenName: string | null },
  ctx: IntakeContext,
): Promise<IntakeResult | null> {
  if (stored.format !== 'alertmanager' && stored.format !== 'grafana') return null;
  const { format } = stored;
  // A gzipped body goes to the worker as the bytes it was (the worker decodes them).
  const received = stored.gzip ? new Uint8Array(gunzipSync(stored.gzip)) : stored.body;
  const body = await offload(format, received);
  const rawBody = body?.text ?? (typeof received === 'string' ? received : new TextDecoder().decode(received));
  const delivery =
    (body && (await packed(format, body, rawBody))) ??
    (await validateEnvelope(
      format,
      envelopeFormats[format].schema,
      envelopeFormats[format].message,
      parseJsonObject(rawBody),
      rawBody,
    ));
  return receiveInSlices(db, delivery, {
    ...ctx,
    tokenName: stored.tokenName ?? undefined,
  });
}

/**
 * Sources that belong to one sender: the dedicated endpoints' and the site's own network-quality
 * thresholds. An alert's episode is found by source and fingerprint, so a generic alert under
 * one of these names could fire or resolve that sender's alerts.
 */
export const RESERVED_ALERT_SOURCES: Readonly<Record<string, string>> = {
  alertmanager: 'POST /api/v1/alerts/alertmanager',
  grafana: 'POST /api/v1/alerts/grafana',
  quality: 'los umbrales de calidad de red del propio sitio',
};

/**
 * POST /api/v1/alerts (the generic shape, public names already turned into the schema's).
 * `ownSource` is the one reserved source its caller owns (the quality thresholds' 'quality').
 */
export function receiveGenericAlert(
  db: Db,
  raw: GenericAlert,
  rawBody: string,
  ctx: IntakeContext & { ownSource?: string },
): IntakeResult {
  const input = parseInput(genericAlertInput, raw, { message: 'La alerta no es válida; no se registró nada.' });
  const reserved = Object.keys(RESERVED_ALERT_SOURCES).find((s) => s === input.source.toLowerCase());
  if (reserved && reserved !== ctx.ownSource)
    throw new CommandError(422, 'validation_failed', 'La alerta no es válida; no se registró nada.', [
      {
        path: 'source',
        message: `La fuente «${input.source}» es de ${RESERVED_ALERT_SOURCES[reserved]}; use otro nombre, p. ej. "zabbix".`,
      },
    ]);
  const refs = input.components ?? [input.component!];
  const alert: IncomingAlert = {
    fingerprint: input.id,
    status: input.status,
    // Rules match on labels: the sender's own, plus what the generic shape says.
    labels: { ...input.labels, source: input.source, severity: input.severity, component: refs.join(',') },
    annotations: { summary: input.summary, ...(input.description ? { description: input.description } : {}) },
    startsAt: input.startedAt ?? null,
    endsAt: input.status === 'resolved' ? (input.endedAt ?? null) : null,
    url: input.url || null,
    severity: input.severity,
    summary: input.summary,
    description: input.description || null,
    refs,
  };
  return receive(db, { format: 'generic', source: input.source, receiver: null, rawBody, alerts: [alert] }, ctx);
}
