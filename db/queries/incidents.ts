import { and, asc, desc, eq, gte, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import {
  componentStatusShortLabels,
  incidentImpactLabels,
  incidentStatusLabels,
  type ComponentStatus,
  type IncidentImpact,
  type IncidentStatus,
} from '../enums.ts';
import { incidentComponents, incidents, incidentUpdates, incidentUpdateTransitions } from '../schema/index.ts';
import {
  catalogueKept,
  catalogueOf,
  forgetCatalogue,
  keepCatalogue,
  type Catalogue,
  type ComponentView,
} from './catalog.ts';
import { chunked, groupBy } from './batch.ts';

export interface TransitionView {
  componentId: string;
  name: string;
  oldStatus: ComponentStatus;
  newStatus: ComponentStatus;
  /** The customer's word for each state («Sin servicio»), as every page, feed and notice says it. */
  oldLabel: string;
  newLabel: string;
}

export interface IncidentUpdateView {
  id: string;
  incidentId: string;
  status: IncidentStatus;
  statusLabel: string;
  body: string;
  cause: string | null;
  eta: Date | null;
  deliverNotifications: boolean;
  createdAt: Date;
  displayAt: Date;
  transitions: TransitionView[];
}

export interface IncidentView {
  id: string;
  name: string;
  status: IncidentStatus;
  statusLabel: string;
  impact: IncidentImpact;
  impactLabel: string;
  cause: string | null;
  eta: Date | null;
  startedAt: Date;
  monitoringAt: Date | null;
  resolvedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** Affected components, in catalogue order. */
  components: ComponentView[];
  /** Newest first. */
  updates: IncidentUpdateView[];
  /** From start to resolution; null while open. */
  durationMs: number | null;
}

type IncidentRow = typeof incidents.$inferSelect;

/**
 * Loads updates, transitions and affected components for a batch of incidents in 3 queries,
 * plus the part of the catalogue they name (unless the caller has the whole catalogue already).
 */
export function hydrate(db: Db, rows: IncidentRow[], given?: Catalogue): IncidentView[] {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const updateRows = chunked(ids, (part) =>
    db
      .select()
      .from(incidentUpdates)
      .where(inArray(incidentUpdates.incidentId, part))
      .orderBy(desc(incidentUpdates.createdAt), desc(sql`rowid`))
      .all(),
  );
  const transitionRows = chunked(
    updateRows.map((u) => u.id),
    (part) =>
      db.select().from(incidentUpdateTransitions).where(inArray(incidentUpdateTransitions.updateId, part)).all(),
  );
  const affectedRows = chunked(ids, (part) =>
    db.select().from(incidentComponents).where(inArray(incidentComponents.incidentId, part)).all(),
  );

  const catalogue =
    given ?? catalogueOf(db, [...affectedRows.map((a) => a.componentId), ...transitionRows.map((t) => t.componentId)]);
  const transitionsByUpdate = groupBy(transitionRows, (t) => t.updateId);
  const updatesByIncident = groupBy(updateRows, (u) => u.incidentId);
  const affectedByIncident = groupBy(affectedRows, (a) => a.incidentId);
  const order = new Map(catalogue.all.map((c, i) => [c.id, i]));

  return rows.map((r) => {
    const updates: IncidentUpdateView[] = (updatesByIncident.get(r.id) ?? []).map((u) => ({
      id: u.id,
      incidentId: u.incidentId,
      status: u.status,
      statusLabel: incidentStatusLabels[u.status],
      body: u.body,
      cause: u.cause,
      eta: u.eta,
      deliverNotifications: u.deliverNotifications,
      createdAt: u.createdAt,
      displayAt: u.displayAt,
      transitions: (transitionsByUpdate.get(u.id) ?? [])
        .map((t) => ({
          componentId: t.componentId,
          name: catalogue.byId.get(t.componentId)?.fullName ?? t.componentId,
          oldStatus: t.oldStatus,
          newStatus: t.newStatus,
          oldLabel: componentStatusShortLabels[t.oldStatus],
          newLabel: componentStatusShortLabels[t.newStatus],
        }))
        .sort((a, b) => (order.get(a.componentId) ?? 0) - (order.get(b.componentId) ?? 0)),
    }));
    const affected = (affectedByIncident.get(r.id) ?? [])
      .map((a) => catalogue.byId.get(a.componentId))
      .filter((c): c is ComponentView => !!c)
      .sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
    return {
      id: r.id,
      name: r.name,
      status: r.status,
      statusLabel: incidentStatusLabels[r.status],
      impact: r.impact,
      impactLabel: incidentImpactLabels[r.impact],
      cause: r.cause,
      eta: r.eta,
      startedAt: r.startedAt,
      monitoringAt: r.monitoringAt,
      resolvedAt: r.resolvedAt,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      components: affected,
      updates,
      durationMs: r.resolvedAt ? r.resolvedAt.getTime() - r.startedAt.getTime() : null,
    };
  });
}

export function incidentDetail(db: Db, id: string): IncidentView | null {
  const kept = keptIncidents.get(db)?.get(id);
  if (kept) return kept;
  const row = db.select().from(incidents).where(eq(incidents.id, id)).get();
  return row ? hydrate(db, [row])[0] : null;
}

const keptIncidents = new WeakMap<Db, Map<string, IncidentView>>();
/** Connections whose catalogue `keepIncidents` kept (and `forgetIncidents` forgets): not one kept before it. */
const keptCatalogueFor = new WeakSet<Db>();

/**
 * Loads many incidents at once (a few queries for all of them, against several per page) and
 * keeps them, with the catalogue, until `forgetIncidents`: `incidentDetail` and `catalogueOf`
 * answer from memory meanwhile. For a render worker's batch of history pages, read in one
 * transaction (one snapshot); never for a connection that writes.
 */
export function keepIncidents(db: Db, ids: readonly string[]): void {
  if (!catalogueKept(db)) {
    keepCatalogue(db);
    keptCatalogueFor.add(db);
  }
  const rows = chunked([...ids], (part) => db.select().from(incidents).where(inArray(incidents.id, part)).all());
  keptIncidents.set(db, new Map(hydrate(db, rows).map((view) => [view.id, view])));
}

export function forgetIncidents(db: Db): void {
  keptIncidents.delete(db);
  if (keptCatalogueFor.delete(db)) forgetCatalogue(db);
}

/** Open incidents, worst impact first, then newest. */
export function unresolvedIncidents(db: Db, catalogue?: Catalogue): IncidentView[] {
  const rank: Record<IncidentImpact, number> = { critical: 0, major: 1, minor: 2, none: 3 };
  const rows = db.select().from(incidents).where(isNull(incidents.resolvedAt)).orderBy(desc(incidents.startedAt)).all();
  return hydrate(db, rows, catalogue).sort(
    (a, b) => rank[a.impact] - rank[b.impact] || b.startedAt.getTime() - a.startedAt.getTime(),
  );
}

/** The most recent incidents by start time (Statuspage's incidents.json returns 50). */
export function recentIncidents(db: Db, limit = 50, catalogue?: Catalogue): IncidentView[] {
  const rows = db
    .select()
    .from(incidents)
    .orderBy(desc(incidents.startedAt), desc(sql`rowid`))
    .limit(limit)
    .all();
  return hydrate(db, rows, catalogue);
}

/** Incidents that started in [from, to), newest first. */
export function incidentsStartedBetween(db: Db, from: Date, to: Date, catalogue?: Catalogue): IncidentView[] {
  const rows = db
    .select()
    .from(incidents)
    .where(and(gte(incidents.startedAt, from), lt(incidents.startedAt, to)))
    .orderBy(desc(incidents.startedAt), desc(sql`rowid`))
    .all();
  return hydrate(db, rows, catalogue);
}

/** Start of the oldest incident, for history navigation. */
export function firstIncidentStart(db: Db): Date | null {
  return (
    db.select({ at: incidents.startedAt }).from(incidents).orderBy(asc(incidents.startedAt)).limit(1).get()?.at ?? null
  );
}
