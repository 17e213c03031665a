// What the console makes of alerts for the incident forms: a draft's fields as the composer's
// values (so "Publicar" is one click), and the "En monitoreo" update it proposes once every
// alert of a published incident has resolved. Nothing here writes; the pages' commands do.
import type { Db } from '#db/client.ts';
import { draftWords, placeName, suggestedTemplate } from '#db/domain/alerts.ts';
import type { IncidentTemplate } from '#db/domain/incidentTemplates.ts';
import { isFault, worstStatus } from '#db/domain/rollup.ts';
import { formatTime, ZONE_LABEL } from '#db/domain/time.ts';
import type { ComponentStatus } from '#db/enums.ts';
import { incidentAlertSummary, type Catalogue, type DraftView, type IncidentView } from '#db/queries/index.ts';
import { toLocalDateTimeValue } from './localDateTime.ts';
import { etaFieldValue, type IncidentFormValues } from './incidentForm.ts';

/** The composer filled from a draft: title, criticidad, status, message, cause and each component's proposed status. */
export function draftFormValues(draft: DraftView): IncidentFormValues {
  const components: Record<string, ComponentStatus> = Object.fromEntries(
    draft.components.map((c) => [c.component.id, c.status]),
  );
  return {
    name: draft.name,
    impact: draft.impact,
    status: draft.status,
    body: draft.body,
    cause: draft.cause ?? '',
    eta: '',
    // The incident starts when its first alert did; the NOC may state another start.
    startedAt: toLocalDateTimeValue(draft.startedAt),
    componentStatus: worstStatus(Object.values(components)),
    components,
    elements: '',
    notify: true,
  };
}

/**
 * The template the composer offers for a draft: only when no rule or annotation named one, and
 * only one the alerts' words suggest. The NOC applies it with one click (or not).
 */
export function draftTemplateOffer(draft: DraftView): IncidentTemplate | undefined {
  return draft.templateId ? undefined : suggestedTemplate(draft.alerts);
}

/** The form fields a template gives a draft: its title for the draft's place, status, cause and message. */
export function draftTemplateWords(
  draft: DraftView,
  template: IncidentTemplate,
): { name: string; status: string; cause: string; body: string } {
  const words = draftWords({
    template,
    where: placeName(draft.components.map((c) => c.component)),
    statuses: draft.components.map((c) => c.status),
    alerts: draft.alerts,
  });
  return { name: words.name, status: words.status, cause: words.cause ?? '', body: template.body };
}

export interface MonitoringProposal {
  /** When the last of the incident's alerts resolved. */
  resolvedAt: Date;
  alertCount: number;
  values: IncidentFormValues;
}

/**
 * When every alert linked to an open incident (still investigating or identified) has resolved,
 * the update form proposes "En monitoreo": the components those alerts named back to operational
 * and a message saying since when. The NOC reads it and publishes, or writes something else.
 */
export function monitoringProposal(
  db: Db,
  incident: IncidentView,
  catalogue: Catalogue,
  now: Date,
): MonitoringProposal | null {
  if (incident.resolvedAt || (incident.status !== 'investigating' && incident.status !== 'identified')) return null;
  const summary = incidentAlertSummary(db, incident.id);
  if (!summary.allResolvedAt) return null;
  const components: Record<string, ComponentStatus> = {};
  for (const id of summary.componentIds) {
    const c = catalogue.byId.get(id);
    if (c && isFault(c.status)) components[id] = 'operational';
  }
  return {
    resolvedAt: summary.allResolvedAt,
    alertCount: summary.total,
    values: {
      name: incident.name,
      impact: incident.impact,
      status: 'monitoring',
      body: `El servicio se restableció: nuestro monitoreo dejó de registrar la falla a las ${formatTime(summary.allResolvedAt)} (${ZONE_LABEL}). Seguimos observando la red antes de dar el incidente por resuelto.`,
      cause: incident.cause ?? '',
      eta: etaFieldValue(incident.eta, now),
      componentStatus: null,
      components,
      elements: '',
      notify: true,
    },
  };
}
