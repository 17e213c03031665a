import { gunzipSync } from 'node:zlib';
import { and, asc, desc, eq, inArray, isNull, min, ne, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../client.ts';
import {
  alertEffectLabels,
  alertEffects,
  alertStatuses,
  alertStatusLabels,
  componentStatusLabels,
  incidentImpactLabels,
  type AlertEffect,
  type AlertFormat,
  type AlertMode,
  type AlertStatus,
  type ComponentStatus,
  type DraftState,
  type IncidentImpact,
  type IncidentStatus,
} from '../enums.ts';
import { defaultRuleDocument, type AlertRuleDocument } from '../domain/alerts.ts';
import { slaState, type SlaState } from '../domain/businessHours.ts';
import {
  alertDeliveries,
  alertDeliveryBodies,
  alertRuleSets,
  alerts,
  incidentDrafts,
  incidents,
} from '../schema/index.ts';
import { componentCatalogue, type Catalogue, type ComponentView } from './catalog.ts';
import { chunked, groupBy } from './batch.ts';

export type AlertRow = typeof alerts.$inferSelect;
export type DraftRow = typeof incidentDrafts.$inferSelect;

/** The NOC's rules, or the defaults when none were saved. */
export function alertRuleDocument(db: Db): AlertRuleDocument & { updatedAt: Date | null; updatedBy: string | null } {
  const row = db.select().from(alertRuleSets).where(eq(alertRuleSets.id, 1)).get();
  if (!row) return { ...defaultRuleDocument(), updatedAt: null, updatedBy: null };
  return { ...(JSON.parse(row.document) as AlertRuleDocument), updatedAt: row.updatedAt, updatedBy: row.updatedBy };
}

/**
 * Alerts the clock may have something to do with: flapping ones (their hold-down runs out) and
 * firing ones a maintenance holds back on some component (the window ends). Not every active
 * alert: after a storm thousands fire steadily, and reading them all on each pass of the clock
 * held every request.
 */
export function alertsWaitingOnClock(db: Db): AlertRow[] {
  return db
    .select()
    .from(alerts)
    .where(or(eq(alerts.flapping, true), and(eq(alerts.status, 'firing'), ne(alerts.suppressedIds, '[]'))))
    .all();
}

/**
 * What the active alerts that change status automatically impose (db/domain/alerts.ts
 * `alertContribution` reads these columns only): the reconciler's view of thousands of firing
 * alerts, one row per distinct imposition (a storm of 5,000 alerts on five components is five
 * rows, not 5,000 mapped in JavaScript), represented by the first alert stored of each.
 */
export function automaticAlertHolds(db: Db) {
  const shape = [
    alerts.status,
    alerts.flapping,
    alerts.componentIds,
    alerts.suppressedIds,
    alerts.proposedStatus,
    alerts.mode,
    alerts.effect,
  ] as const;
  return (
    db
      .select({
        // SQLite takes the bare columns of an aggregate query from the row min() picked.
        first: sql<number>`min(${alerts}.rowid)`,
        id: alerts.id,
        status: alerts.status,
        flapping: alerts.flapping,
        componentIds: alerts.componentIds,
        suppressedIds: alerts.suppressedIds,
        proposedStatus: alerts.proposedStatus,
        mode: alerts.mode,
        effect: alerts.effect,
        startsAt: alerts.startsAt,
      })
      .from(alerts)
      .where(and(or(eq(alerts.status, 'firing'), eq(alerts.flapping, true)), eq(alerts.effect, 'automatic')))
      .groupBy(...shape)
      .all()
      // The order a scan of the table gives: the first stored alert of the worst status wins.
      .sort((a, b) => a.first - b.first)
  );
}

/**
 * The first alert that opened an incident: the earliest `startsAt` among the alerts linked to it
 * (through its draft, or directly because they fired while it was open). Null for incidents no
 * alert opened. SLA and availability reports take an incident's real start from here.
 */
export function incidentFirstAlertStart(db: Db, incidentId: string): Date | null {
  return firstAlertStarts(db, [incidentId]).get(incidentId) ?? null;
}

/** The same for many incidents at once: incident id → first alert `startsAt`. */
export function firstAlertStarts(db: Db, incidentIds: string[]): Map<string, Date> {
  const rows = chunked(incidentIds, (part) =>
    db
      .select({ incidentId: alerts.incidentId, first: min(alerts.startsAt) })
      .from(alerts)
      .where(inArray(alerts.incidentId, part))
      .groupBy(alerts.incidentId)
      .all(),
  );
  return new Map(rows.filter((r) => r.incidentId && r.first).map((r) => [r.incidentId!, r.first!]));
}

export interface AlertView {
  id: string;
  format: AlertFormat;
  source: string;
  receiver: string | null;
  fingerprint: string;
  status: AlertStatus;
  statusLabel: string;
  severity: string | null;
  summary: string | null;
  description: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  url: string | null;
  startsAt: Date;
  endsAt: Date | null;
  components: ComponentView[];
  unmatchedRefs: string[];
  suppressedIds: string[];
  ruleName: string | null;
  mode: AlertMode;
  proposedStatus: ComponentStatus | null;
  proposedStatusLabel: string | null;
  effect: AlertEffect;
  effectLabel: string;
  note: string | null;
  flapping: boolean;
  flapCount: number;
  draftId: string | null;
  incidentId: string | null;
  firstReceivedAt: Date;
  lastReceivedAt: Date;
  resolvedAt: Date | null;
}

function alertView(r: AlertRow, catalogue: Catalogue): AlertView {
  const ids = JSON.parse(r.componentIds) as string[];
  return {
    id: r.id,
    format: r.format,
    source: r.source,
    receiver: r.receiver,
    fingerprint: r.fingerprint,
    status: r.status,
    statusLabel: alertStatusLabels[r.status],
    severity: r.severity,
    summary: r.summary,
    description: r.description,
    labels: JSON.parse(r.labels),
    annotations: JSON.parse(r.annotations),
    url: r.url,
    startsAt: r.startsAt,
    endsAt: r.endsAt,
    components: ids.map((id) => catalogue.byId.get(id)).filter((c): c is ComponentView => !!c),
    unmatchedRefs: JSON.parse(r.unmatchedRefs),
    suppressedIds: JSON.parse(r.suppressedIds),
    ruleName: r.ruleName,
    mode: r.mode,
    proposedStatus: r.proposedStatus,
    proposedStatusLabel: r.proposedStatus ? componentStatusLabels[r.proposedStatus] : null,
    effect: r.effect,
    effectLabel: alertEffectLabels[r.effect],
    note: r.note,
    flapping: r.flapping,
    flapCount: r.flapCount,
    draftId: r.draftId,
    incidentId: r.incidentId,
    firstReceivedAt: r.firstReceivedAt,
    lastReceivedAt: r.lastReceivedAt,
    resolvedAt: r.resolvedAt,
  };
}

export interface AlertFilter {
  status?: AlertStatus;
  effect?: AlertEffect;
  draftId?: string;
  incidentId?: string;
  limit?: number;
}

export const ALERT_LIST_MAX = 500;

/** Alerts newest first (by when we first received them), filtered. */
export function alertList(
  db: Db,
  filter: AlertFilter = {},
  catalogue: Catalogue = componentCatalogue(db),
): AlertView[] {
  const where = [
    filter.status ? eq(alerts.status, filter.status) : undefined,
    filter.effect ? eq(alerts.effect, filter.effect) : undefined,
    filter.draftId ? eq(alerts.draftId, filter.draftId) : undefined,
    filter.incidentId ? eq(alerts.incidentId, filter.incidentId) : undefined,
  ].filter((w) => w !== undefined);
  const limit = Math.min(Math.max(1, filter.limit ?? 100), ALERT_LIST_MAX);
  return db
    .select()
    .from(alerts)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(alerts.firstReceivedAt), desc(sql`rowid`))
    .limit(limit)
    .all()
    .map((r) => alertView(r, catalogue));
}

