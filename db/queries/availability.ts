// What the availability rule (db/domain/availability.ts) is computed from: each component's
// status changes and the maintenance windows that touched it, over an interval. The 90-day
// bars, /disponibilidad, its CSV and the reports API all load through here.
import { z } from 'zod';
import type { Db } from '../client.ts';
import {
  addTally,
  availabilityPercent,
  availabilityTally,
  emptyTally,
  maintenanceSpans,
  type AvailabilityTally,
  type MaintenanceRecord,
  type MaintenanceSpan,
  type StatusPoint,
} from '../domain/availability.ts';
import { timelineFromStatements, type StatusStatement } from '../domain/timeline.ts';
import { DAY, figuresAsOf, formatMonth, zonedMonthKey } from '../domain/time.ts';
import { firstResponse, responseShares, type FirstResponse, type ResponseShare } from '../domain/responseSla.ts';
import { incidentImpactLabels, type IncidentImpact, type MaintenanceImpactKind } from '../enums.ts';
import { firstAlertStarts } from './alerts.ts';
import { componentCatalogue, type Catalogue, type ComponentView } from './catalog.ts';
import { isMonthKey, monthBounds, shiftMonth } from './history.ts';

/**
 * A component's latest-recorded change that took effect before a time. Found walking its changes
 * back from the newest recorded (the (component, at) index; the `+` keeps SQLite from choosing
 * the (component, effective time) index, with which it read and sorted every change before that
 * time): O(the changes since), not O(ten years of them) — for 200 components at 20,000
 * incidents, 10–100 ms of each rendering of `/` instead of 90–520 ms on a loaded machine.
 */
export const STATUS_IN_FORCE_SQL = `SELECT status, effective_at, at, id FROM component_status_events
  WHERE component_id = ? AND +effective_at < ? ORDER BY at DESC, id DESC LIMIT 1`;

/**
 * Each component's timeline over [from, to) by the timeline rule (db/domain/timeline.ts): the
 * status in force at `from` (when known), then the changes that took effect in the window, each
 * recorded change overriding what earlier records said from its effective time on. Sorted by
 * time, ready for `availabilityTally`. Every figure of the site reads its timelines here.
 */
export function statusTimelines(
  db: Db,
  componentIds: readonly string[],
  from: Date,
  to: Date,
): Map<string, StatusPoint[]> {
  // Plain SQL: this runs on every rendering of the status page, over every event of 90 days,
  // and the query builder's per-row mapping cost more than the query.
  // One component (the reconciler's "since when", on every status change an alert makes): its
  // own events through the (component, effective time) index, not every component's.
  const one = componentIds.length === 1;
  const inWindow = db.$client
    .prepare(
      `SELECT component_id, effective_at, status, at, id FROM component_status_events
        WHERE ${one ? 'component_id = ? AND ' : ''}effective_at >= ? AND effective_at < ? ORDER BY at, id`,
    )
    .raw()
    .all(...(one ? [componentIds[0]] : []), from.getTime(), to.getTime()) as Array<
    [string, number, StatusPoint['status'], number, number]
  >;
  // The status in force at `from`: the latest-recorded change that took effect before it. A
  // change in the window recorded before that one was overridden by it.
  // A render worker keeps every event in memory (keepStatusHistory); the server asks SQLite.
  const kept = keptHistory(db);
  const before = kept ? undefined : db.$client.prepare(STATUS_IN_FORCE_SQL);
  const initial = new Map<string, { point: StatusPoint; at: number; id: number } | null>();
  for (const id of componentIds) {
    const last = kept
      ? latestBefore(kept.get(id), from.getTime())
      : (before!.get(id, from.getTime()) as EventRow | undefined);
    initial.set(
      id,
      last ? { point: { at: new Date(last.effective_at), status: last.status }, at: last.at, id: last.id } : null,
    );
  }
  const statements = new Map<string, StatusStatement[]>(componentIds.map((id) => [id, []]));
  for (const [componentId, effectiveAt, status, at, id] of inWindow) {
    const list = statements.get(componentId);
    if (!list) continue;
    const start = initial.get(componentId);
    if (start && (at < start.at || (at === start.at && id < start.id))) continue;
    list.push({ effectiveAt, status });
  }
  const byComponent = new Map<string, StatusPoint[]>();
  for (const [id, list] of statements) byComponent.set(id, timelineFromStatements(list, initial.get(id)?.point));
  return byComponent;
}

