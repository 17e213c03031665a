import { and, asc, desc, eq, gt, gte, inArray, lt, ne, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import {
  componentStatusShortLabels,
  maintenanceImpactLabels,
  maintenanceStatusLabels,
  type ComponentStatus,
  type MaintenanceImpactKind,
  type MaintenanceStatus,
  type MaintenanceUpdateKind,
} from '../enums.ts';
import { DAY } from '../domain/time.ts';
import { WINDOW_IN_PROGRESS } from '../domain/maintenance.ts';
import {
  maintenanceComponents,
  maintenances,
  maintenanceScheduleChanges,
  maintenanceUpdates,
} from '../schema/index.ts';
import { componentCatalogue, type Catalogue, type ComponentView } from './catalog.ts';
import { chunked, groupBy } from './batch.ts';

export interface MaintenanceTransitionView {
  componentId: string;
  name: string;
  oldStatus: ComponentStatus;
  newStatus: ComponentStatus;
  /** The customer's word for each state («Sin servicio»), as every page, feed and notice says it. */
  oldLabel: string;
  newLabel: string;
}

export interface MaintenanceUpdateView {
  id: string;
  maintenanceId: string;
  kind: MaintenanceUpdateKind;
  status: MaintenanceStatus;
  statusLabel: string;
  body: string;
  createdAt: Date;
  transitions: MaintenanceTransitionView[];
}

export interface ScheduleChangeView {
  previousFor: Date;
  previousUntil: Date;
  newFor: Date;
  newUntil: Date;
  reason: string | null;
  at: Date;
}

export interface MaintenanceView {
  id: string;
  name: string;
  body: string;
  status: MaintenanceStatus;
  statusLabel: string;
  impactKind: MaintenanceImpactKind;
  impactLabel: string;
  autoTransition: boolean;
  emergency: boolean;
  emergencyReason: string | null;
  lowImpactWindow: boolean;
  scheduledFor: Date;
  scheduledUntil: Date;
  startedAt: Date | null;
  verifyingAt: Date | null;
  completedAt: Date | null;
  cancelledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** iCalendar SEQUENCE: how many times the event changed since it was announced. */
  sequence: number;
  /** Publication to start of the window as it stands now. */
  noticeMs: number;
  /** Affected components, in catalogue order. */
  components: ComponentView[];
  /** Areas (groups) of the affected components, in catalogue order. */
  areas: Array<{ id: string; slug: string; name: string }>;
  /** Newest first. */
  updates: MaintenanceUpdateView[];
  /** Newest first; non-empty means the window was rescheduled. */
  scheduleChanges: ScheduleChangeView[];
}

type MaintenanceRow = typeof maintenances.$inferSelect;
const sql_rowid = sql`rowid`;

/** Loads components, updates and reschedules for a batch of maintenances in 3 queries. */
function hydrate(db: Db, rows: MaintenanceRow[], given?: Catalogue): MaintenanceView[] {
  // No window (most of the time): the catalogue is not read for nothing (`/` asks three times).
  if (rows.length === 0) return [];
  const catalogue = given ?? componentCatalogue(db);
  const ids = rows.map((r) => r.id);
  const links = groupBy(
    chunked(ids, (part) =>
      db.select().from(maintenanceComponents).where(inArray(maintenanceComponents.maintenanceId, part)).all(),
    ),
    (l) => l.maintenanceId,
  );
  const updates = groupBy(
    chunked(ids, (part) =>
      db
        .select()
        .from(maintenanceUpdates)
        .where(inArray(maintenanceUpdates.maintenanceId, part))
        .orderBy(desc(maintenanceUpdates.createdAt), desc(sql_rowid))
        .all(),
    ),
    (u) => u.maintenanceId,
  );
  const changes = groupBy(
    chunked(ids, (part) =>
      db
        .select()
        .from(maintenanceScheduleChanges)
        .where(inArray(maintenanceScheduleChanges.maintenanceId, part))
        .orderBy(desc(maintenanceScheduleChanges.at), desc(maintenanceScheduleChanges.id))
        .all(),
    ),
    (c) => c.maintenanceId,
  );
  const order = new Map(catalogue.all.map((c, i) => [c.id, i]));
  const nameOf = (id: string) => catalogue.byId.get(id)?.fullName ?? id;
  return rows.map((r) => {
    const comps = (links.get(r.id) ?? [])
      .map((l) => catalogue.byId.get(l.componentId))
      .filter((c): c is ComponentView => !!c)
      .sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
    const areaIds = [...new Set(comps.map((c) => c.groupId).filter((g): g is string => !!g))];
    const areas = catalogue.groups
      .filter((g) => areaIds.includes(g.id))
      .map((g) => ({ id: g.id, slug: g.slug, name: g.name }));
    return {
      id: r.id,
      name: r.name,
      body: r.body,
      status: r.status,
      statusLabel: maintenanceStatusLabels[r.status],
      impactKind: r.impactKind,
      impactLabel: maintenanceImpactLabels[r.impactKind],
      autoTransition: r.autoTransition,
      emergency: r.emergency,
      emergencyReason: r.emergencyReason,
      lowImpactWindow: r.lowImpactWindow,
      scheduledFor: r.scheduledFor,
      scheduledUntil: r.scheduledUntil,
      startedAt: r.startedAt,
      verifyingAt: r.verifyingAt,
      completedAt: r.completedAt,
      cancelledAt: r.cancelledAt,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      sequence: r.sequence,
      noticeMs: r.scheduledFor.getTime() - r.createdAt.getTime(),
      components: comps,
      areas,
      updates: (updates.get(r.id) ?? []).map((u) => ({
        id: u.id,
        maintenanceId: u.maintenanceId,
        kind: u.kind,
        status: u.status,
        statusLabel: maintenanceStatusLabels[u.status],
        body: u.body,
        createdAt: u.createdAt,
        transitions: (
          JSON.parse(u.transitions) as Array<{
            componentId: string;
            oldStatus: ComponentStatus;
            newStatus: ComponentStatus;
          }>
        ).map((t) => ({
          ...t,
          name: nameOf(t.componentId),
          oldLabel: componentStatusShortLabels[t.oldStatus],
          newLabel: componentStatusShortLabels[t.newStatus],
        })),
      })),
      scheduleChanges: (changes.get(r.id) ?? []).map((c) => ({
        previousFor: c.previousFor,
        previousUntil: c.previousUntil,
        newFor: c.newFor,
        newUntil: c.newUntil,
        reason: c.reason,
        at: c.at,
      })),
    };
  });
}

/** One maintenance with its components, timeline and reschedules (pages, API, emails). */
export function maintenanceDetail(db: Db, id: string, catalogue?: Catalogue): MaintenanceView | null {
  const row = db.select().from(maintenances).where(eq(maintenances.id, id)).get();
  return row ? hydrate(db, [row], catalogue)[0] : null;
}

/** In progress or verifying, soonest end first. */
export function activeMaintenances(db: Db, catalogue?: Catalogue): MaintenanceView[] {
  return hydrate(
    db,
    db
      .select()
      .from(maintenances)
      .where(inArray(maintenances.status, WINDOW_IN_PROGRESS))
      .orderBy(asc(maintenances.scheduledFor))
      .all(),
    catalogue,
  );
}

/** Still to start, soonest first; `within` limits how far ahead (ms). */
export function upcomingMaintenances(
  db: Db,
  now: Date,
  options: { within?: number; catalogue?: Catalogue } = {},
): MaintenanceView[] {
  const where =
    options.within === undefined
      ? eq(maintenances.status, 'scheduled')
      : and(
          eq(maintenances.status, 'scheduled'),
          lt(maintenances.scheduledFor, new Date(now.getTime() + options.within)),
        );
  return hydrate(
    db,
    db.select().from(maintenances).where(where).orderBy(asc(maintenances.scheduledFor)).all(),
    options.catalogue,
  );
}

/** Finished or cancelled, most recent window first. */
export function pastMaintenances(db: Db, limit: number, catalogue?: Catalogue): MaintenanceView[] {
  return hydrate(
    db,
    db
      .select()
      .from(maintenances)
      .where(inArray(maintenances.status, ['completed', 'cancelled']))
      .orderBy(desc(maintenances.scheduledFor))
      .limit(limit)
      .all(),
    catalogue,
  );
}

/** The `limit` most recent windows (by start) that were not cancelled: Statuspage's list. */
export function recentMaintenances(db: Db, limit: number, catalogue?: Catalogue): MaintenanceView[] {
  return hydrate(
    db,
    db
      .select()
      .from(maintenances)
      .where(ne(maintenances.status, 'cancelled'))
      .orderBy(desc(maintenances.scheduledFor))
      .limit(limit)
      .all(),
    catalogue,
  );
}

/** Windows overlapping [from, to), cancelled ones included (the calendar shows them struck out). */
export function maintenancesBetween(db: Db, from: Date, to: Date, catalogue?: Catalogue): MaintenanceView[] {
  return hydrate(
    db,
    db
      .select()
      .from(maintenances)
      .where(and(lt(maintenances.scheduledFor, to), gt(maintenances.scheduledUntil, from)))
      .orderBy(asc(maintenances.scheduledFor))
      .all(),
    catalogue,
  );
}

/**
 * What a calendar feed carries: every window from a year back onwards, cancelled ones included
 * (so subscribed calendars remove them), optionally only those touching some components.
 */
export function maintenancesForFeed(
  db: Db,
  now: Date,
  componentIds?: string[],
  catalogue?: Catalogue,
): MaintenanceView[] {
  let rows = db
    .select()
    .from(maintenances)
    .where(gte(maintenances.scheduledUntil, new Date(now.getTime() - 365 * DAY)))
    .orderBy(asc(maintenances.scheduledFor))
    .all();
  if (componentIds) {
    const wanted = new Set(componentIds);
    const hit = new Set(
      chunked(
        rows.map((r) => r.id),
        (part) =>
          db.select().from(maintenanceComponents).where(inArray(maintenanceComponents.maintenanceId, part)).all(),
      )
        .filter((l) => wanted.has(l.componentId))
        .map((l) => l.maintenanceId),
    );
    rows = rows.filter((r) => hit.has(r.id));
  }
  return hydrate(db, rows, catalogue);
}

/**
 * What news feeds carry: the `limit` maintenances with the latest activity (any notice: announced,
 * rescheduled, started, posted, completed, cancelled), optionally only those touching some components.
 */
export function maintenancesForNewsFeed(
  db: Db,
  limit: number,
  componentIds?: string[],
  catalogue?: Catalogue,
): MaintenanceView[] {
  if (componentIds?.length === 0) return [];
  const rows = componentIds
    ? db
        .selectDistinct({ m: maintenances })
        .from(maintenances)
        .innerJoin(maintenanceComponents, eq(maintenanceComponents.maintenanceId, maintenances.id))
        .where(inArray(maintenanceComponents.componentId, componentIds))
        .orderBy(desc(maintenances.updatedAt), desc(maintenances.id))
        .limit(limit)
        .all()
        .map((r) => r.m)
    : db.select().from(maintenances).orderBy(desc(maintenances.updatedAt), desc(maintenances.id)).limit(limit).all();
  return hydrate(db, rows, catalogue);
}

export interface MaintenanceOverview {
  active: MaintenanceView[];
  /** Starting within the next 7 days. */
  upcoming: MaintenanceView[];
}

/** How far ahead the home page lists scheduled windows: the next 7 days. */
export const UPCOMING_WITHIN_MS = 7 * DAY;

/** For the home page: what is happening now and what comes this week. */
export function maintenanceOverview(db: Db, now: Date, catalogue?: Catalogue): MaintenanceOverview {
  return {
    active: activeMaintenances(db, catalogue),
    upcoming: upcomingMaintenances(db, now, { within: UPCOMING_WITHIN_MS, catalogue }),
  };
}
