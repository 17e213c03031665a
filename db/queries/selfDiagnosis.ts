import type { Db } from '../client.ts';
import { componentCatalogue, type GroupView } from './catalog.ts';
import { unresolvedIncidents, type IncidentView } from './incidents.ts';
import { activeMaintenances, type MaintenanceView } from './maintenances.ts';

export interface KnownProblemsView {
  area: GroupView | null;
  /** Unresolved incidents touching any component of the area, newest first. */
  incidents: IncidentView[];
  /** Maintenance windows in progress (or verifying) touching any component of the area, soonest end first. */
  maintenances: MaintenanceView[];
}

/** Does SOMNET already know about a problem in this area? ("ya lo sabemos", /autodiagnostico) */
export function knownProblemsInArea(db: Db, areaSlug: string): KnownProblemsView {
  const catalogue = componentCatalogue(db);
  const area = catalogue.groups.find((g) => g.slug === areaSlug) ?? null;
  if (!area) return { area: null, incidents: [], maintenances: [] };
  const ids = new Set(area.components.map((c) => c.id));
  const incidents = unresolvedIncidents(db, catalogue).filter((i) => i.components.some((c) => ids.has(c.id)));
  const maintenances = activeMaintenances(db, catalogue)
    .filter((m) => m.components.some((c) => ids.has(c.id)))
    .sort((a, b) => a.scheduledUntil.getTime() - b.scheduledUntil.getTime());
  return { area, incidents, maintenances };
}

/** Areas a customer can pick: every group that holds components. */
export function selectableAreas(db: Db): Array<{ slug: string; name: string }> {
  return componentCatalogue(db)
    .groups.filter((g) => g.components.length > 0)
    .map((g) => ({ slug: g.slug, name: g.name }));
}
