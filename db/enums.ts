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

/**
 * First-response targets from the manual, section 1.3. `label` is the time ("menos de 2 horas");
 * `summary` a phrase that stands alone beside the criticality ("Media — respuesta en menos de 2 horas").
 */
export const slaByImpact: Record<
  IncidentImpact,
  { label: string; summary: string; minutes: number | null; businessHours?: boolean }
> = {
  critical: { label: 'menos de 30 minutos', summary: 'respuesta en menos de 30 minutos', minutes: 30 },
  major: { label: 'menos de 2 horas', summary: 'respuesta en menos de 2 horas', minutes: 120 },
  minor: {
    label: 'menos de 4 horas hábiles',
    summary: 'respuesta en menos de 4 horas hábiles',
    minutes: 240,
    businessHours: true,
  },
  none: { label: 'sin plazo comprometido', summary: 'sin plazo de respuesta comprometido', minutes: null },
};

export const statusIndicators = ['none', 'minor', 'major', 'critical', 'maintenance'] as const;
export type StatusIndicator = (typeof statusIndicators)[number];

/** What a status event was caused by; shown in the component history. */
export const statusEventCauses = ['incident', 'maintenance', 'manual', 'seed', 'alert'] as const;
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

export const maintenanceUpdateKinds = [
  'announced',
  'posted',
  'started',
  'completed',
  'rescheduled',
  'cancelled',
  'edited',
] as const;
export type MaintenanceUpdateKind = (typeof maintenanceUpdateKinds)[number];
/** NOC console roles: admin manages users, catalogue and tokens; noc posts incidents. */
export const consoleRoles = ['admin', 'noc'] as const;
export type ConsoleRole = (typeof consoleRoles)[number];
export const consoleRoleLabels: Record<ConsoleRole, string> = { admin: 'Administrador', noc: 'NOC' };

/**
 * What an API token may do: each `/api/v1` route names one of these where it is registered
 * (api/scopes.ts); `all` reaches every route (the tokens made before scopes existed have it).
 */
export const apiScopes = [
  'alerts',
  'incidents',
  'maintenances',
  'catalogue',
  'services',
  'subscribers',
  'reports',
  'quality',
  'all',
] as const;
export type ApiScope = (typeof apiScopes)[number];
export const apiScopeLabels: Record<ApiScope, string> = {
  alerts: 'Alertas (solo la recepción de alertas del monitoreo)',
  incidents: 'Incidentes',
  maintenances: 'Mantenimientos',
  catalogue: 'Catálogo (componentes, grupos, reglas de alertas, cobertura)',
  services: 'Servicios de clientes y solicitudes de factibilidad',
  subscribers: 'Suscriptores, webhooks y buzón de correo',
  reports: 'Reportes',
  quality: 'Calidad de la red (envío de mediciones, fuentes de Prometheus y umbrales)',
  all: 'Todo',
};

/** How a console session was opened; `password` may still owe its second factor. */
export const signInMethods = ['password', 'passkey', 'oidc'] as const;
export type SignInMethod = (typeof signInMethods)[number];

/** Where an alert came from: the intake endpoint that received it (its `source` is finer: a generic sender names itself). */
export const alertFormats = ['alertmanager', 'grafana', 'generic'] as const;
export type AlertFormat = (typeof alertFormats)[number];
export const alertStatuses = ['firing', 'resolved'] as const;
export type AlertStatus = (typeof alertStatuses)[number];
export const alertStatusLabels: Record<AlertStatus, string> = { firing: 'Activa', resolved: 'Resuelta' };

/** Whether an alert's status reaches the public page by itself or waits for a person. */
export const alertModes = ['automatic', 'propose'] as const;
export type AlertMode = (typeof alertModes)[number];
export const alertModeLabels: Record<AlertMode, string> = {
  automatic: 'Cambia el estado automáticamente',
  propose: 'Solo propone el estado',
};

/**
 * What an alert does, decided when it is received (and again when a maintenance that held it
 * ends): changes component status, only proposes it, is held by a maintenance in progress,
 * names no component of the catalogue, or means no status (an unknown or informational severity).
 */
export const alertEffects = ['automatic', 'proposed', 'suppressed', 'unmatched', 'no_status'] as const;
export type AlertEffect = (typeof alertEffects)[number];
export const alertEffectLabels: Record<AlertEffect, string> = {
  automatic: 'Estado aplicado',
  proposed: 'Estado propuesto',
  suppressed: 'Suprimida (mantenimiento en curso)',
  unmatched: 'Sin componente',
  no_status: 'Sin estado',
};

/** A draft incident opened by an alert: waiting for a person, published, or discarded. */
export const draftStates = ['open', 'published', 'discarded'] as const;
export type DraftState = (typeof draftStates)[number];

/** What SOMNET's probes measure per component, in the units the API, the JSON and the CSV name. */
export const qualityMetrics = ['latency_ms', 'jitter_ms', 'loss_pct'] as const;
export type QualityMetric = (typeof qualityMetrics)[number];
export const qualityMetricLabels: Record<QualityMetric, string> = {
  latency_ms: 'Latencia',
  jitter_ms: 'Jitter (variación de la latencia)',
  loss_pct: 'Pérdida de paquetes',
};
export const qualityMetricShortLabels: Record<QualityMetric, string> = {
  latency_ms: 'Latencia',
  jitter_ms: 'Jitter',
  loss_pct: 'Pérdida',
};
export const qualityMetricUnits: Record<QualityMetric, string> = { latency_ms: 'ms', jitter_ms: 'ms', loss_pct: '%' };
/** Where samples came from: the pull worker (Prometheus) or POST /api/v1/quality. */
export const qualityIngestSources = ['prometheus', 'push'] as const;
export type QualityIngestSource = (typeof qualityIngestSources)[number];
/**
 * Where a subscriber is told: email, a phone (SMS, WhatsApp), a Telegram chat, or a team chat's
 * incoming webhook. Labels, address rules and costs are in db/subscriptions/channels.ts.
 */
export const subscriberChannels = [
  'email',
  'sms',
  'whatsapp',
  'telegram',
  'slack',
  'teams',
  'google_chat',
  'discord',
] as const;
export type SubscriberChannel = (typeof subscriberChannels)[number];