type EventRow = { status: StatusPoint['status']; effective_at: number; at: number; id: number };

/**
 * One component's status events in order of effective time, and at each position the
 * latest-recorded of the events up to it (by `at`, then id): the status in force at any instant
 * is then a binary search away.
 */
interface ComponentHistory {
  effective: number[];
  latest: EventRow[];
}

/** Connections that keep every status event in memory (keepStatusHistory), loaded at the first use. */
const keptHistories = new WeakMap<Db, { byComponent?: Map<string, ComponentHistory> }>();

/**
 * Keeps the status events of the connection's snapshot in memory, from their first use until
 * `forgetStatusHistory`: the status in force at the start of each window is then found without a
 * query. Each query read every earlier event of the component and sorted them, for each of 200
 * components and each of 121 months of a full publish (8 CPU-s at 20,000 incidents). For a
 * render worker that reads one unchanging snapshot; never for a connection that writes.
 */
export function keepStatusHistory(db: Db): void {
  keptHistories.set(db, {});
}

export function forgetStatusHistory(db: Db): void {
  keptHistories.delete(db);
}

function keptHistory(db: Db): Map<string, ComponentHistory> | undefined {
  const kept = keptHistories.get(db);
  if (!kept) return undefined;
  if (!kept.byComponent) {
    const rows = db.$client
      .prepare(
        `SELECT component_id, status, effective_at, at, id FROM component_status_events ORDER BY component_id, effective_at, id`,
      )
      .raw()
      .all() as Array<[string, StatusPoint['status'], number, number, number]>;
    const byComponent = new Map<string, ComponentHistory>();
    for (const [componentId, status, effective_at, at, id] of rows) {
      let history = byComponent.get(componentId);
      if (!history) byComponent.set(componentId, (history = { effective: [], latest: [] }));
      const previous = history.latest.at(-1);
      const row = { status, effective_at, at, id };
      history.effective.push(effective_at);
      history.latest.push(previous && (previous.at > at || (previous.at === at && previous.id > id)) ? previous : row);
    }
    kept.byComponent = byComponent;
  }
  return kept.byComponent;
}

/** The latest-recorded event that took effect before `instant` (what the query of `statusTimelines` answers). */
function latestBefore(history: ComponentHistory | undefined, instant: number): EventRow | undefined {
  if (!history) return undefined;
  // How many events took effect before the instant.
  let lo = 0;
  let hi = history.effective.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (history.effective[mid] < instant) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? history.latest[lo - 1] : undefined;
}

/** One component's timeline from its first record up to now: what it shows now and since when. */
export function componentTimeline(db: Db, componentId: string, now: Date): StatusPoint[] {
  return statusTimelines(db, [componentId], new Date(0), new Date(now.getTime() + 1)).get(componentId) ?? [];
}

interface WindowRow {
  id: string;
  name: string;
  emergency: number;
  impact_kind: MaintenanceImpactKind;
  created_at: number;
  scheduled_for: number;
  scheduled_until: number;
  started_at: number;
  completed_at: number | null;
  cancelled_at: number | null;
}

export interface OverlappingMaintenance {
  id: string;
  name: string;
  emergency: boolean;
  componentIds: string[];
  /** Network elements it named (the service inventory's). */
  elements: string[];
  record: MaintenanceRecord;
  /** Its spans for the availability rule (a window still open runs until `now`). */
  spans: MaintenanceSpan[];
}

