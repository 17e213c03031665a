import type { ComponentStatus, StatusIndicator } from '../enums.ts';

/** Severity order: the worst status wins a roll-up. Maintenance is planned, so it ranks below any outage. */
const severity: Record<ComponentStatus, number> = {
  operational: 0,
  under_maintenance: 1,
  degraded_performance: 2,
  partial_outage: 3,
  major_outage: 4,
};

export function worstStatus(statuses: Iterable<ComponentStatus>): ComponentStatus {
  let worst: ComponentStatus = 'operational';
  for (const s of statuses) if (severity[s] > severity[worst]) worst = s;
  return worst;
}

export function compareSeverity(a: ComponentStatus, b: ComponentStatus): number {
  return severity[b] - severity[a];
}

export const indicatorByStatus: Record<ComponentStatus, StatusIndicator> = {
  operational: 'none',
  under_maintenance: 'maintenance',
  degraded_performance: 'minor',
  partial_outage: 'major',
  major_outage: 'critical',
};

export const indicatorDescriptions: Record<StatusIndicator, string> = {
  none: 'Todos los servicios operan con normalidad',
  minor: 'Rendimiento degradado en parte de la red',
  major: 'Interrupción parcial del servicio',
  critical: 'Interrupción total del servicio en parte de la red',
  maintenance: 'Mantenimiento en curso',
};

export interface OverallStatus {
  status: ComponentStatus;
  indicator: StatusIndicator;
  description: string;
}

/** The page's overall state, derived from its components: the worst status wins. */
export function overallStatus(statuses: Iterable<ComponentStatus>): OverallStatus {
  const status = worstStatus(statuses);
  const indicator = indicatorByStatus[status];
  return { status, indicator, description: indicatorDescriptions[indicator] };
}

/**
 * The page's overall state once maintenance is taken into account: while a window is open and
 * nothing worse is going on, the page says "maintenance" even if the window does not flip its
 * components (auto_transition false). Statuspage's v2 indicator, the home banner, the badges
 * and /status.txt all use this one rule.
 */
export function overallStatusWithMaintenance(statuses: Iterable<ComponentStatus>, maintenanceInProgress: boolean): OverallStatus {
  const overall = overallStatus(statuses);
  return withMaintenanceInProgress(overall.status, maintenanceInProgress) === overall.status
    ? overall
    : { status: 'under_maintenance', indicator: 'maintenance', description: indicatorDescriptions.maintenance };
}

/** A component (or area) an open maintenance window covers shows "En mantenimiento" unless it shows worse. */
export function withMaintenanceInProgress(status: ComponentStatus, maintenanceInProgress: boolean): ComponentStatus {
  return maintenanceInProgress && status === 'operational' ? 'under_maintenance' : status;
}