export interface DraftView {
  id: string;
  state: DraftState;
  name: string;
  impact: IncidentImpact;
  impactLabel: string;
  status: IncidentStatus;
  cause: string | null;
  body: string;
  /** Component id → proposed status, in catalogue order. */
  components: Array<{ component: ComponentView; status: ComponentStatus; statusLabel: string }>;
  templateId: string | null;
  startedAt: Date;
  lastAlertAt: Date;
  incidentId: string | null;
  closedAt: Date | null;
  closedBy: string | null;
  discardReason: string | null;
  createdAt: Date;
  alerts: AlertView[];
}

function draftViews(db: Db, rows: DraftRow[], catalogue: Catalogue): DraftView[] {
  if (rows.length === 0) return [];
  const byDraft = groupBy(
    chunked(
      rows.map((r) => r.id),
      (part) => db.select().from(alerts).where(inArray(alerts.draftId, part)).orderBy(asc(alerts.startsAt)).all(),
    ),
    (a) => a.draftId!,
  );
  const order = new Map(catalogue.all.map((c, i) => [c.id, i]));
  return rows.map((r) => {
    const proposed = JSON.parse(r.components) as Record<string, ComponentStatus>;
    const components = Object.entries(proposed)
      .map(([id, status]) => ({
        component: catalogue.byId.get(id),
        status,
        statusLabel: componentStatusLabels[status],
      }))
      .filter((c): c is { component: ComponentView; status: ComponentStatus; statusLabel: string } => !!c.component)
      .sort((a, b) => (order.get(a.component.id) ?? 0) - (order.get(b.component.id) ?? 0));
    return {
      id: r.id,
      state: r.state,
      name: r.name,
      impact: r.impact,
      impactLabel: incidentImpactLabels[r.impact],
      status: r.status,
      cause: r.cause,
      body: r.body,
      components,
      templateId: r.templateId,
      startedAt: r.startedAt,
      lastAlertAt: r.lastAlertAt,
      incidentId: r.incidentId,
      closedAt: r.closedAt,
      closedBy: r.closedBy,
      discardReason: r.discardReason,
      createdAt: r.createdAt,
      alerts: (byDraft.get(r.id) ?? []).map((a) => alertView(a, catalogue)),
    };
  });
}