/** Every window that was in progress at some point of [from, to), with its spans, components and elements. */
export function maintenancesInProgressBetween(db: Db, from: Date, to: Date, now: Date): OverlappingMaintenance[] {
  const rows = db.$client
    .prepare(
      `SELECT id, name, emergency, impact_kind, created_at, scheduled_for, scheduled_until, started_at, completed_at, cancelled_at
       FROM maintenances
      WHERE started_at IS NOT NULL AND started_at < ? AND COALESCE(completed_at, cancelled_at, ?) >= ?
      ORDER BY started_at, id`,
    )
    .all(to.getTime(), Number.MAX_SAFE_INTEGER, from.getTime()) as WindowRow[];
  if (rows.length === 0) return [];
  const links = db.$client.prepare(`SELECT component_id FROM maintenance_components WHERE maintenance_id = ?`).pluck();
  const elements = db.$client
    .prepare(`SELECT element FROM maintenance_elements WHERE maintenance_id = ? ORDER BY element`)
    .pluck();
  const changes = db.$client.prepare(
    `SELECT at, previous_for, previous_until FROM maintenance_schedule_changes WHERE maintenance_id = ? ORDER BY at DESC, id DESC`,
  );
  return rows.map((r) => {
    const record: MaintenanceRecord = {
      emergency: r.emergency === 1,
      impactKind: r.impact_kind,
      createdAt: new Date(r.created_at),
      scheduledFor: new Date(r.scheduled_for),
      scheduledUntil: new Date(r.scheduled_until),
      startedAt: new Date(r.started_at),
      endedAt:
        r.completed_at !== null ? new Date(r.completed_at) : r.cancelled_at !== null ? new Date(r.cancelled_at) : null,
      changes: (changes.all(r.id) as Array<{ at: number; previous_for: number; previous_until: number }>).map((c) => ({
        at: new Date(c.at),
        previousFor: new Date(c.previous_for),
        previousUntil: new Date(c.previous_until),
      })),
    };
    return {
      id: r.id,
      name: r.name,
      emergency: record.emergency,
      record,
      spans: maintenanceSpans(record, now.getTime()),
      componentIds: links.all(r.id) as string[],
      elements: elements.all(r.id) as string[],
    };
  });
}

/**
 * The maintenance spans (announced or not) of every window that was in progress at some point
 * of [from, to), by component. A window still open is taken to run until `now`.
 */
export function maintenanceSpansByComponent(
  db: Db,
  componentIds: readonly string[],
  from: Date,
  to: Date,
  now: Date,
): Map<string, MaintenanceSpan[]> {
  const out = new Map<string, MaintenanceSpan[]>(componentIds.map((id) => [id, []]));
  for (const m of maintenancesInProgressBetween(db, from, to, now)) {
    for (const componentId of m.componentIds) out.get(componentId)?.push(...m.spans);
  }
  return out;
}

/**
 * The instant availability figures for a period in progress count up to (db/domain/time.ts
 * figuresAsOf): the last quarter hour, or the last status change recorded when later. Given
 * `componentIds`, only their changes count: a page showing some components (an area's) must not
 * move with a change elsewhere, which does not republish it.
 */
export function availabilityAsOf(db: Db, now: Date, componentIds?: readonly string[]): Date {
  const last = (
    componentIds
      ? db.$client
          .prepare(
            `SELECT max(at) FROM component_status_events WHERE at <= ? AND component_id IN (SELECT value FROM json_each(?))`,
          )
          .pluck()
          .get(now.getTime(), JSON.stringify(componentIds))
      : db.$client.prepare('SELECT max(at) FROM component_status_events WHERE at <= ?').pluck().get(now.getTime())
  ) as number | null;
  return figuresAsOf(now, last === null ? null : new Date(last));
}

