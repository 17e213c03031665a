import { isPrivateSubject } from '#db/auditSubjects.ts';
import type { AuditedChange } from '#db/queries/index.ts';

/** What a batch of committed writes changed, as far as public pages are concerned. */
export interface Change {
  /** Re-render every published path (the catalogue was renamed or moved, or a write of a kind this module does not know). */
  everything: boolean;
  /** Something public changed: the site-wide paths (`/`, v2, site feeds…) are re-rendered. */
  site: boolean;
  incidents: Set<string>;
  maintenances: Set<string>;
  /** Components created or whose status changed. */
  components: Set<string>;
  /** Areas (group ids) whose last hour of network quality changed: their /calidad pages and /calidad. */
  qualityAreas: Set<string>;
  /**
   * Components renamed or re-described, slug and place unchanged: the pages that name them (their
   * incidents and windows, the months, the catalogue's feeds) are re-rendered, not all history.
   */
  renamedComponents: Set<string>;
}

/** Fields of a component whose change shows only where it is named. */
const NAMING_FIELDS: ReadonlySet<string> = new Set(['name', 'description', 'status']);

export function emptyChange(): Change {
  return {
    everything: false,
    site: false,
    incidents: new Set(),
    maintenances: new Set(),
    components: new Set(),
    qualityAreas: new Set(),
    renamedComponents: new Set(),
  };
}

/** Whether a change renamed a component: the families that name components are re-rendered whole. */
export function renamesAny(change: Change): boolean {
  return change.renamedComponents.size > 0;
}

export function everything(): Change {
  return { ...emptyChange(), everything: true, site: true };
}

const warned = new Set<string>();

/**
 * Adds one audited write to a change: what each kind of subject makes stale. The switch covers
 * every public subject of db/auditSubjects.ts (a new one without its case does not compile);
 * private ones publish nothing. A stored row this version does not know republishes everything,
 * once warned.
 */
function add(change: Change, row: AuditedChange): void {
  const subject = row.subject;
  if (!subject) {
    change.everything = true;
    change.site = true;
    if (!warned.has(row.subjectType)) {
      warned.add(row.subjectType);
      console.warn(
        `Publicación: cambios de tipo «${row.subjectType}» que esta versión no conoce republican todo (db/auditSubjects.ts).`,
      );
    }
    return;
  }
  if (isPrivateSubject(subject)) return;
  switch (subject.type) {
    case 'incident':
      change.site = true;
      change.incidents.add(subject.id);
      return;
    case 'maintenance':
      change.site = true;
      change.maintenances.add(subject.id);
      return;
    case 'component':
      change.site = true;
      // A status change or a new component shows on the site-wide pages and on its own feeds; a
      // rename on the pages that name it; a move or a new slug changes paths and lists: everything.
      if (subject.changed === 'created' || subject.changed.every((field) => field === 'status'))
        change.components.add(subject.id);
      else if (subject.changed.every((field) => NAMING_FIELDS.has(field))) {
        change.components.add(subject.id);
        change.renamedComponents.add(subject.id);
      } else change.everything = true;
      return;
    case 'coverage':
      // The map (/cobertura, /api/coverage.geojson) is among the site-wide paths; no family names it.
      change.site = true;
      return;
    case 'group':
      change.site = true;
      change.everything = true;
      return;
    case 'quality':
      // Noted, not audited: the areas come from the ingest log (changesSince's qualityAreaIds),
      // and only their quality pages change, never the site-wide ones.
      return;
    default:
      unhandled(subject);
  }
}

function unhandled(subject: never): never {
  throw new Error(`Publicación: sujeto sin caso en api/publish/changes.ts: ${JSON.stringify(subject)}`);
}

/** The change made by audited writes plus component status events (which any writer leaves, alerts included). */
export function changeFrom(
  audited: AuditedChange[],
  statusChangedComponentIds: string[],
  qualityAreaIds: string[] = [],
): Change {
  const change = emptyChange();
  for (const row of audited) add(change, row);
  for (const id of statusChangedComponentIds) change.components.add(id);
  if (statusChangedComponentIds.length > 0) change.site = true;
  // Network-quality samples (not audited: the ingest log says who sent them) change only the
  // quality pages, never the site-wide ones.
  for (const id of qualityAreaIds) change.qualityAreas.add(id);
  return change;
}

/** Both changes in one (the publisher accumulates writes while a publish runs). */
export function mergeChanges(a: Change, b: Change): Change {
  return {
    everything: a.everything || b.everything,
    site: a.site || b.site,
    incidents: new Set([...a.incidents, ...b.incidents]),
    maintenances: new Set([...a.maintenances, ...b.maintenances]),
    components: new Set([...a.components, ...b.components]),
    qualityAreas: new Set([...a.qualityAreas, ...b.qualityAreas]),
    renamedComponents: new Set([...a.renamedComponents, ...b.renamedComponents]),
  };
}

export function isEmpty(change: Change): boolean {
  return (
    !change.everything &&
    !change.site &&
    change.incidents.size === 0 &&
    change.maintenances.size === 0 &&
    change.components.size === 0 &&
    change.qualityAreas.size === 0 &&
    change.renamedComponents.size === 0
  );
}