export function draftDetail(db: Db, id: string, catalogue: Catalogue = componentCatalogue(db)): DraftView | null {
  const row = db.select().from(incidentDrafts).where(eq(incidentDrafts.id, id)).get();
  return row ? draftViews(db, [row], catalogue)[0] : null;
}

/** Drafts waiting for a person, oldest outage first (the one whose SLA clock runs out first). */
export function openDrafts(db: Db, catalogue: Catalogue = componentCatalogue(db)): DraftView[] {
  return draftViews(
    db,
    db
      .select()
      .from(incidentDrafts)
      .where(eq(incidentDrafts.state, 'open'))
      .orderBy(asc(incidentDrafts.startedAt))
      .all(),
    catalogue,
  );
}

/** Every draft, newest first (open, published and discarded), for scripts. */
export function recentDrafts(db: Db, limit = 100, catalogue: Catalogue = componentCatalogue(db)): DraftView[] {
  return draftViews(
    db,
    db
      .select()
      .from(incidentDrafts)
      .orderBy(desc(incidentDrafts.createdAt), desc(sql`rowid`))
      .limit(Math.min(limit, ALERT_LIST_MAX))
      .all(),
    catalogue,
  );
}

export interface OpenDraftSla {
  draft: DraftView;
  /** Manual 1.3: the first public word is due within the criticidad's time, counted from the alert's start. */
  sla: SlaState;
}

export function openDraftsWithSla(db: Db, now: Date, catalogue?: Catalogue): OpenDraftSla[] {
  return openDrafts(db, catalogue).map((draft) => ({ draft, sla: slaState(draft.impact, draft.startedAt, now) }));
}

export interface IncidentAlertSummary {
  total: number;
  firing: number;
  /** When the last of them resolved (ours), when all did. */
  allResolvedAt: Date | null;
  /** Components the incident's alerts named (for the "En monitoreo" proposal). */
  componentIds: string[];
}

/**
 * What the alerts linked to an incident say now. When every one resolved (and none still holds a
 * component while flapping), the console proposes the "En monitoreo" update; it posts nothing itself.
 */
