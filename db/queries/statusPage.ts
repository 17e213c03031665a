import type { Db } from '../client.ts';
import { componentStatusShortLabels } from '../enums.ts';
import {
  areaStatusText,
  overallStatusWithMaintenance,
  compareSeverity,
  worstIncident,
  type OverallStatus,
} from '../domain/rollup.ts';
import { DAY, startOfZonedDay, zonedDateKey } from '../domain/time.ts';
import type { Uptime } from '../domain/uptime.ts';
import { componentCatalogue, type ComponentView, type GroupView } from './catalog.ts';
import { incidentsStartedBetween, unresolvedIncidents, type IncidentView } from './incidents.ts';
import { componentUptimes } from './uptime.ts';
import { incidentsByComponentDay, type IncidentRefOfDay } from './incidentDays.ts';
import { activeMaintenances, type MaintenanceView } from './maintenances.ts';
import { unexplainedFaults, type UnexplainedFault } from './unexplainedFaults.ts';

export interface StatusPageView {
  generatedAt: Date;
  overall: OverallStatus;
  /** Components not operational, worst first: the banner names them. */
  affected: ComponentView[];
  activeIncidents: IncidentView[];
  /** The open incident whose cause and ETA the banner shows (rollup.ts, worstIncident). */
  worstIncident: IncidentView | null;
  /**
   * When the NOC last told the public something: the newest incident update, maintenance notice
   * or component status change. Not the render time: a page read from the published snapshot
   * hours later must not claim to be fresh.
   */
  lastPublicUpdate: Date | null;
  /** Faults monitoring saw that nothing published explains: the banner says so, in words. */
  unexplained: UnexplainedFault[];
  /** Windows in progress or verifying; with any open, the banner says so (as v2 does). */
  activeMaintenances: MaintenanceView[];
  groups: GroupView[];
  /** One per area, for its chip: what it says and what affects it now (the chip links there). */
  areas: AreaState[];
  ungrouped: ComponentView[];
  uptime: Map<string, Uptime>;
  /** Per component and local date, the incidents behind that day of its bar (its per-day detail). */
  dayIncidents: Map<string, Map<string, IncidentRefOfDay[]>>;
  /** The last `historyDays` local days, newest first, each with the incidents that began on it. */
  history: Array<{ date: string; dayStart: Date; incidents: IncidentView[] }>;
}

export interface AreaState {
  group: GroupView;
  /** "Operativo", "Sin servicio", "Fibra óptica sin servicio" (rollup.ts, areaStatusText). */
  summary: string;
  /** The worst open incident touching the area, else null. */
  incident: IncidentView | null;
  /** A window in progress on the area, else null. */
  maintenance: MaintenanceView | null;
  /** Its faults that nothing published explains. */
  unexplained: UnexplainedFault[];
}

/** What affects each area now: the worst open incident touching it, or a window in progress on it. */
export function areaStates(
  groups: readonly GroupView[],
  open: readonly IncidentView[],
  maintenances: readonly MaintenanceView[],
  unexplained: readonly UnexplainedFault[],
): AreaState[] {
  return groups.map((group) => {
    const ids = new Set(group.components.map((c) => c.id));
    const touches = (x: { components: ReadonlyArray<{ id: string }> }) => x.components.some((c) => ids.has(c.id));
    const maintenance = maintenances.find(touches) ?? null;
    const allWell = group.components.every((c) => c.status === 'operational');
    return {
      group,
      // A window that does not flip its components still puts the area "En mantenimiento" (rollup.ts).
      summary: allWell && maintenance ? componentStatusShortLabels.under_maintenance : areaStatusText(group.components),
      incident: worstIncident(open.filter(touches)),
      maintenance,
      unexplained: unexplained.filter((f) => ids.has(f.component.id)),
    };
  });
}

export function statusPage(
  db: Db,
  now: Date,
  options: { uptimeDays?: number; historyDays?: number } = {},
): StatusPageView {
  const catalogue = componentCatalogue(db);
  const uptimeDays = options.uptimeDays ?? 90;
  const uptime = componentUptimes(
    db,
    catalogue.all.map((c) => c.id),
    now,
    uptimeDays,
  );
  const dayIncidents = incidentsByComponentDay(
    db,
    catalogue.all.map((c) => c.id),
    now,
    uptimeDays,
  );
  const historyDays = options.historyDays ?? 7;
  const todayStart = startOfZonedDay(now);
  const from = new Date(todayStart.getTime() - (historyDays - 1) * DAY);
  const recent = incidentsStartedBetween(db, from, new Date(now.getTime() + DAY), catalogue);
  const history: StatusPageView['history'] = [];
  for (let i = 0; i < historyDays; i++) {
    const dayStart = startOfZonedDay(new Date(todayStart.getTime() - i * DAY + DAY / 2));
    const date = zonedDateKey(dayStart);
    history.push({ date, dayStart, incidents: recent.filter((inc) => zonedDateKey(inc.startedAt) === date) });
  }
  const maintenances = activeMaintenances(db, catalogue);
  const open = unresolvedIncidents(db, catalogue);
  const unexplained = unexplainedFaults(db, catalogue);
  const stamps = [
    ...[...open, ...recent].flatMap((i) => i.updates.slice(0, 1).map((u) => u.displayAt)),
    ...maintenances.flatMap((m) => m.updates.slice(0, 1).map((u) => u.createdAt)),
    ...catalogue.all.map((c) => c.updatedAt),
  ]
    .map((d) => d.getTime())
    .filter((t) => t <= now.getTime());
  return {
    generatedAt: now,
    overall: overallStatusWithMaintenance(
      catalogue.all.map((c) => c.status),
      maintenances.length > 0,
    ),
    affected: catalogue.all
      .filter((c) => c.status !== 'operational')
      .sort((a, b) => compareSeverity(a.status, b.status)),
    activeIncidents: open,
    worstIncident: worstIncident(open),
    lastPublicUpdate: stamps.length ? new Date(Math.max(...stamps)) : null,
    unexplained,
    activeMaintenances: maintenances,
    groups: catalogue.groups,
    areas: areaStates(catalogue.groups, open, maintenances, unexplained),
    ungrouped: catalogue.ungrouped,
    uptime,
    dayIncidents,
    history,
  };
}
