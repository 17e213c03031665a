// Alert intake: Alertmanager, Grafana and generic senders (Zabbix, LibreNMS, scripts). Each
// format has its own zod schema here; all three become the same `IncomingAlert` and go through
// one transaction that records the delivery, updates each alert's episode, moves component
// status where the NOC allowed it (status events with cause `alert`) and opens or joins a draft
// incident. A payload is accepted or refused as a whole; a refused one writes nothing.
import { createHash } from 'node:crypto';
import { and, desc, eq, lt, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../client.ts';
import type { AlertEffect, AlertFormat, AlertStatus, ComponentStatus } from '../enums.ts';
import {
  componentRefsFromLabels,
  defaultDraftBody,
  draftTitle,
  DRAFT_JOIN_WINDOW_MS,
  flapStatus,
  impactForStatuses,
  matchingRule,
  placeName,
  statusForAlert,
  templateForAlert,
  type AlertRuleDocument,
  type AlertTargetStatus,
} from '../domain/alerts.ts';
import { incidentTemplate } from '../domain/incidentTemplates.ts';
import { worstStatus } from '../domain/rollup.ts';
import { newId } from '../ids.ts';
import {
  alertRuleDocument,
  activeAlertRows,
  componentsUnderMaintenance,
  openIncidentFor,
  type AlertRow,
  type DraftRow,
} from '../queries/alerts.ts';
import { componentCatalogue, expandedComponentIds, findInCatalogue, type Catalogue } from '../queries/catalog.ts';
import { alertDeliveries, alerts, components, componentStatusEvents, incidentDrafts } from '../schema/index.ts';
import { noteChange, recordAudit, type Actor } from './audit.ts';
import { setComponentStatus } from './catalog.ts';
import { instant, LIMITS, parseInput, ref, refList, text } from './input.ts';
import { runCommand } from './transaction.ts';

/** How many alerts one webhook may carry; Alertmanager's `max_alerts` is unlimited by default. */
export const MAX_ALERTS_PER_PAYLOAD = 5_000;
/** Deliveries (raw bodies) are kept this long. */
export const DELIVERY_RETENTION_MS = 30 * 24 * 60 * 60_000;

// ---------------------------------------------------------------------------------------------
// Input: one schema per format.

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
const alertList = z
  .array(alertmanagerAlert, { error: 'Falta la lista «alerts».' })
  .min(1, 'La lista «alerts» está vacía.')
  .max(MAX_ALERTS_PER_PAYLOAD, `Hasta ${MAX_ALERTS_PER_PAYLOAD.toLocaleString('es-MX')} alertas por envío.`);
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

export interface IntakeContext {
  now: Date;
  /** The API token that authenticated the sender, recorded with the delivery. */
  tokenName?: string;
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

/** POST /api/v1/alerts/alertmanager. `rawBody` is kept as received. */
export function receiveAlertmanagerWebhook(
  db: Db,
  raw: AlertmanagerWebhook | unknown,
  rawBody: string,
  ctx: IntakeContext,
): IntakeResult {
  const input = parseInput(alertmanagerWebhookInput, raw, {
    message: 'El envío de Alertmanager no es válido; no se registró nada.',
    keepNames: true,
  });
  return receive(
    db,
    {
      format: 'alertmanager',
      source: 'alertmanager',
      receiver: input.receiver,
      rawBody,
      alerts: input.alerts.map(fromEnvelope),
    },
    ctx,
  );
}

/** POST /api/v1/alerts/grafana. */
export function receiveGrafanaWebhook(
  db: Db,
  raw: GrafanaWebhook | unknown,
  rawBody: string,
  ctx: IntakeContext,
): IntakeResult {
  const input = parseInput(grafanaWebhookInput, raw, {
    message: 'El envío de Grafana no es válido; no se registró nada.',
    keepNames: true,
  });
  return receive(
    db,
    { format: 'grafana', source: 'grafana', receiver: input.receiver, rawBody, alerts: input.alerts.map(fromEnvelope) },
    ctx,
  );
}

/** POST /api/v1/alerts (the generic shape, public names already turned into the schema's). */
export function receiveGenericAlert(db: Db, raw: GenericAlert, rawBody: string, ctx: IntakeContext): IntakeResult {
  const input = parseInput(genericAlertInput, raw, { message: 'La alerta no es válida; no se registró nada.' });
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

// ---------------------------------------------------------------------------------------------
// Processing.

export type AlertChange = 'fired' | 'refired' | 'resolved' | 'reevaluated' | 'resent' | 'ignored';

export interface IntakeResult {
  deliveryId: number;
  /** The same body was received before (a resend): nothing new was recorded unless its alerts changed. */
  duplicate: boolean;
  alerts: Array<{
    id: string;
    fingerprint: string;
    status: AlertStatus;
    change: AlertChange;
    effect: AlertEffect;
    componentIds: string[];
    note: string | null;
    draftId: string | null;
    incidentId: string | null;
  }>;
}

interface Delivery {
  format: AlertFormat;
  source: string;
  receiver: string | null;
  rawBody: string;
  alerts: IncomingAlert[];
}

/** What the rules say about an alert, before its history is looked at. */
interface Decision {
  ruleName: string | null;
  componentIds: string[];
  unmatchedRefs: string[];
  status: AlertTargetStatus | null;
  mode: 'automatic' | 'propose';
  templateId: string | null;
  note: string | null;
}

function decide(
  alert: Pick<IncomingAlert, 'labels' | 'annotations' | 'severity' | 'summary' | 'description' | 'refs'>,
  rules: AlertRuleDocument,
  catalogue: Catalogue,
): Decision {
  const rule = matchingRule(rules.rules, alert.labels);
  const refs = rule && rule.components.length > 0 ? rule.components : alert.refs;
  const found: Parameters<typeof expandedComponentIds>[0] = [];
  const unmatchedRefs: string[] = [];
  for (const r of refs) {
    const entry = findInCatalogue(catalogue, r);
    if (entry) found.push({ path: '', ref: r, entry });
    else unmatchedRefs.push(r);
  }
  const componentIds = expandedComponentIds(found);
  const { status, note } = statusForAlert(alert, { ...rules.defaults.severities, ...rule?.severities });
  const notes = [
    refs.length === 0
      ? 'La alerta no nombra componente (etiqueta «component») ni coincide con ninguna regla.'
      : undefined,
    unmatchedRefs.length ? `No existen en el catálogo: ${unmatchedRefs.map((r) => `«${r}»`).join(', ')}.` : undefined,
    note,
  ].filter(Boolean);
  return {
    ruleName: rule?.name ?? null,
    componentIds,
    unmatchedRefs,
    status,
    mode: rule?.mode ?? rules.defaults.mode,
    templateId: templateForAlert(alert, rule?.template)?.id ?? null,
    note: notes.length ? notes.join(' ') : null,
  };
}

function effectOf(decision: Pick<Decision, 'componentIds' | 'status' | 'mode'>, suppressed: string[]): AlertEffect {
  if (decision.componentIds.length === 0) return 'unmatched';
  if (!decision.status) return 'no_status';
  if (suppressed.length === decision.componentIds.length) return 'suppressed';
  return decision.mode === 'automatic' ? 'automatic' : 'proposed';
}

const json = (v: unknown) => JSON.stringify(v);
const ids = (v: string) => JSON.parse(v) as string[];

/** The statuses an alert row imposes now, by component: none unless automatic and still holding. */
function contribution(
  row: Pick<AlertRow, 'status' | 'flapping' | 'mode' | 'effect' | 'proposedStatus' | 'componentIds' | 'suppressedIds'>,
): Map<string, AlertTargetStatus> {
  const out = new Map<string, AlertTargetStatus>();
  if (row.effect !== 'automatic' || !row.proposedStatus || (row.status !== 'firing' && !row.flapping)) return out;
  const status = row.flapping
    ? flapStatus(row.proposedStatus as AlertTargetStatus)
    : (row.proposedStatus as AlertTargetStatus);
  const held = new Set(ids(row.suppressedIds));
  for (const id of ids(row.componentIds)) if (!held.has(id)) out.set(id, status);
  return out;
}

const rank = (s: ComponentStatus) =>
  ['operational', 'under_maintenance', 'degraded_performance', 'partial_outage', 'major_outage'].indexOf(s);

/** Component id → the worst status its holding alerts impose, and the alert that imposes it. */
function alertTargets(db: Db): Map<string, { status: AlertTargetStatus; alertId: string }> {
  const targets = new Map<string, { status: AlertTargetStatus; alertId: string }>();
  for (const row of activeAlertRows(db)) {
    for (const [componentId, status] of contribution(row)) {
      const current = targets.get(componentId);
      if (!current || rank(status) > rank(current.status)) targets.set(componentId, { status, alertId: row.id });
    }
  }
  return targets;
}

function lastStatusEvent(db: Db, componentId: string) {
  return db
    .select()
    .from(componentStatusEvents)
    .where(eq(componentStatusEvents.componentId, componentId))
    .orderBy(desc(componentStatusEvents.at), desc(componentStatusEvents.id))
    .get();
}

/**
 * Component status moved by alerts (issue 11, "From alert to status"), one component at a time:
 * - an alert that fires (or worsens) sets the worst firing alert's status, unless a person or an
 *   incident already shows something worse, or a maintenance in progress holds the component;
 * - a component whose status an alert set follows its alerts down again, and returns to
 *   operational when the last resolves — unless an open incident, a later manual change (the
 *   last event is then not an alert's) or a maintenance holds it.
 * Idempotent: it compares the desired status with the stored one and writes only a difference.
 */
class StatusReconciler {
  private readonly db: Db;
  private readonly now: Date;
  private targets: Map<string, { status: AlertTargetStatus; alertId: string }> | undefined;
  private maintenance: ReturnType<typeof componentsUnderMaintenance> | undefined;
  readonly changed: Array<{ componentId: string; from: ComponentStatus; to: ComponentStatus }> = [];

  constructor(db: Db, now: Date) {
    this.db = db;
    this.now = now;
  }

  private target(componentId: string) {
    this.targets ??= alertTargets(this.db);
    return this.targets.get(componentId);
  }

  private underMaintenance(componentId: string): boolean {
    this.maintenance ??= componentsUnderMaintenance(this.db);
    return this.maintenance.has(componentId);
  }

  private set(component: { id: string; status: ComponentStatus }, to: ComponentStatus, alertId: string | null) {
    setComponentStatus(this.db, component, to, this.now, { kind: 'alert', id: alertId });
    this.changed.push({ componentId: component.id, from: component.status, to });
  }

  /** An alert fired, fired again or got worse on this component. */
  fire(componentId: string): void {
    const target = this.target(componentId);
    if (!target || this.underMaintenance(componentId)) return;
    const component = this.db.select().from(components).where(eq(components.id, componentId)).get();
    if (!component || component.status === target.status) return;
    const owner = lastStatusEvent(this.db, componentId)?.causeKind;
    if (owner === 'alert' || component.status === 'operational' || rank(target.status) > rank(component.status))
      this.set(component, target.status, target.alertId);
  }

  /**
   * What following its alerts would do to this component (read only): the status to set, or
   * null when it already matches, a person or incident set it last, or something holds it.
   */
  followPlan(
    componentId: string,
  ): { component: { id: string; status: ComponentStatus }; desired: ComponentStatus; alertId: string | null } | null {
    const component = this.db
      .select({ id: components.id, status: components.status })
      .from(components)
      .where(eq(components.id, componentId))
      .get();
    if (!component) return null;
    const target = this.target(componentId);
    const desired: ComponentStatus = target?.status ?? 'operational';
    if (component.status === desired) return null;
    if (lastStatusEvent(this.db, componentId)?.causeKind !== 'alert') return null;
    if (this.underMaintenance(componentId)) return null;
    if (!target && openIncidentFor(this.db, [componentId])) return null;
    return { component, desired, alertId: target?.alertId ?? null };
  }

  /** After any change to this component's alerts: follow them if alerts set its status. */
  follow(componentId: string): void {
    const plan = this.followPlan(componentId);
    if (plan) this.set(plan.component, plan.desired, plan.alertId);
  }

  /** Components an alert set that would follow their alerts now (the settler's catch-up). */
  drifted(): string[] {
    this.targets ??= alertTargets(this.db);
    const targets = this.targets;
    return this.db
      .select({ id: components.id, status: components.status })
      .from(components)
      .all()
      .filter((c) => c.status !== (targets.get(c.id)?.status ?? 'operational'))
      .filter((c) => this.followPlan(c.id) !== null)
      .map((c) => c.id);
  }
}

/** Where an alert goes: the open incident of its components, an open draft of the same outage, or a new draft. */
function linkAlert(db: Db, row: AlertRow, catalogue: Catalogue, actor: Actor, now: Date): AlertRow {
  if (row.draftId || row.incidentId || !row.proposedStatus || (row.effect !== 'automatic' && row.effect !== 'proposed'))
    return row;
  const held = new Set(ids(row.suppressedIds));
  const live = ids(row.componentIds).filter((id) => !held.has(id));
  if (live.length === 0) return row;
  const incident = openIncidentFor(db, live);
  if (incident) {
    recordAudit(db, actor, 'alert.link', { type: 'alert', id: row.id }, now, { incidentId: incident.id });
    return db.update(alerts).set({ incidentId: incident.id }).where(eq(alerts.id, row.id)).returning().get();
  }
  const status = row.proposedStatus as AlertTargetStatus;
  const groups = new Set(live.map((id) => catalogue.byId.get(id)?.groupId).filter(Boolean));
  const open = db
    .select()
    .from(incidentDrafts)
    .where(eq(incidentDrafts.state, 'open'))
    .orderBy(desc(incidentDrafts.lastAlertAt))
    .all();
  const same = open.find((d) => {
    const drafted = Object.keys(JSON.parse(d.components) as Record<string, ComponentStatus>);
    if (drafted.some((id) => live.includes(id))) return true;
    const recent = now.getTime() - d.lastAlertAt.getTime() <= DRAFT_JOIN_WINDOW_MS;
    return recent && drafted.some((id) => groups.has(catalogue.byId.get(id)?.groupId ?? null));
  });
  const draft = same
    ? joinDraft(db, same, live, status, row, catalogue, now)
    : openDraft(db, live, status, row, catalogue, now);
  recordAudit(
    db,
    actor,
    same ? 'incident_draft.join' : 'incident_draft.create',
    { type: 'incident_draft', id: draft.id },
    now,
    { alertId: row.id, components: live },
  );
  return db.update(alerts).set({ draftId: draft.id }).where(eq(alerts.id, row.id)).returning().get();
}

function draftName(templateId: string | null, proposed: Record<string, ComponentStatus>, catalogue: Catalogue): string {
  const comps = Object.keys(proposed)
    .map((id) => catalogue.byId.get(id))
    .filter((c) => c !== undefined);
  return draftTitle(incidentTemplate(templateId), worstStatus(Object.values(proposed)), placeName(comps)).slice(
    0,
    LIMITS.name,
  );
}

function openDraft(
  db: Db,
  live: string[],
  status: AlertTargetStatus,
  row: AlertRow,
  catalogue: Catalogue,
  now: Date,
): DraftRow {
  const proposed = Object.fromEntries(live.map((id) => [id, status]));
  const template = incidentTemplate(row.templateId);
  const where = placeName(live.map((id) => catalogue.byId.get(id)).filter((c) => c !== undefined));
  return db
    .insert(incidentDrafts)
    .values({
      id: newId(),
      state: 'open',
      name: draftName(row.templateId, proposed, catalogue),
      impact: impactForStatuses(Object.values(proposed)),
      status: template?.status ?? 'investigating',
      cause: template?.cause ?? null,
      // Issue 11: the alert's summary is the first message; the NOC edits it before publishing.
      body: (row.summary?.trim() || template?.body || defaultDraftBody(where)).slice(0, LIMITS.body),
      components: json(proposed),
      templateId: row.templateId,
      startedAt: row.startsAt.getTime() > now.getTime() ? now : row.startsAt,
      lastAlertAt: now,
      createdAt: now,
      updatedAt: now,
    })
    .returning()
    .get();
}

function joinDraft(
  db: Db,
  draft: DraftRow,
  live: string[],
  status: AlertTargetStatus,
  row: AlertRow,
  catalogue: Catalogue,
  now: Date,
): DraftRow {
  const proposed = JSON.parse(draft.components) as Record<string, ComponentStatus>;
  for (const id of live) proposed[id] = proposed[id] ? worstStatus([proposed[id], status]) : status;
  const templateId = draft.templateId ?? row.templateId;
  return db
    .update(incidentDrafts)
    .set({
      components: json(proposed),
      name: draftName(templateId, proposed, catalogue),
      impact: impactForStatuses(Object.values(proposed)),
      templateId,
      startedAt: row.startsAt.getTime() < draft.startedAt.getTime() ? row.startsAt : draft.startedAt,
      lastAlertAt: now,
      updatedAt: now,
    })
    .where(eq(incidentDrafts.id, draft.id))
    .returning()
    .get();
}

function senderName(delivery: Pick<Delivery, 'format' | 'source' | 'receiver'>): string {
  return delivery.receiver ? `${delivery.source}/${delivery.receiver}` : delivery.source;
}

function recordDelivery(db: Db, delivery: Delivery, ctx: IntakeContext): { id: number; duplicate: boolean } {
  const dedupKey = createHash('sha256').update(`${delivery.format}\n${delivery.rawBody}`).digest('hex');
  // The delivery is the NOC's bookkeeping: a resend that changes no alert changes nothing public
  // (no cache flush, nothing to publish); what an alert changes in public is noted where it happens.
  noteChange(db, 'alert_delivery');
  const seen = db.select().from(alertDeliveries).where(eq(alertDeliveries.dedupKey, dedupKey)).get();
  db.delete(alertDeliveries)
    .where(lt(alertDeliveries.lastReceivedAt, new Date(ctx.now.getTime() - DELIVERY_RETENTION_MS)))
    .run();
  if (seen) {
    db.update(alertDeliveries)
      .set({ lastReceivedAt: ctx.now, timesReceived: seen.timesReceived + 1 })
      .where(eq(alertDeliveries.id, seen.id))
      .run();
    return { id: seen.id, duplicate: true };
  }
  const row = db
    .insert(alertDeliveries)
    .values({
      format: delivery.format,
      sender: senderName(delivery),
      dedupKey,
      body: delivery.rawBody,
      alertCount: delivery.alerts.length,
      outcome: '{}',
      tokenName: ctx.tokenName ?? null,
      receivedAt: ctx.now,
      lastReceivedAt: ctx.now,
    })
    .returning({ id: alertDeliveries.id })
    .get();
  return { id: row.id, duplicate: false };
}

function latestEpisode(db: Db, source: string, fingerprint: string): AlertRow | undefined {
  return db
    .select()
    .from(alerts)
    .where(and(eq(alerts.source, source), eq(alerts.fingerprint, fingerprint)))
    .orderBy(desc(alerts.firstReceivedAt), desc(sql`rowid`))
    .get();
}

function receive(db: Db, delivery: Delivery, ctx: IntakeContext): IntakeResult {
  const { now } = ctx;
  const actor: Actor = { kind: 'alert', name: senderName(delivery) };
  return runCommand(db, () => {
    const rules = alertRuleDocument(db);
    const catalogue = componentCatalogue(db);
    const held = componentsUnderMaintenance(db);
    const holdMs = rules.defaults.holdDownMinutes * 60_000;
    const { id: deliveryId, duplicate } = recordDelivery(db, delivery, ctx);
    const reconciler = new StatusReconciler(db, now);
    const fired = new Set<string>();
    const touched = new Set<string>();
    const result: IntakeResult['alerts'] = [];
    const outcome: Record<string, number> = {};

    // Two alerts of one payload with the same fingerprint: the last one is what the sender means.
    const unique = new Map<string, IncomingAlert>();
    for (const a of delivery.alerts) unique.set(a.fingerprint, a);

    for (const incoming of unique.values()) {
      const decision = decide(incoming, rules, catalogue);
      const suppressed = decision.componentIds.filter((id) => held.has(id));
      const effect = effectOf(decision, suppressed);
      const heldNote = suppressed.length
        ? `En mantenimiento: ${[...new Set(suppressed.map((id) => held.get(id)!.name))].map((n) => `«${n}»`).join(', ')}.`
        : null;
      const note = [decision.note, heldNote].filter(Boolean).join(' ') || null;
      const evaluated = {
        ruleName: decision.ruleName,
        componentIds: json(decision.componentIds),
        unmatchedRefs: json(decision.unmatchedRefs),
        suppressedIds: json(suppressed),
        mode: decision.mode,
        proposedStatus: decision.status,
        effect,
        note,
        templateId: decision.templateId,
      };
      const facts = {
        severity: incoming.severity,
        summary: incoming.summary,
        description: incoming.description,
        labels: json(incoming.labels),
        annotations: json(incoming.annotations),
        url: incoming.url,
        receiver: delivery.receiver,
        deliveryId,
      };
      const latest = latestEpisode(db, delivery.source, incoming.fingerprint);
      const before = latest ? contribution(latest) : new Map<string, AlertTargetStatus>();
      let row: AlertRow;
      let change: AlertChange;

      const newEpisode = (status: AlertStatus) =>
        db
          .insert(alerts)
          .values({
            id: newId(),
            format: delivery.format,
            source: delivery.source,
            fingerprint: incoming.fingerprint,
            status,
            startsAt: incoming.startsAt ?? now,
            endsAt: status === 'resolved' ? (incoming.endsAt ?? now) : null,
            firstReceivedAt: now,
            lastReceivedAt: now,
            lastFiredAt: now,
            resolvedAt: status === 'resolved' ? now : null,
            ...facts,
            ...evaluated,
          })
          .returning()
          .get();

      if (incoming.status === 'firing') {
        if (!latest) {
          row = newEpisode('firing');
          change = 'fired';
        } else if (latest.status === 'firing') {
          const same =
            latest.componentIds === evaluated.componentIds &&
            latest.suppressedIds === evaluated.suppressedIds &&
            latest.proposedStatus === evaluated.proposedStatus &&
            latest.effect === evaluated.effect &&
            latest.mode === evaluated.mode;
          row = db
            .update(alerts)
            .set({ ...facts, ...evaluated, lastReceivedAt: now })
            .where(eq(alerts.id, latest.id))
            .returning()
            .get();
          change = same ? 'resent' : 'reevaluated';
        } else {
          // A firing notice for an episode that already resolved: an old message arriving late
          // (its start is not after the resolution), a flap within the hold-down, or a new outage.
          const stale =
            incoming.startsAt !== null &&
            (incoming.startsAt.getTime() === latest.startsAt.getTime() ||
              (latest.endsAt !== null && incoming.startsAt.getTime() <= latest.endsAt.getTime()));
          if (stale) {
            row = db.update(alerts).set({ lastReceivedAt: now }).where(eq(alerts.id, latest.id)).returning().get();
            change = 'ignored';
          } else if (holdMs > 0 && latest.resolvedAt && now.getTime() - latest.resolvedAt.getTime() <= holdMs) {
            row = db
              .update(alerts)
              .set({
                ...facts,
                ...evaluated,
                status: 'firing',
                endsAt: null,
                resolvedAt: null,
                flapping: true,
                flapCount: latest.flapCount + 1,
                lastFiredAt: now,
                lastReceivedAt: now,
              })
              .where(eq(alerts.id, latest.id))
              .returning()
              .get();
            change = 'refired';
          } else {
            row = newEpisode('firing');
            change = 'fired';
          }
        }
      } else if (!latest) {
        // Resolved without our having seen it fire (we were down, or the sender's first notice
        // was lost): recorded, so the NOC can see it, and nothing else.
        row = newEpisode('resolved');
        change = 'resolved';
      } else if (latest.status === 'firing') {
        row = db
          .update(alerts)
          .set({
            ...facts,
            ...evaluated,
            status: 'resolved',
            endsAt: incoming.endsAt ?? now,
            resolvedAt: now,
            lastReceivedAt: now,
          })
          .where(eq(alerts.id, latest.id))
          .returning()
          .get();
        change = 'resolved';
      } else {
        row = db.update(alerts).set({ lastReceivedAt: now }).where(eq(alerts.id, latest.id)).returning().get();
        change = 'resent';
      }

      const after = contribution(row);
      for (const [id, status] of after)
        if (before.get(id) !== status && rank(status) > rank(before.get(id) ?? 'operational')) fired.add(id);
      for (const id of new Set([...before.keys(), ...after.keys()])) touched.add(id);
      if (row.status === 'firing' && (change === 'fired' || change === 'refired' || change === 'reevaluated'))
        row = linkAlert(db, row, catalogue, actor, now);
      if (change !== 'resent' && change !== 'ignored') {
        recordAudit(
          db,
          actor,
          `alert.${change === 'fired' ? 'fire' : change === 'refired' ? 'refire' : change === 'resolved' ? 'resolve' : 'reevaluate'}`,
          { type: 'alert', id: row.id },
          now,
          {
            fingerprint: row.fingerprint,
            status: row.status,
            effect: row.effect,
            components: ids(row.componentIds),
            deliveryId,
            ...(row.flapping ? { flapCount: row.flapCount } : {}),
          },
        );
      }
      outcome[change] = (outcome[change] ?? 0) + 1;
      result.push({
        id: row.id,
        fingerprint: row.fingerprint,
        status: row.status,
        change,
        effect: row.effect,
        componentIds: ids(row.componentIds),
        note: row.note,
        draftId: row.draftId,
        incidentId: row.incidentId,
      });
    }

    for (const id of fired) reconciler.fire(id);
    for (const id of touched) reconciler.follow(id);
    if (!duplicate)
      db.update(alertDeliveries)
        .set({ outcome: json(outcome) })
        .where(eq(alertDeliveries.id, deliveryId))
        .run();
    return { deliveryId, duplicate, alerts: result };
  });
}

// ---------------------------------------------------------------------------------------------
// Time: damping and maintenance ends are decided by the clock, not by a delivery.

interface DueWork {
  /** Flapping alerts whose hold-down elapsed (firing steadily, or resolved for good). */
  settled: AlertRow[];
  /** Alerts held by a maintenance that is no longer in progress for some of their components. */
  released: AlertRow[];
}

function dueWork(db: Db, now: Date): DueWork & { holdMs: number } {
  const holdMs = alertRuleDocument(db).defaults.holdDownMinutes * 60_000;
  const active = activeAlertRows(db);
  const settled = active.filter(
    (r) =>
      r.flapping &&
      now.getTime() - (r.status === 'firing' ? r.lastFiredAt : (r.resolvedAt ?? r.lastFiredAt)).getTime() >= holdMs,
  );
  const held = componentsUnderMaintenance(db);
  const released = active.filter((r) => r.status === 'firing' && ids(r.suppressedIds).some((id) => !held.has(id)));
  return { settled, released, holdMs };
}

/**
 * Applies what the clock made due: a flapping alert that stayed resolved (or firing) for the
 * hold-down time settles, a maintenance that ended lets its alerts through (status and draft),
 * and a component an alert set follows its alerts again once nothing holds it. Nothing due
 * means no transaction (a commit would drop the page cache). Audited as the alerts' senders.
 */
export function settleAlerts(db: Db, now: Date): number {
  const quick = dueWork(db, now);
  if (quick.settled.length === 0 && quick.released.length === 0 && new StatusReconciler(db, now).drifted().length === 0)
    return 0;
  return runCommand(db, () => {
    const { settled, released } = dueWork(db, now);
    const catalogue = componentCatalogue(db);
    const held = componentsUnderMaintenance(db);
    const reconciler = new StatusReconciler(db, now);
    const fired = new Set<string>();
    let steps = 0;
    const actorOf = (r: AlertRow): Actor => ({
      kind: 'alert',
      name: r.receiver ? `${r.source}/${r.receiver}` : r.source,
    });
    for (const r of settled) {
      const row = db.update(alerts).set({ flapping: false }).where(eq(alerts.id, r.id)).returning().get();
      if (row.status === 'firing') for (const id of contribution(row).keys()) fired.add(id);
      recordAudit(db, actorOf(r), 'alert.settle', { type: 'alert', id: r.id }, now, {
        status: r.status,
        flapCount: r.flapCount,
      });
      steps++;
    }
    for (const r of released) {
      if (settled.some((s) => s.id === r.id)) continue;
      const componentIds = ids(r.componentIds);
      const suppressed = ids(r.suppressedIds).filter((id) => held.has(id));
      const effect = effectOf(
        { componentIds, status: r.proposedStatus as AlertTargetStatus | null, mode: r.mode },
        suppressed,
      );
      let row = db
        .update(alerts)
        .set({ suppressedIds: json(suppressed), effect, note: suppressed.length ? r.note : null })
        .where(eq(alerts.id, r.id))
        .returning()
        .get();
      for (const id of contribution(row).keys()) fired.add(id);
      row = linkAlert(db, row, catalogue, actorOf(r), now);
      recordAudit(db, actorOf(r), 'alert.release', { type: 'alert', id: r.id }, now, {
        effect,
        components: componentIds,
      });
      steps++;
    }
    for (const id of fired) reconciler.fire(id);
    for (const id of reconciler.drifted()) reconciler.follow(id);
    return steps + reconciler.changed.length;
  });
}

/** The next instant at which `settleAlerts` has something to do by the clock alone, or null. */
export function nextAlertSettleDue(db: Db): Date | null {
  const holdMs = alertRuleDocument(db).defaults.holdDownMinutes * 60_000;
  const flapping = db.select().from(alerts).where(eq(alerts.flapping, true)).all();
  let next = Infinity;
  for (const r of flapping)
    next = Math.min(next, (r.status === 'firing' ? r.lastFiredAt : (r.resolvedAt ?? r.lastFiredAt)).getTime() + holdMs);
  return Number.isFinite(next) ? new Date(next) : null;
}

/** Alerts linked to a draft follow it into the incident it became. */
export function linkDraftAlerts(db: Db, draftId: string, incidentId: string): void {
  db.update(alerts).set({ incidentId }).where(eq(alerts.draftId, draftId)).run();
}
