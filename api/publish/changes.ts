import type { AuditedChange } from '#db/queries/index.ts';
// Audit subjects that no public page shows: writing them publishes nothing.
import { PRIVATE_SUBJECTS } from '#db/commands/audit.ts';

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
}

export function emptyChange(): Change {
  return {
    everything: false,
    site: false,
    incidents: new Set(),
    maintenances: new Set(),
    components: new Set(),
    qualityAreas: new Set(),
  };
}

export function everything(): Change {
  return { ...emptyChange(), everything: true, site: true };
}

const warned = new Set<string>();

/** Adds one audited write to a change. A subject type not listed here re-publishes everything, once warned. */
function add(change: Change, row: AuditedChange): void {
  if (PRIVATE_SUBJECTS.has(row.subjectType)) return;
  change.site = true;
  switch (row.subjectType) {
    case 'incident':
      if (row.subjectId) change.incidents.add(row.subjectId);
      return;
    case 'maintenance':
      if (row.subjectId) change.maintenances.add(row.subjectId);
      return;
    case 'component': {
      // A status change or a new component shows on the site-wide pages and on its own feeds;
      // a rename, a move or a new slug shows on every page that names it.
      const patch = row.details && typeof row.details === 'object' ? Object.keys(row.details) : [];
      if (row.action === 'component.create' || patch.every((k) => k === 'status')) {
        if (row.subjectId) change.components.add(row.subjectId);
      } else {
        change.everything = true;
      }
      return;
    }
    case 'coverage':
      return;
    case 'group':
      change.everything = true;
      return;
    default:
      change.everything = true;
      if (!warned.has(row.subjectType)) {
        warned.add(row.subjectType);
        console.warn(
          `Publicación: cambios de tipo «${row.subjectType}» republican todo; declare en api/publish/changes.ts qué páginas afectan.`,
        );
      }
  }
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
  };
}

export function isEmpty(change: Change): boolean {
  return (
    !change.everything &&
    !change.site &&
    change.incidents.size === 0 &&
    change.maintenances.size === 0 &&
    change.components.size === 0 &&
    change.qualityAreas.size === 0
  );
}