/** The time of the first status event of any component: no availability is known before it. */
export function firstStatusEventAt(db: Db): Date | null {
  const at = db.$client.prepare(`SELECT MIN(effective_at) FROM component_status_events`).pluck().get() as number | null;
  return at === null ? null : new Date(at);
}

// ---------------------------------------------------------------------------------------------
// The monthly report: /disponibilidad, its CSV and GET /api/v1/reports/availability.

export interface IncidentRef {
  id: string;
  name: string;
}

export interface ComponentAvailability {
  component: ComponentView;
  tally: AvailabilityTally;
  percent: number | null;
  /** Incidents that affected it while open in the month, by start. */
  incidents: IncidentRef[];
}

export interface GroupAvailability {
  id: string;
  slug: string;
  name: string;
  /** The sum of its components' minutes: the percent is their time-weighted average. */
  tally: AvailabilityTally;
  percent: number | null;
  components: ComponentAvailability[];
  incidents: IncidentRef[];
}

export interface MonthAvailability {
  month: string;
  from: Date;
  /** End of the month, or for the month in progress the instant its figures count up to (availabilityAsOf). */
  to: Date;
  complete: boolean;
  /** Every component together. */
  network: { tally: AvailabilityTally; percent: number | null; incidents: IncidentRef[] };
  groups: GroupAvailability[];
  ungrouped: ComponentAvailability[];
}

export interface MonthSummary {
  month: string;
  tally: AvailabilityTally;
  percent: number | null;
  incidents: number;
}

export interface AvailabilityReport {
  month: MonthAvailability;
  /** The `months` months ending with this one, oldest first (those before the first event left out). */
  months: MonthSummary[];
  /** Neighbouring months with figures, for the pager. */
  previous: string | null;
  next: string | null;
}

/** The months that have figures: from the first status event's month to the current one. */
export function availabilityMonthRange(db: Db, now: Date): { first: string; current: string } {
  const current = zonedMonthKey(now);
  const first = firstStatusEventAt(db);
  return { first: first && zonedMonthKey(first) < current ? zonedMonthKey(first) : current, current };
}

/**
 * Query parameters of the NOC's monthly reports (GET /api/v1/reports/…). Whether the month has a
 * report is availabilityMonthRefusal's answer; without `format`, `Accept: text/csv` asks for CSV.
 */
export const reportQuery = z.object({
  month: z
    .string()
    .optional()
    .meta({ description: 'AAAA-MM, en hora de la Ciudad de México; por omisión, el mes en curso.' }),
  format: z
    .enum(['json', 'csv'], { error: 'Use format=json o format=csv.' })
    .optional()
    .meta({ description: 'Sin él, Accept: text/csv pide CSV.' }),
});

export type MonthRefusal = { reason: 'invalid' | 'future' | 'too_early'; message: string };

/** Why a requested month has no report (the pages answer 404, the API 422), or null. */
export function availabilityMonthRefusal(db: Db, month: string, now: Date): MonthRefusal | null {
  const { first, current } = availabilityMonthRange(db, now);
  if (!isMonthKey(month))
    return { reason: 'invalid', message: `«${month}» no es un mes: use el formato AAAA-MM, por ejemplo ${current}.` };
  if (month > current)
    return {
      reason: 'future',
      message: `${formatMonth(month)} todavía no empieza: hay cifras de ${formatMonth(first)} a ${formatMonth(current)}.`,
    };
  if (month < first)
    return {
      reason: 'too_early',
      message: `No hay registros de estado antes de ${formatMonth(first)}: hay cifras de ${formatMonth(first)} a ${formatMonth(current)}.`,
    };
  return null;
}

export interface OverlappingIncident {
  id: string;
  name: string;
  impact: IncidentImpact;
  startedAt: number;
  resolvedAt: number | null;
  componentIds: string[];
}

