// Alert intake, step 1: each sender's format (Alertmanager, Grafana, the generic shape for Zabbix,
// LibreNMS and scripts) has its own zod schema here, and becomes the same `IncomingAlert`, which
// ./receive.ts applies in one transaction. A payload is accepted or refused as a whole; a refused
// one writes nothing.
import { z } from 'zod';
import type { Db } from '../../client.ts';
import { componentRefsFromLabels } from '../../domain/alerts.ts';
import type { AlertFormat, AlertStatus } from '../../enums.ts';
import { CommandError } from '../errors.ts';
import { fieldErrors, instant, LIMITS, parseInput, ref, refList, text } from '../input.ts';
import { NoticeHasher } from './groups.ts';
import { receive, receiveInSlices, unchangedResend, type IntakeResult } from './receive.ts';

/** How many alerts one webhook may carry; Alertmanager's `max_alerts` is unlimited by default. */
export const MAX_ALERTS_PER_PAYLOAD = 5_000;

const labelKey = z
  .string()
  .min(1, 'Una etiqueta sin nombre.')
  .max(200, 'Un nombre de etiqueta pasa de 200 caracteres.');
const labels = z
  .record(
    labelKey,
    z
      .string({ error: 'Los valores de las etiquetas deben ser texto.' })
      .max(4_000, 'Un valor de etiqueta pasa de 4,000 caracteres.'),
    { error: 'Debe ser un objeto de etiquetas (texto → texto).' },
  )
  .refine((m) => Object.keys(m).length <= 200, 'Hasta 200 etiquetas por alerta.');
const annotations = z
  .record(
    labelKey,
    z
      .string({ error: 'Los valores de las anotaciones deben ser texto.' })
      .max(LIMITS.body, `Una anotación pasa de ${LIMITS.body} caracteres.`),
    { error: 'Debe ser un objeto de anotaciones (texto → texto).' },
  )
  .refine((m) => Object.keys(m).length <= 200, 'Hasta 200 anotaciones por alerta.');
const alertState = z.enum(['firing', 'resolved'], { error: 'El estado de la alerta es firing o resolved.' });
/**
 * Alertmanager's times are RFC 3339 with nanoseconds; `endsAt` is "0001-01-01T00:00:00Z" (Go's
 * zero time) while the alert fires, which means "not ended".
 */
const goTime = instant.transform((d) => (d.getTime() < Date.UTC(1971, 0, 1) ? null : d));
const url = z.string().max(4_000, 'La URL pasa de 4,000 caracteres.');

/** One alert of Alertmanager's webhook (notify/webhook, `template.Alert`); Grafana adds fields, kept as they come. */
const alertmanagerAlert = z.looseObject({
  status: alertState,
  labels,
  annotations: annotations.optional(),
  startsAt: goTime,
  endsAt: goTime.optional(),
  generatorURL: url.optional(),
  fingerprint: z
    .string({ error: 'Cada alerta necesita su fingerprint.' })
    .min(1, 'Cada alerta necesita su fingerprint.')
    .max(200),
});
const alertListOf = <T extends z.ZodType>(alert: T) =>
  z
    .array(alert, { error: 'Falta la lista «alerts».' })
    .min(1, 'La lista «alerts» está vacía.')
    .max(MAX_ALERTS_PER_PAYLOAD, `Hasta ${MAX_ALERTS_PER_PAYLOAD.toLocaleString('es-MX')} alertas por envío.`);
const alertList = alertListOf(alertmanagerAlert);
const envelope = {
  receiver: z.string({ error: 'Falta «receiver».' }).min(1).max(200),
  status: alertState,
  alerts: alertList,
  groupLabels: labels.optional(),
  commonLabels: labels.optional(),
  commonAnnotations: annotations.optional(),
  externalURL: url.optional(),
  groupKey: z.string().max(20_000).optional(),
  truncatedAlerts: z.number().int().min(0).optional(),
};

/**
 * Alertmanager `webhook_config`, payload version 4 (as Alertmanager 0.25 sends it). Unknown
 * fields are kept in the raw body and otherwise ignored, so a newer Alertmanager is not refused.
 */
export const alertmanagerWebhookInput = z.looseObject({
  ...envelope,
  version: z.literal('4', {
    error:
      'Solo se acepta la versión 4 del webhook de Alertmanager («version": "4"). ¿Es un envío de Grafana? Use /api/v1/alerts/grafana.',
  }),
  groupKey: z.string({ error: 'Falta «groupKey».' }).max(20_000),
});

