// Where an audit row's object lives in the console, so /noc/auditoria links each row to it.
// One entry per audit subject type (db/auditSubjects.ts): a new type does not compile until it
// says where it leads; subjects without a page of their own (a webhook, a coverage upload) lead nowhere.
import type { SubjectType } from '#db/auditSubjects.ts';

const enc = encodeURIComponent;
const pages: Record<SubjectType, (id: string | null) => string | null> = {
  incident: (id) => (id ? `/noc/incidentes/${enc(id)}` : '/noc/incidentes'),
  incident_draft: (id) => (id ? `/noc/incidentes/nuevo?borrador=${enc(id)}` : '/noc/alertas'),
  maintenance: (id) => (id ? `/noc/mantenimientos/${enc(id)}` : '/noc/mantenimientos'),
  component: () => '/noc/componentes',
  group: () => '/noc/admin/catalogo',
  coverage: () => null,
  quality: () => '/noc/calidad',
  quality_sources: () => '/noc/calidad',
  quality_thresholds: () => '/noc/calidad',
  quality_state: () => '/noc/calidad',
  alert: () => '/noc/alertas',
  alert_rules: () => '/noc/alertas/reglas',
  alert_delivery: () => '/noc/alertas',
  user: () => '/noc/admin/usuarios',
  token: () => '/noc/admin/tokens',
  session: () => '/noc/sesiones',
  subscriber: () => '/noc/suscriptores',
  service: () => null,
  webhook: () => null,
  feasibility_request: () => null,
};

/** The console page of an audit row's subject, or null when it has none (or the type is unknown). */
export function auditSubjectHref(subjectType: string, subjectId: string | null): string | null {
  return Object.hasOwn(pages, subjectType) ? pages[subjectType as SubjectType](subjectId) : null;
}
