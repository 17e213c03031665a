import { asc, desc, eq, inArray, ne, notInArray } from 'drizzle-orm';
import { auditSubjectOf, type AuditSubject } from '../auditSubjects.ts';
import type { Db } from '../client.ts';
import {
  componentGroups,
  components,
  incidentComponents,
  incidents,
  maintenanceComponents,
  maintenanceScheduleChanges,
  maintenances,
} from '../schema/index.ts';
import { chunked } from './batch.ts';

// What the published snapshot (api/publish) needs: the members of each family of pages, and the
// footprint of the objects a write touched (which months, which components), so a publish
// re-renders only what changed.

export function incidentIds(db: Db): string[] {
  return db
    .select({ id: incidents.id })
    .from(incidents)
    .orderBy(desc(incidents.startedAt))
    .all()
    .map((r) => r.id);
}

export function unresolvedIncidentIds(db: Db): string[] {
  return db
    .select({ id: incidents.id })
    .from(incidents)
    .where(ne(incidents.status, 'resolved'))
    .all()
    .map((r) => r.id);
}

export function maintenanceIds(db: Db): string[] {
  return db
    .select({ id: maintenances.id })
    .from(maintenances)
    .orderBy(desc(maintenances.scheduledFor))
    .all()
    .map((r) => r.id);
}

/** Windows that have not ended: their pages count down and change state with time. */
export function openMaintenanceIds(db: Db): string[] {
  return db
    .select({ id: maintenances.id })
    .from(maintenances)
    .where(notInArray(maintenances.status, ['completed', 'cancelled']))
    .all()
    .map((r) => r.id);
}

/** Earliest start and latest end over every maintenance window, or null without any. */
export function maintenanceSpan(db: Db): { first: Date; last: Date } | null {
  const first = db
    .select({ at: maintenances.scheduledFor })
    .from(maintenances)
    .orderBy(asc(maintenances.scheduledFor))
    .limit(1)
    .get();
  const last = db
    .select({ at: maintenances.scheduledUntil })
    .from(maintenances)
    .orderBy(desc(maintenances.scheduledUntil))
    .limit(1)
    .get();
  return first && last ? { first: first.at, last: last.at } : null;
}

/** Slugs of every component and every area (group): feeds, badges and calendars exist for each. */
export function catalogueSlugs(db: Db): string[] {
  return [
    ...db
      .select({ slug: componentGroups.slug })
      .from(componentGroups)
      .all()
      .map((r) => r.slug),
    ...db
      .select({ slug: components.slug })
      .from(components)
      .all()
      .map((r) => r.slug),
  ];
}

/** Slugs of every area (group): each has its page, /zonas/:slug. */
export function areaSlugs(db: Db): string[] {
  return db
    .select({ slug: componentGroups.slug })
    .from(componentGroups)
    .all()
    .map((r) => r.slug);
}

/** Slugs of the given components and of the areas they belong to. */
export function slugsOfComponents(db: Db, componentIds: string[]): string[] {
  if (componentIds.length === 0) return [];
  const rows = chunked(componentIds, (part) =>
    db
      .select({ slug: components.slug, groupSlug: componentGroups.slug })
      .from(components)
      .leftJoin(componentGroups, eq(componentGroups.id, components.groupId))
      .where(inArray(components.id, part))
      .all(),
  );
  return [...new Set(rows.flatMap((r) => (r.groupSlug ? [r.slug, r.groupSlug] : [r.slug])))];
}

/** When the incidents started, and the components they affect. */
export function incidentFootprint(db: Db, ids: string[]): { startedAt: Date[]; componentIds: string[] } {
  if (ids.length === 0) return { startedAt: [], componentIds: [] };
  const started = chunked(ids, (part) =>
    db.select({ at: incidents.startedAt }).from(incidents).where(inArray(incidents.id, part)).all(),
  );
  const affected = chunked(ids, (part) =>
    db
      .select({ id: incidentComponents.componentId })
      .from(incidentComponents)
      .where(inArray(incidentComponents.incidentId, part))
      .all(),
  );
  return { startedAt: started.map((r) => r.at), componentIds: [...new Set(affected.map((r) => r.id))] };
}

/** The windows of the maintenances, before and after every reschedule, and their components. */
export function maintenanceFootprint(
  db: Db,
  ids: string[],
): { windows: Array<{ from: Date; until: Date }>; componentIds: string[] } {
  if (ids.length === 0) return { windows: [], componentIds: [] };
  const current = chunked(ids, (part) =>
    db
      .select({ from: maintenances.scheduledFor, until: maintenances.scheduledUntil })
      .from(maintenances)
      .where(inArray(maintenances.id, part))
      .all(),
  );
  const earlier = chunked(ids, (part) =>
    db
      .select({ from: maintenanceScheduleChanges.previousFor, until: maintenanceScheduleChanges.previousUntil })
      .from(maintenanceScheduleChanges)
      .where(inArray(maintenanceScheduleChanges.maintenanceId, part))
      .all(),
  );
  const affected = chunked(ids, (part) =>
    db
      .select({ id: maintenanceComponents.componentId })
      .from(maintenanceComponents)
      .where(inArray(maintenanceComponents.maintenanceId, part))
      .all(),
  );
  return { windows: [...current, ...earlier], componentIds: [...new Set(affected.map((r) => r.id))] };
}

