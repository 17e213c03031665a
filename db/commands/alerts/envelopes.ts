// Alert intake, step 1: Alertmanager's and Grafana's webhook (a whole alert group) as zod
// schemas, and each alert normalised to the `IncomingAlert` every format becomes. Pure (zod and
// the domain only): the intake worker (./intakeWorker.ts) reads and validates large groups with
// it off the server's event loop, and ./intake.ts small ones in process, with the same rules.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { componentRefsFromLabels } from '../../domain/alerts.ts';
import type { AlertStatus } from '../../enums.ts';
import { instant, LIMITS, parseInput } from '../input.ts';

/** How many alerts one webhook may carry; Alertmanager's `max_alerts` is unlimited by default. */
export const MAX_ALERTS_PER_PAYLOAD = 5_000;

const labelKey = z
  .string()
  .min(1, 'Una etiqueta sin nombre.')
  .max(200, 'Un nombre de etiqueta pasa de 200 caracteres.');
export const labels = z
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
export const alertState = z.enum(['firing', 'resolved'], { error: 'El estado de la alerta es firing o resolved.' });
/**
 * Alertmanager's times are RFC 3339 with nanoseconds; `endsAt` is "0001-01-01T00:00:00Z" (Go's
 * zero time) while the alert fires, which means "not ended".
 */
const goTime = instant.transform((d) => (d.getTime() < Date.UTC(1971, 0, 1) ? null : d));
export const url = z.string().max(4_000, 'La URL pasa de 4,000 caracteres.');

