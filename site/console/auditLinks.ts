// Where an audit row's object lives in the console, so /noc/auditoria links each row to it.
// Subjects without a page of their own (a webhook, a coverage upload) get no link.

const pages: Record<string, (id: string | null) => string | null> = {
  incident: (id) => (id ? `/noc/incidentes/${encodeURIComponent(id)}` : '/noc/incidentes'),
  incident_draft: (id) => (id ? `/noc/incidentes/nuevo?borrador=${encodeURIComponent(id)}` : '/noc/alertas'),
  maintenance: (id) => (id ? `/noc/mantenimientos/${encodeURIComponent(id)}` : '/noc/mantenimientos'),
  component: () => '/noc/componentes',
  group: () => '/noc/admin/catalogo',
  alert: () => '/noc/alertas',
  alert_rules: () => '/noc/alertas/reglas',
  alert_delivery: () => '/noc/alertas',
  user: () => '/noc/admin/usuarios',
  token: () => '/noc/admin/tokens',
  session: () => '/noc/sesiones',
  subscriber: () => '/noc/suscriptores',
  quality: () => '/noc/calidad',
  quality_sources: () => '/noc/calidad',
  quality_thresholds: () => '/noc/calidad',
};

/** The console page of an audit row's subject, or null when it has none. */
export function auditSubjectHref(subjectType: string, subjectId: string | null): string | null {
  return Object.hasOwn(pages, subjectType) ? pages[subjectType](subjectId) : null;
}