/** Grafana alerting's webhook contact point: Alertmanager's shape plus orgId, title, state, message… */
export const grafanaWebhookInput = z.looseObject({
  ...envelope,
  orgId: z
    .number({ error: 'Falta «orgId»: ¿es un envío de Grafana? Alertmanager usa /api/v1/alerts/alertmanager.' })
    .int(),
  title: z.string().max(LIMITS.body).optional(),
  state: z.string().max(50).optional(),
  message: z.string().max(200_000).optional(),
  version: z.string().max(20).optional(),
});

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

/** Every format, as one alert. */
export interface IncomingAlert {
  fingerprint: string;
  status: AlertStatus;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** As the sender states them; null when a generic sender gives none (we use the time we received it). */
  startsAt: Date | null;
  endsAt: Date | null;
  url: string | null;
  severity: string | null;
  summary: string | null;
  description: string | null;
  /** Component references; from the `component` label unless the sender gives a list. */
  refs: string[];
}

/** One webhook as received, its alerts normalised. */
export interface Delivery {
  format: AlertFormat;
  source: string;
  receiver: string | null;
  rawBody: string;
  alerts: IncomingAlert[];
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

type EnvelopeAlert = z.output<typeof alertmanagerAlert>;

function fromEnvelope(a: EnvelopeAlert): IncomingAlert {
  const notes = a.annotations ?? {};
  const summary = notes.summary ?? notes.title ?? a.labels.alertname ?? null;
  return {
    fingerprint: a.fingerprint,
    status: a.status,
    labels: a.labels,
    annotations: notes,
    startsAt: a.startsAt,
    endsAt: a.status === 'resolved' ? (a.endsAt ?? null) : null,
    url: a.generatorURL || null,
    severity: a.labels.severity ?? null,
    summary: summary ? summary.slice(0, LIMITS.note) : null,
    description: (notes.description ?? notes.message ?? null)?.slice(0, LIMITS.body) ?? null,
    refs: componentRefsFromLabels(a.labels),
  };
}

/** The group an envelope names, read before it is validated (an unchanged resend needs nothing more). */
function envelopeGroup(raw: unknown): { receiver: string; groupKey: string; fingerprints: string[] } | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const { receiver, groupKey, alerts } = raw as Record<string, unknown>;
  if (typeof receiver !== 'string' || typeof groupKey !== 'string' || !Array.isArray(alerts)) return null;
  const fingerprints: string[] = [];
  for (const a of alerts) {
    const fingerprint = (a as { fingerprint?: unknown } | null)?.fingerprint;
    if (typeof fingerprint !== 'string') return null;
    fingerprints.push(fingerprint);
  }
  return { receiver, groupKey, fingerprints };
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
 * A whole envelope validated, and normalised to a Delivery, without holding the event loop: the
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
  const apply = (delivery: Delivery) => {
    const same = () =>
      unchangedResend(db, { ...delivery, fingerprints: delivery.alerts.map((a) => a.fingerprint) }, ctx.now);
    const result = same();
    return result ? Promise.resolve(result) : receiveInSlices(db, delivery, ctx, same);
  };
  const delivery = validateEnvelope(format, schema, message, raw, rawBody);
  return delivery instanceof Promise ? delivery.then(apply) : apply(delivery);
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

const envelopes = {
  alertmanager: {
    schema: alertmanagerWebhookInput,
    message: 'El envío de Alertmanager no es válido; no se registró nada.',
  },
  grafana: { schema: grafanaWebhookInput, message: 'El envío de Grafana no es válido; no se registró nada.' },
} as const;

/** POST /api/v1/alerts/alertmanager. `rawBody` is kept as received. */
export function receiveAlertmanagerWebhook(
  db: Db,
  raw: AlertmanagerWebhook | unknown,
  rawBody: string,
  ctx: IntakeContext,
): Promise<IntakeResult> {
  const { schema, message } = envelopes.alertmanager;
  return receiveEnvelope(db, 'alertmanager', schema, message, raw, rawBody, ctx);
}

/** POST /api/v1/alerts/grafana. */
export function receiveGrafanaWebhook(
  db: Db,
  raw: GrafanaWebhook | unknown,
  rawBody: string,
  ctx: IntakeContext,
): Promise<IntakeResult> {
  const { schema, message } = envelopes.grafana;
  return receiveEnvelope(db, 'grafana', schema, message, raw, rawBody, ctx);
}

/**
 * A stored body applied again from where it stopped: a large delivery whose server died
 * half-way ('applying', its applier's lease run out), resumed by the holder of the background
 * lease. It was validated whole when it was accepted.
 */
export async function resumeDelivery(
  db: Db,
  stored: { format: string; body: string; tokenName: string | null },
  ctx: IntakeContext,
): Promise<IntakeResult | null> {
  if (stored.format !== 'alertmanager' && stored.format !== 'grafana') return null;
  const { schema, message } = envelopes[stored.format];
  const delivery = await validateEnvelope(stored.format, schema, message, JSON.parse(stored.body), stored.body);
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
