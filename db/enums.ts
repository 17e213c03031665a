// Domain vocabulary shared by every layer (pages, API, emails, feeds). No Drizzle import here,
// so the browser-free renderers and the site can use it without pulling the database in.

export const componentStatuses = [
  'operational',
  'degraded_performance',
  'partial_outage',
  'major_outage',
  'under_maintenance',
] as const;
export type ComponentStatus = (typeof componentStatuses)[number];

/** Spanish labels; the words in parentheses are the manual's ticket categories (section 1.2). */
export const componentStatusLabels: Record<ComponentStatus, string> = {
  operational: 'Operativo',
  degraded_performance: 'Rendimiento degradado (baja velocidad)',
  partial_outage: 'Interrupción parcial (intermitencia)',
  major_outage: 'Interrupción total (sin servicio)',
  under_maintenance: 'En mantenimiento',
};

export const componentStatusShortLabels: Record<ComponentStatus, string> = {
  operational: 'Operativo',
  degraded_performance: 'Baja velocidad',
  partial_outage: 'Intermitencia',
  major_outage: 'Sin servicio',
  under_maintenance: 'En mantenimiento',
};

export const incidentStatuses = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export type IncidentStatus = (typeof incidentStatuses)[number];
export const incidentStatusLabels: Record<IncidentStatus, string> = {
  investigating: 'Investigando',
  identified: 'Identificado',
  monitoring: 'En monitoreo',
  resolved: 'Resuelto',
};

/** Statuspage's impact scale is the manual's "criticidad" (section 1.3). */
export const incidentImpacts = ['none', 'minor', 'major', 'critical'] as const;
export type IncidentImpact = (typeof incidentImpacts)[number];
export const incidentImpactLabels: Record<IncidentImpact, string> = {
  none: 'Informativo',
  minor: 'Baja',
  major: 'Media',
  critical: 'Alta',
};

/** First-response targets from the manual, section 1.3. */
export const slaByImpact: Record<IncidentImpact, { label: string; minutes: number | null; businessHours?: boolean }> = {
  critical: { label: 'menos de 30 minutos', minutes: 30 },
  major: { label: 'menos de 2 horas', minutes: 120 },
  minor: { label: 'menos de 4 horas hábiles', minutes: 240, businessHours: true },
  none: { label: 'sin tiempo de respuesta comprometido', minutes: null },
};

export const statusIndicators = ['none', 'minor', 'major', 'critical', 'maintenance'] as const;
export type StatusIndicator = (typeof statusIndicators)[number];

/** What a status event was caused by; shown in the component history. */
export const statusEventCauses = ['incident', 'maintenance', 'manual', 'seed'] as const;
export type StatusEventCause = (typeof statusEventCauses)[number];

export const TIME_ZONE = 'America/Mexico_City';

export const maintenanceStatuses = ['scheduled', 'in_progress', 'verifying', 'completed', 'cancelled'] as const;
export type MaintenanceStatus = (typeof maintenanceStatuses)[number];
export const maintenanceStatusLabels: Record<MaintenanceStatus, string> = {
  scheduled: 'Programado',
  in_progress: 'En curso',
  verifying: 'En verificación',
  completed: 'Completado',
  cancelled: 'Cancelado',
};

/** What customers should expect during the window (the MAINTNOTE impact scale). */
export const maintenanceImpactKinds = ['no_impact', 'reduced_redundancy', 'degraded', 'outage'] as const;
export type MaintenanceImpactKind = (typeof maintenanceImpactKinds)[number];
export const maintenanceImpactLabels: Record<MaintenanceImpactKind, string> = {
  no_impact: 'Sin afectación esperada',
  reduced_redundancy: 'Redundancia reducida',
  degraded: 'Servicio degradado',
  outage: 'Interrupción del servicio',
};

export const maintenanceUpdateKinds = ['announced', 'posted', 'started', 'completed', 'rescheduled', 'cancelled', 'edited'] as const;
export type MaintenanceUpdateKind = (typeof maintenanceUpdateKinds)[number];
/** NOC console roles: admin manages users, catalogue and tokens; noc posts incidents. */
export const consoleRoles = ['admin', 'noc'] as const;
export type ConsoleRole = (typeof consoleRoles)[number];
export const consoleRoleLabels: Record<ConsoleRole, string> = { admin: 'Administrador', noc: 'NOC' };
