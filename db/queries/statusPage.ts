import type { Db } from '../client.ts';
import { overallStatusWithMaintenance, compareSeverity, type OverallStatus } from '../domain/rollup.ts';
import { DAY, startOfZonedDay, zonedDateKey } from '../domain/time.ts';
import type { Uptime } from '../domain/uptime.ts';
import { componentCatalogue, type ComponentView, type GroupView } from './catalog.ts';
import { incidentsStartedBetween, unresolvedIncidents, type IncidentView } from './incidents.ts';
import { componentUptimes } from './uptime.ts';
import { activeMaintenances, type MaintenanceView } from './maintenances.ts';

export interface StatusPageView {
  generatedAt: Date;
  overall: OverallStatus;
  /** Components not operational, worst first: the banner names them. */
  affected: ComponentView[];
  activeIncidents: IncidentView[];
  /** Windows in progress or verifying; with any open, the banner says so (as v2 does). */
  activeMaintenances: MaintenanceView[];
  groups: GroupView[];
  ungrouped: ComponentView[];
  uptime: Map<string, Uptime>;
  /** The last `historyDays` local days, newest first, each with the incidents that began on it. */
  history: Array<{ date: string; dayStart: Date; incidents: IncidentView[] }>;
}

export function statusPage(db: Db, now: Date, options: { uptimeDays?: number; historyDays?: number } = {}): StatusPageView {
  const catalogue = componentCatalogue(db);
  const uptime = componentUptimes(db, catalogue.all.map((c) => c.id), now, options.uptimeDays ?? 90);
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
  return {
    generatedAt: now,
    overall: overallStatusWithMaintenance(catalogue.all.map((c) => c.status), maintenances.length > 0),
    affected: catalogue.all.filter((c) => c.status !== 'operational').sort((a, b) => compareSeverity(a.status, b.status)),
    activeIncidents: unresolvedIncidents(db, catalogue),
    activeMaintenances: maintenances,
    groups: catalogue.groups,
    ungrouped: catalogue.ungrouped,
    uptime,
    history,
  };
}
