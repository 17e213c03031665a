import type { Db } from '../client.ts';
import { componentCatalogue, type ComponentView, type GroupView } from './catalog.ts';
import { unresolvedIncidents, type IncidentView } from './incidents.ts';
import { activeMaintenances, type MaintenanceView } from './maintenances.ts';
import { unexplainedFaults, type UnexplainedFault } from './unexplainedFaults.ts';

export interface KnownProblemsView {
  area: GroupView | null;
  /** The customer's link in the area: the technology they named, or every component when they did not. */
  scope: ComponentView[];
  /** Unresolved incidents touching the customer's link, newest first. */
  incidents: IncidentView[];
  /** Maintenance windows in progress (or verifying) touching the customer's link, soonest end first. */
  maintenances: MaintenanceView[];
  /** Faults monitoring saw on the customer's link that nothing published explains. */
  unexplained: UnexplainedFault[];
  /** What is known about the area's other technologies: said, but not taken as the customer's fault. */
  elsewhere: { components: ComponentView[]; incidents: IncidentView[]; unexplained: UnexplainedFault[] };
}

/**
 * Does SOMNET already know about a problem on this customer's link? ("ya lo sabemos",
 * /autodiagnostico). `technology` is a component's name in the area («Fibra óptica»); null or
 * unknown means every component of the area.
 */
export function knownProblemsInArea(db: Db, areaSlug: string, technology: string | null = null): KnownProblemsView {
  const catalogue = componentCatalogue(db);
  const area = catalogue.groups.find((g) => g.slug === areaSlug) ?? null;
  const none = { components: [], incidents: [], unexplained: [] };
  if (!area) return { area: null, scope: [], incidents: [], maintenances: [], unexplained: [], elsewhere: none };
  const chosen = area.components.filter((c) => c.name === technology);
  const scope = chosen.length > 0 ? chosen : area.components;
  const ids = new Set(scope.map((c) => c.id));
  const others = area.components.filter((c) => !ids.has(c.id));
  const otherIds = new Set(others.map((c) => c.id));
  const open = unresolvedIncidents(db, catalogue);
  const faults = unexplainedFaults(db, catalogue);
  const incidents = open.filter((i) => i.components.some((c) => ids.has(c.id)));
  const maintenances = activeMaintenances(db, catalogue)
    .filter((m) => m.components.some((c) => ids.has(c.id)))
    .sort((a, b) => a.scheduledUntil.getTime() - b.scheduledUntil.getTime());
  return {
    area,
    scope,
    incidents,
    maintenances,
    unexplained: faults.filter((f) => ids.has(f.component.id)),
    elsewhere: {
      components: others,
      incidents: open.filter((i) => !incidents.includes(i) && i.components.some((c) => otherIds.has(c.id))),
      unexplained: faults.filter((f) => otherIds.has(f.component.id)),
    },
  };
}

/** Areas a customer can pick: every group that holds components. */
export function selectableAreas(db: Db): Array<{ id: string; slug: string; name: string }> {
  return componentCatalogue(db)
    .groups.filter((g) => g.components.length > 0)
    .map((g) => ({ id: g.id, slug: g.slug, name: g.name }));
}

/** The technologies a customer can name: the components' names across those areas («Fibra óptica»…). */
export function selectableTechnologies(db: Db, areaSlugs: readonly string[]): string[] {
  const slugs = new Set(areaSlugs);
  return [
    ...new Set(
      componentCatalogue(db)
        .groups.filter((g) => slugs.has(g.slug))
        .flatMap((g) => g.components.map((c) => c.name)),
    ),
  ];
}