/** Incidents open at some point of [from, to), with the components they affected. */
export function incidentsOverlapping(db: Db, from: Date, to: Date): OverlappingIncident[] {
  const rows = db.$client
    .prepare(
      `SELECT i.id, i.name, i.impact, i.started_at, i.resolved_at, ic.component_id FROM incidents i
       LEFT JOIN incident_components ic ON ic.incident_id = i.id
      WHERE i.started_at < ? AND (i.resolved_at IS NULL OR i.resolved_at >= ?)
      ORDER BY i.started_at, i.id`,
    )
    .raw()
    .all(to.getTime(), from.getTime()) as Array<[string, string, IncidentImpact, number, number | null, string | null]>;
  const byId = new Map<string, OverlappingIncident>();
  for (const [id, name, impact, startedAt, resolvedAt, componentId] of rows) {
    let entry = byId.get(id);
    if (!entry) byId.set(id, (entry = { id, name, impact, startedAt, resolvedAt, componentIds: [] }));
    if (componentId) entry.componentIds.push(componentId);
  }
  return [...byId.values()];
}

/**
 * The report for `month` (which `availabilityMonthRefusal` accepted) and the `months` months
 * ending with it: one read of the events and windows of the whole span, then the rule per
 * component and month.
 */
export function availabilityReport(
  db: Db,
  month: string,
  now: Date,
  options: { months?: number; catalogue?: Catalogue } = {},
): AvailabilityReport {
  const catalogue = options.catalogue ?? componentCatalogue(db);
  const range = availabilityMonthRange(db, now);
  const count = Math.max(1, options.months ?? 12);
  const keys: string[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const key = shiftMonth(month, -i);
    if (key >= range.first) keys.push(key);
  }
  const ids = catalogue.all.map((c) => c.id);
  const spanFrom = monthBounds(keys[0]).from;
  // The month in progress is measured up to the last quarter hour or the last status change
  // (availabilityAsOf), which the page, the CSV and the JSON state. The publisher renders them
  // again after every status change and every quarter hour (api/publish/collections.ts).
  const nowMs = availabilityAsOf(db, now).getTime();
  const spanTo = new Date(Math.min(monthBounds(month).to.getTime(), nowMs));
  const timelines = statusTimelines(db, ids, spanFrom, new Date(spanTo.getTime() + 1));
  const spans = maintenanceSpansByComponent(db, ids, spanFrom, spanTo, now);
  const incidents = incidentsOverlapping(db, spanFrom, spanTo);

  const perMonth = (key: string) => {
    const bounds = monthBounds(key);
    const to = Math.min(bounds.to.getTime(), nowMs);
    const open = incidents.filter(
      (i) => i.startedAt < to && (i.resolvedAt === null || i.resolvedAt >= bounds.from.getTime()),
    );
    return { bounds, to, open };
  };

  const months: MonthSummary[] = keys.map((key) => {
    const { bounds, to, open } = perMonth(key);
    const total = emptyTally();
    for (const id of ids)
      addTally(total, availabilityTally(timelines.get(id) ?? [], spans.get(id) ?? [], bounds.from.getTime(), to));
    return { month: key, tally: total, percent: availabilityPercent(total), incidents: open.length };
  });

  const { bounds, to, open } = perMonth(month);
  const incidentsOf = (componentIds: Set<string>): IncidentRef[] =>
    open.filter((i) => i.componentIds.some((c) => componentIds.has(c))).map((i) => ({ id: i.id, name: i.name }));
  const componentMonth = (c: ComponentView): ComponentAvailability => {
    const tally = availabilityTally(timelines.get(c.id) ?? [], spans.get(c.id) ?? [], bounds.from.getTime(), to);
    return { component: c, tally, percent: availabilityPercent(tally), incidents: incidentsOf(new Set([c.id])) };
  };
  const groups: GroupAvailability[] = catalogue.groups.map((g) => {
    const members = g.components.map(componentMonth);
    const tally = members.reduce((sum, m) => addTally(sum, m.tally), emptyTally());
    return {
      id: g.id,
      slug: g.slug,
      name: g.name,
      tally,
      percent: availabilityPercent(tally),
      components: members,
      incidents: incidentsOf(new Set(g.components.map((c) => c.id))),
    };
  });
  const ungrouped = catalogue.ungrouped.map(componentMonth);
  const networkTally = [...groups.map((g) => g.tally), ...ungrouped.map((u) => u.tally)].reduce(
    (sum, t) => addTally(sum, t),
    emptyTally(),
  );
  return {
    month: {
      month,
      from: bounds.from,
      to: new Date(to),
      complete: bounds.to.getTime() <= nowMs,
      network: {
        tally: networkTally,
        percent: availabilityPercent(networkTally),
        incidents: open.map((i) => ({ id: i.id, name: i.name })),
      },
      groups,
      ungrouped,
    },
    months,
    previous: month > range.first ? shiftMonth(month, -1) : null,
    next: month < range.current ? shiftMonth(month, 1) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// First response (manual 1.3) for the incidents that started in a month.

export interface IncidentResponse extends FirstResponse {
  id: string;
  name: string;
  impactLabel: string;
  /** Whether `start` is the first alert's (earlier than the incident's started_at). */
  fromAlert: boolean;
}

export interface MonthResponses {
  month: string;
  shares: ResponseShare[];
  /** Every measured incident of the month, by start. */
  incidents: IncidentResponse[];
  /** Those whose first public word came after the target, by start. */
  late: IncidentResponse[];
}

/**
 * The first response of every incident whose start (its first alert, else started_at) falls in
 * `month`, up to `now`.
 */
export function monthResponses(db: Db, month: string, now: Date): MonthResponses {
  const { from, to } = monthBounds(month);
  const end = Math.min(to.getTime(), now.getTime());
  // An alert can only start before the incident it opened: a day of margin finds those whose
  // first alert fell in the month while started_at did not. The incidents of the span through
  // incidents_started_idx, each one's first update by its own index: a join grouped by i.id made
  // SQLite walk every incident in id order instead (37 ms a month at 20,000 incidents, against
  // 1 ms; 120 months in a full publish of ten years).
  const rows = db.$client
    .prepare(
      `SELECT i.id, i.name, i.impact, i.started_at,
              (SELECT MIN(u.created_at) FROM incident_updates u WHERE u.incident_id = i.id) AS first_update
         FROM incidents i
        WHERE i.started_at >= ? AND i.started_at < ?
          AND EXISTS (SELECT 1 FROM incident_updates u WHERE u.incident_id = i.id)
        ORDER BY i.started_at, i.id`,
    )
    .all(from.getTime(), end + DAY) as Array<{
    id: string;
    name: string;
    impact: IncidentImpact;
    started_at: number;
    first_update: number;
  }>;
  const alertStarts = firstAlertStarts(
    db,
    rows.map((r) => r.id),
  );
  const incidents: IncidentResponse[] = [];
  for (const r of rows) {
    // The clock runs from the first sign of the fault: the incident's declared (or corrected)
    // start, or its first alert's `startsAt` when monitoring saw it earlier.
    const alertStart = alertStarts.get(r.id);
    const fromAlert = !!alertStart && alertStart.getTime() < r.started_at;
    const start = fromAlert ? alertStart : new Date(r.started_at);
    if (start.getTime() < from.getTime() || start.getTime() >= end) continue;
    incidents.push({
      id: r.id,
      name: r.name,
      impactLabel: incidentImpactLabels[r.impact],
      fromAlert,
      ...firstResponse(r.impact, start, new Date(r.first_update)),
    });
  }
  incidents.sort((a, b) => a.start.getTime() - b.start.getTime());
  return { month, shares: responseShares(incidents), incidents, late: incidents.filter((i) => i.met === false) };
}