export function incidentAlertSummary(db: Db, incidentId: string): IncidentAlertSummary {
  const rows = db.select().from(alerts).where(eq(alerts.incidentId, incidentId)).all();
  const firing = rows.filter((r) => r.status === 'firing' || r.flapping).length;
  const resolvedTimes = rows.map((r) => r.resolvedAt?.getTime() ?? 0);
  return {
    total: rows.length,
    firing,
    allResolvedAt: rows.length > 0 && firing === 0 ? new Date(Math.max(...resolvedTimes)) : null,
    componentIds: [...new Set(rows.flatMap((r) => JSON.parse(r.componentIds) as string[]))],
  };
}

/** Open incidents whose alerts have all resolved: the dashboard proposes "En monitoreo" for them. */
export function incidentsWithAlertsResolved(db: Db): Map<string, Date> {
  const rows = db
    .select({
      incidentId: alerts.incidentId,
      status: alerts.status,
      flapping: alerts.flapping,
      resolvedAt: alerts.resolvedAt,
    })
    .from(alerts)
    .innerJoin(incidents, eq(incidents.id, alerts.incidentId))
    .where(and(isNull(incidents.resolvedAt), inArray(incidents.status, ['investigating', 'identified'])))
    .all();
  const result = new Map<string, Date>();
  for (const [incidentId, list] of groupBy(rows, (r) => r.incidentId!)) {
    if (list.some((r) => r.status === 'firing' || r.flapping)) continue;
    result.set(incidentId, new Date(Math.max(...list.map((r) => r.resolvedAt?.getTime() ?? 0))));
  }
  return result;
}

export interface AlertDeliveryView {
  id: number;
  format: AlertFormat;
  sender: string;
  body: string;
  alertCount: number;
  outcome: Record<string, number>;
  receivedAt: Date;
  lastReceivedAt: Date;
  timesReceived: number;
}

/** A stored delivery's body as received: its text, or its gzip (a large group's, see alertDeliveryBodies). */
export function deliveryBodyText(stored: { body: string; gzip: Buffer | null }): string {
  return stored.gzip ? gunzipSync(stored.gzip).toString('utf8') : stored.body;
}

/** The most recent webhooks as received (raw bodies), newest first. */
export function recentAlertDeliveries(db: Db, limit = 20): AlertDeliveryView[] {
  return db
    .select({
      id: alertDeliveries.id,
      format: alertDeliveries.format,
      sender: alertDeliveries.sender,
      body: alertDeliveryBodies.body,
      gzip: alertDeliveryBodies.gzip,
      alertCount: alertDeliveries.alertCount,
      outcome: alertDeliveries.outcome,
      receivedAt: alertDeliveries.receivedAt,
      lastReceivedAt: alertDeliveries.lastReceivedAt,
      timesReceived: alertDeliveries.timesReceived,
    })
    .from(alertDeliveries)
    .innerJoin(alertDeliveryBodies, eq(alertDeliveryBodies.deliveryId, alertDeliveries.id))
    .orderBy(desc(alertDeliveries.lastReceivedAt), desc(alertDeliveries.id))
    .limit(limit)
    .all()
    .map(({ gzip, ...d }) => ({
      ...d,
      body: deliveryBodyText({ body: d.body, gzip }),
      outcome: JSON.parse(d.outcome),
    }));
}

/** Counts for the dashboard: what needs a person's eye. */
export function alertCounts(db: Db): { firing: number; unmatched: number; suppressed: number } {
  const rows = db
    .select({ effect: alerts.effect, n: sql<number>`count(*)` })
    .from(alerts)
    .where(eq(alerts.status, 'firing'))
    .groupBy(alerts.effect)
    .all();
  const by = new Map(rows.map((r) => [r.effect, r.n]));
  return {
    firing: rows.reduce((s, r) => s + r.n, 0),
    unmatched: by.get('unmatched') ?? 0,
    suppressed: by.get('suppressed') ?? 0,
  };
}

/** Query parameters of GET /api/v1/alerts. */
export const alertListQuery = z.strictObject({
  status: z.enum(alertStatuses, { error: 'status es firing o resolved.' }).optional(),
  effect: z.enum(alertEffects, { error: `effect es uno de: ${alertEffects.join(', ')}.` }).optional(),
  limit: z.coerce
    .number({ error: `limit es un número entre 1 y ${ALERT_LIST_MAX}.` })
    .int()
    .min(1)
    .max(ALERT_LIST_MAX)
    .optional(),
});