/** Where the change log stands: the last audit row and the last component status event. */
export interface ChangeCursor {
  audit: number;
  statusEvents: number;
  /** The last network-quality ingest (`quality_ingests`); absent in manifests written before it existed. */
  quality?: number;
}

export function changeCursor(db: Db): ChangeCursor {
  const audit = db.$client.prepare('SELECT coalesce(max(id), 0) FROM audit_log').pluck().get() as number;
  const statusEvents = db.$client
    .prepare('SELECT coalesce(max(id), 0) FROM component_status_events')
    .pluck()
    .get() as number;
  const quality = db.$client.prepare('SELECT coalesce(max(id), 0) FROM quality_ingests').pluck().get() as number;
  return { audit, statusEvents, quality };
}

/** One audited write: its subject as the commands typed it (db/auditSubjects.ts). */
export interface AuditedChange {
  /** Null when the stored row is not one this version writes (an unknown type…). */
  subject: AuditSubject | null;
  /** The type as stored, for a log line about a row this version does not know. */
  subjectType: string;
}

/**
 * What committed after `cursor`, from this process or another (the `noc` CLI): every command
 * writes an audit row, and every status change of a component an event (whoever made it).
 */
export function changesSince(
  db: Db,
  cursor: ChangeCursor,
): {
  audited: AuditedChange[];
  statusChangedComponentIds: string[];
  /** Areas (group ids) whose last hour of network-quality samples changed. */
  qualityAreaIds: string[];
  cursor: ChangeCursor;
} {
  const rows = db.$client
    .prepare('SELECT id, subject_type, subject_id, changed FROM audit_log WHERE id > ? ORDER BY id')
    .all(cursor.audit) as Array<{
    id: number;
    subject_type: string;
    subject_id: string | null;
    changed: string | null;
  }>;
  const events = db.$client
    .prepare('SELECT id, component_id FROM component_status_events WHERE id > ? ORDER BY id')
    .all(cursor.statusEvents) as Array<{ id: number; component_id: string }>;
  const ingests = db.$client
    .prepare('SELECT id, recent_area_ids FROM quality_ingests WHERE id > ? ORDER BY id')
    .all(cursor.quality ?? 0) as Array<{ id: number; recent_area_ids: string }>;
  return {
    audited: rows.map((r) => ({
      subject: auditSubjectOf({ type: r.subject_type, id: r.subject_id, changed: parseChanged(r.changed) }),
      subjectType: r.subject_type,
    })),
    statusChangedComponentIds: [...new Set(events.map((e) => e.component_id))],
    qualityAreaIds: [...new Set(ingests.flatMap((i) => JSON.parse(i.recent_area_ids) as string[]))],
    cursor: {
      audit: rows.at(-1)?.id ?? cursor.audit,
      statusEvents: events.at(-1)?.id ?? cursor.statusEvents,
      quality: ingests.at(-1)?.id ?? cursor.quality ?? 0,
    },
  };
}

function parseChanged(stored: string | null): unknown {
  if (stored === null) return null;
  try {
    return JSON.parse(stored);
  } catch {
    return undefined;
  }
}

/**
 * Incidents and maintenances whose pages name one of `componentIds` (affected, or in an update's
 * transitions): what a rename of those components re-renders, instead of all history.
 */
export function pagesNamingComponents(db: Db, componentIds: string[]): { incidents: string[]; maintenances: string[] } {
  if (componentIds.length === 0) return { incidents: [], maintenances: [] };
  const json = JSON.stringify(componentIds);
  const incidentRows = db.$client
    .prepare(
      `SELECT incident_id FROM incident_components WHERE component_id IN (SELECT value FROM json_each(?))
       UNION SELECT u.incident_id FROM incident_update_transitions t JOIN incident_updates u ON u.id = t.update_id
       WHERE t.component_id IN (SELECT value FROM json_each(?))`,
    )
    .pluck()
    .all(json, json) as string[];
  const maintenanceRows = db.$client
    .prepare(
      'SELECT DISTINCT maintenance_id FROM maintenance_components WHERE component_id IN (SELECT value FROM json_each(?))',
    )
    .pluck()
    .all(json) as string[];
  return { incidents: incidentRows, maintenances: maintenanceRows };
}
