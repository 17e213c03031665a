import {
  componentStatusShortLabels,
  incidentImpacts,
  type ComponentStatus,
  type IncidentImpact,
  type StatusIndicator,
} from '../enums.ts';

/** Severity order: the worst status wins a roll-up. Maintenance is planned, so it ranks below any outage. */
const severity: Record<ComponentStatus, number> = {
  operational: 0,
  under_maintenance: 1,
  degraded_performance: 2,
  partial_outage: 3,
  major_outage: 4,
};

/** How bad a status is (0 operational … 4 major outage): the one ranking every roll-up and comparison uses. */
export function statusRank(status: ComponentStatus): number {
  return severity[status];
}

/**
 * The statuses that mean something is wrong (worse than a planned maintenance): what an alert
 * may set, what a maintenance does not cover up, what an incident's resolution returns to service.
 */
export const faultStatuses = ['degraded_performance', 'partial_outage', 'major_outage'] as const;
export type FaultStatus = (typeof faultStatuses)[number];

/** Is this a fault (degraded, partial or total outage), as opposed to operational or under maintenance? */
export function isFault(status: ComponentStatus): status is FaultStatus {
  return severity[status] > severity.under_maintenance;
}

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
  critical: 'Sin servicio en parte de la red',
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
export function overallStatusWithMaintenance(
  statuses: Iterable<ComponentStatus>,
  maintenanceInProgress: boolean,
): OverallStatus {
  const overall = overallStatus(statuses);
  return withMaintenanceInProgress(overall.status, maintenanceInProgress) === overall.status
    ? overall
    : { status: 'under_maintenance', indicator: 'maintenance', description: indicatorDescriptions.maintenance };
}

/** A component (or area) an open maintenance window covers shows "En mantenimiento" unless it shows worse. */
export function withMaintenanceInProgress(status: ComponentStatus, maintenanceInProgress: boolean): ComponentStatus {
  return maintenanceInProgress && status === 'operational' ? 'under_maintenance' : status;
}

/**
 * What an area's chip says: "Operativo" when all is well, the short status when every service of
 * the area shares it ("Sin servicio"), otherwise which service has what ("Fibra óptica sin
 * servicio"): "Sin servicio" for a whole area when only its fibre is down would send the
 * microwave customers looking for an outage they do not have.
 */
export function areaStatusText(components: ReadonlyArray<{ name: string; status: ComponentStatus }>): string {
  const affected = components
    .filter((c) => c.status !== 'operational')
    .sort((a, b) => compareSeverity(a.status, b.status));
  if (affected.length === 0) return componentStatusShortLabels.operational;
  if (affected.length === components.length && affected.every((c) => c.status === affected[0].status))
    return componentStatusShortLabels[affected[0].status];
  return affected.map((c) => `${c.name} ${componentStatusShortLabels[c.status].toLowerCase()}`).join(' · ');
}

/**
 * The open incident the banner speaks for: the highest criticality, then the one hitting the
 * worst component status, then the most recently started.
 */
export function worstIncident<
  T extends { impact: IncidentImpact; startedAt: Date; components: ReadonlyArray<{ status: ComponentStatus }> },
>(incidents: readonly T[]): T | null {
  let worst: T | null = null;
  const rank = (i: T) => incidentImpacts.indexOf(i.impact);
  const hit = (i: T) => worstStatus(i.components.map((c) => c.status));
  for (const incident of incidents) {
    if (!worst) {
      worst = incident;
      continue;
    }
    const byImpact = rank(incident) - rank(worst);
    const byStatus = compareSeverity(hit(worst), hit(incident));
    if (byImpact > 0 || (byImpact === 0 && (byStatus > 0 || (byStatus === 0 && incident.startedAt > worst.startedAt))))
      worst = incident;
  }
  return worst;
}
