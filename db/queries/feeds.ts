import { desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { incidentComponents, incidents } from '../schema/index.ts';
import { componentCatalogue, findInCatalogue, type Catalogue, type ComponentView, type GroupView } from './catalog.ts';
import { hydrate, type IncidentView } from './incidents.ts';
import { incidentReports, type IncidentReportView } from './incidentReports.ts';
import { maintenancesForNewsFeed, type MaintenanceView } from './maintenances.ts';

/** What a feed covers: the whole page, one area group (its components) or one component. */
export type FeedScope =
  | { kind: 'page' }
  | { kind: 'group'; group: GroupView }
  | { kind: 'component'; component: ComponentView; groupSlug: string | null };

export interface FeedSnapshot {
  scope: FeedScope;
  /** Newest first by start; each with all its updates. */
  incidents: IncidentView[];
  /** The reports of the listed incidents that have one, by incident id. */
  reports: Map<string, IncidentReportView>;
  /** Maintenance windows with the latest notices, each with all its updates. */
  maintenances: MaintenanceView[];
  catalogue: Catalogue;
  /**
   * Latest change to anything the feed lists (incidents, maintenances, their updates, reports),
   * or when its scope appeared: a document's times depend only on what it shows.
   */
  lastModified: Date;
}

/** Resolves `:slug` of `/componentes/:slug/…`: a component's or a group's slug or id. */
export function feedScopeFor(catalogue: Catalogue, ref: string): FeedScope | null {
  const found = findInCatalogue(catalogue, ref);
  if (!found) return null;
  if (found.kind === 'group') return { kind: 'group', group: found.group };
  const { component } = found;
  return {
    kind: 'component',
    component,
    groupSlug: catalogue.groups.find((g) => g.id === component.groupId)?.slug ?? null,
  };
}

export function scopeComponentIds(scope: FeedScope, catalogue: Catalogue): string[] {
  if (scope.kind === 'component') return [scope.component.id];
  if (scope.kind === 'group') return scope.group.components.map((c) => c.id);
  return catalogue.all.map((c) => c.id);
}

/**
 * The incidents a feed lists: the `limit` most recent by start, restricted to those affecting
 * the scope's components (a group feed covers its components).
 */
export function feedSnapshot(db: Db, scope: FeedScope, limit = 50, catalogue?: Catalogue): FeedSnapshot {
  const kept = keptSnapshots.get(db);
  const key = `${scope.kind === 'page' ? 'page' : scope.kind === 'group' ? scope.group.id : scope.component.id}:${limit}`;
  const found = kept?.get(key);
  if (found && !catalogue) return found;
  const snapshot = readFeedSnapshot(db, scope, limit, catalogue ?? componentCatalogue(db));
  if (kept && !catalogue) {
    kept.set(key, snapshot);
    if (kept.size > FEED_SNAPSHOTS_KEPT) kept.delete(kept.keys().next().value!);
  }
  return snapshot;
}

/**
 * Connections that keep the last few feed snapshots (keepFeedSnapshots): a scope's RSS, Atom and
 * JSON feeds, rendered one after the other by a render worker, read its incidents once.
 */
const keptSnapshots = new WeakMap<Db, Map<string, FeedSnapshot>>();
const FEED_SNAPSHOTS_KEPT = 4;

/**
 * Keeps the latest feed snapshots until `forgetFeedSnapshots`: for a render worker that reads one
 * unchanging snapshot of the database; never for a connection that writes.
 */
export function keepFeedSnapshots(db: Db): void {
  keptSnapshots.set(db, new Map());
}

export function forgetFeedSnapshots(db: Db): void {
  keptSnapshots.delete(db);
}

function readFeedSnapshot(db: Db, scope: FeedScope, limit: number, catalogue: Catalogue): FeedSnapshot {
  let rows;
  if (scope.kind === 'page') {
    rows = db
      .select()
      .from(incidents)
      .orderBy(desc(incidents.startedAt), desc(sql`rowid`))
      .limit(limit)
      .all();
  } else {
    const ids = scopeComponentIds(scope, catalogue);
    rows =
      ids.length === 0
        ? []
        : db
            .selectDistinct({ incident: incidents })
            .from(incidents)
            .innerJoin(incidentComponents, eq(incidentComponents.incidentId, incidents.id))
            .where(inArray(incidentComponents.componentId, ids))
            .orderBy(desc(incidents.startedAt), desc(incidents.id))
            .limit(limit)
            .all()
            .map((r) => r.incident);
  }
  const list = hydrate(db, rows, catalogue);
  const reports = incidentReports(
    db,
    list.map((i) => i.id),
  );
  const maintenances = maintenancesForNewsFeed(
    db,
    limit,
    scope.kind === 'page' ? undefined : scopeComponentIds(scope, catalogue),
    catalogue,
  );
  const stamps = [
    ...list.flatMap((i) => [i.updatedAt, ...i.updates.map((u) => u.displayAt)]),
    ...[...reports.values()].map((r) => r.revisedAt),
    ...maintenances.flatMap((m) => [m.updatedAt, ...m.updates.map((u) => u.createdAt)]),
    // A feed with nothing in it yet dates from when its component or area appeared. Never a
    // catalogue row's updatedAt: a status change moves it, and a feed shows no status (only
    // the touched components' feeds are republished, so the others would go stale).
    ...feedScopeCreation(scope, catalogue),
  ].map((d) => d.getTime());
  return { scope, incidents: list, reports, maintenances, catalogue, lastModified: new Date(Math.max(0, ...stamps)) };
}

function feedScopeCreation(scope: FeedScope, catalogue: Catalogue): Date[] {
  if (scope.kind === 'component') return [scope.component.createdAt];
  if (scope.kind === 'group') return [scope.group.createdAt, ...scope.group.components.map((c) => c.createdAt)];
  return [...catalogue.all.map((c) => c.createdAt), ...catalogue.groups.map((g) => g.createdAt)];
}