/** One alert of Alertmanager's webhook (notify/webhook, `template.Alert`); Grafana adds fields, kept as they come. */
export const alertmanagerAlert = z.looseObject({
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
export const alertListOf = <T extends z.ZodType>(alert: T) =>
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

export type EnvelopeAlert = z.output<typeof alertmanagerAlert>;

export function fromEnvelope(a: EnvelopeAlert): IncomingAlert {
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
export function envelopeGroup(raw: unknown): { receiver: string; groupKey: string; fingerprints: string[] } | null {
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
 * What a delivery says, alert by alert, whatever the order of its keys or its envelope's noise,
 * hashed as the alerts come: a large group is hashed a slice at a time, between which the event
 * loop serves requests.
 */
export class NoticeHasher {
  private readonly hash;
  constructor(receiver: string | null) {
    this.hash = createHash('sha256').update(`${receiver ?? ''}\n`);
  }
  add(alerts: readonly IncomingAlert[]): this {
    const sorted = (m: Record<string, string>) => Object.entries(m).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    for (const a of alerts) {
      this.hash.update(
        JSON.stringify([
          a.fingerprint,
          a.status,
          a.startsAt?.getTime() ?? null,
          a.endsAt?.getTime() ?? null,
          sorted(a.labels),
          sorted(a.annotations),
          a.url,
          a.severity,
          a.summary,
          a.description,
          a.refs,
        ]),
      );
      this.hash.update('\n');
    }
    return this;
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}

/** The notice digest of some alerts as one delivery (./groups.ts `noticeDigest`). */
export const noticeDigestOf = (receiver: string | null, alerts: readonly IncomingAlert[]) =>
  new NoticeHasher(receiver).add(alerts).digest();

/** The digest of a body as received, by format: an identical resend is recognised by it before validation. */
export const bodyDigest = (format: string, rawBody: string) =>
  createHash('sha256').update(`${format}\n${rawBody}`).digest('hex');

/** Two alerts of one payload with the same fingerprint: the last one is what the sender means (in first-seen order). */
export function uniqueByFingerprint(alerts: readonly IncomingAlert[]): IncomingAlert[] {
  const unique = new Map<string, IncomingAlert>();
  for (const a of alerts) unique.set(a.fingerprint, a);
  return [...unique.values()];
}

export const envelopeFormats = {
  alertmanager: {
    schema: alertmanagerWebhookInput,
    message: 'El envío de Alertmanager no es válido; no se registró nada.',
  },
  grafana: { schema: grafanaWebhookInput, message: 'El envío de Grafana no es válido; no se registró nada.' },
} as const;
export type EnvelopeFormat = keyof typeof envelopeFormats;

/** Alerts per JSON text of a packed group: a slice of the intake parses only the texts it applies. */
export const PACK_SIZE = 25;

/** An alert as packed: its times as epoch milliseconds. */
type PackedAlert = Omit<IncomingAlert, 'startsAt' | 'endsAt'> & { startsAt: number | null; endsAt: number | null };

/**
 * A whole group validated and normalised by the intake worker and handed back as a few strings:
 * what a resend comparison and the record need, and its unique alerts as JSON texts of PACK_SIZE.
 * The server's heap never holds the group's 5,000 objects at once (their garbage collection, not
 * the work, held requests longest); a slice parses the texts it applies.
 */
export interface PackedGroup {
  receiver: string;
  groupKey: string | undefined;
  /** Alerts as sent, repeats included. */
  count: number;
  /** Their fingerprints, as sent. */
  fingerprints: string[];
  /** Unique alerts (uniqueByFingerprint), PACK_SIZE per JSON text. */
  packs: string[];
  unique: number;
  noticeDigest: string;
}

/** A whole envelope validated (a 422 naming every bad field, as one parse names it) and packed. */
export function packEnvelope(format: EnvelopeFormat, raw: unknown): PackedGroup {
  const { schema, message } = envelopeFormats[format];
  const input = parseInput(schema, raw, { message, keepNames: true });
  const alerts = input.alerts.map(fromEnvelope);
  const unique = uniqueByFingerprint(alerts);
  const packs: string[] = [];
  for (let i = 0; i < unique.length; i += PACK_SIZE)
    packs.push(
      JSON.stringify(
        unique.slice(i, i + PACK_SIZE).map((a): PackedAlert => ({
          ...a,
          startsAt: a.startsAt?.getTime() ?? null,
          endsAt: a.endsAt?.getTime() ?? null,
        })),
      ),
    );
  return {
    receiver: input.receiver,
    groupKey: input.groupKey,
    count: alerts.length,
    fingerprints: alerts.map((a) => a.fingerprint),
    packs,
    unique: unique.length,
    noticeDigest: noticeDigestOf(input.receiver, alerts),
  };
}

/** A packed group's unique alerts, read a slice at a time (the last pack read is kept). */
export class PackedAlerts {
  readonly group: PackedGroup;
  private cached: { index: number; alerts: IncomingAlert[] } | undefined;
  constructor(group: PackedGroup) {
    this.group = group;
  }
  get length(): number {
    return this.group.unique;
  }
  private pack(index: number): IncomingAlert[] {
    if (this.cached?.index !== index) {
      const alerts = (JSON.parse(this.group.packs[index]) as PackedAlert[]).map((a): IncomingAlert => ({
        ...a,
        startsAt: a.startsAt === null ? null : new Date(a.startsAt),
        endsAt: a.endsAt === null ? null : new Date(a.endsAt),
      }));
      this.cached = { index, alerts };
    }
    return this.cached.alerts;
  }
  /** The unique alerts from `start` up to `end` (excluded), as Array.prototype.slice counts. */
  slice(start: number, end = this.length): IncomingAlert[] {
    const out: IncomingAlert[] = [];
    for (let i = Math.max(0, start); i < Math.min(end, this.length);) {
      const index = Math.floor(i / PACK_SIZE);
      const alerts = this.pack(index);
      const from = i - index * PACK_SIZE;
      const to = Math.min(alerts.length, end - index * PACK_SIZE);
      for (let j = from; j < to; j++) out.push(alerts[j]);
      i = index * PACK_SIZE + to;
    }
    return out;
  }
}

/** A delivery's alerts: in memory (a small group, the generic shape), or packed by the intake worker. */
export type DeliveryAlerts = readonly IncomingAlert[] | PackedAlerts;

/** How many alerts the sender sent (repeats included). */
export const alertCount = (alerts: DeliveryAlerts) =>
  alerts instanceof PackedAlerts ? alerts.group.count : alerts.length;
/** Every alert's fingerprint, as sent. */
export const fingerprintsOf = (alerts: DeliveryAlerts): readonly string[] =>
  alerts instanceof PackedAlerts ? alerts.group.fingerprints : alerts.map((a) => a.fingerprint);
/** The alerts to apply: one per fingerprint, readable a slice at a time. */
export const uniqueOf = (alerts: DeliveryAlerts): Pick<PackedAlerts, 'length' | 'slice'> =>
  alerts instanceof PackedAlerts ? alerts : uniqueByFingerprint(alerts);
