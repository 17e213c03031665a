import type { Db } from '../client.ts';
import type { Uptime } from '../domain/uptime.ts';
import { componentCatalogue, type GroupView } from './catalog.ts';
import { unresolvedIncidents, type IncidentView } from './incidents.ts';
import { activeMaintenances, upcomingMaintenances, type MaintenanceView } from './maintenances.ts';
import { areaStates, type AreaState } from './statusPage.ts';
import { unexplainedFaults } from './unexplainedFaults.ts';
import { componentUptimes } from './uptime.ts';
import { incidentsByComponentDay, type IncidentRefOfDay } from './incidentDays.ts';

export interface AreaPageView {
  area: GroupView;
  /** Its chip's words and what affects it now (the same as on /). */
  state: AreaState;
  /** Open incidents touching any of its services, newest first. */
  incidents: IncidentView[];
  /** Windows in progress on it. */
  activeMaintenances: MaintenanceView[];
  /** Scheduled windows on it, soonest first. */
  upcomingMaintenances: MaintenanceView[];
  uptime: Map<string, Uptime>;
  dayIncidents: Map<string, Map<string, IncidentRefOfDay[]>>;
}

/** Everything /zonas/:slug shows of one area, or null for an unknown slug. */
export function areaPage(db: Db, slug: string, now: Date): AreaPageView | null {
  const catalogue = componentCatalogue(db);
  const area = catalogue.groups.find((g) => g.slug === slug);
  if (!area) return null;
  const ids = new Set(area.components.map((c) => c.id));
  const touches = (x: { components: ReadonlyArray<{ id: string }> }) => x.components.some((c) => ids.has(c.id));
  const incidents = unresolvedIncidents(db, catalogue).filter(touches);
  const active = activeMaintenances(db, catalogue).filter(touches);
  return {
    area,
    state: areaStates([area], incidents, active, unexplainedFaults(db, catalogue))[0],
    incidents,
    activeMaintenances: active,
    upcomingMaintenances: upcomingMaintenances(db, now, { catalogue }).filter(touches),
    uptime: componentUptimes(db, [...ids], now, 90),
    dayIncidents: incidentsByComponentDay(db, [...ids], now),
  };
}
