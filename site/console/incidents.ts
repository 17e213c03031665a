// The incident pages of the console: the composer (/noc/incidentes/nuevo: preview, then publish
// exactly what was previewed) and the update form (/noc/incidentes/:id). The commands
// (db/commands/incidents.ts) check and write; this module reads forms and decides.
import { submitOnce } from '../../db/commands/consoleForms.ts';
import { createIncident, publishIncidentUpdate } from '../../db/commands/incidents.ts';
import type { EmailContent } from '../../api/email/templates.ts';
import { incidentTemplate, type IncidentTemplate } from '../../db/domain/incidentTemplates.ts';
import { audienceFor } from '../../db/notifications/audience.ts';
import { componentCatalogue, incidentDetail, type Catalogue, type IncidentView } from '../../db/queries/index.ts';
import { contextOf, formToken, refusal, type ConsoleRequest, type Redirect } from './action.ts';
import { previewFingerprint, previewIncident, previewIncidentEmail, readIncidentForm, type IncidentFormValues } from './incidentForm.ts';
import { toLocalDateTimeValue } from './localDateTime.ts';
import { randomToken } from './session.ts';

export interface ComposerView {
  catalogue: Catalogue;
  template: IncidentTemplate | undefined;
  values: IncidentFormValues;
  errors: Record<string, string>;
  idem: string;
  /** Set once a preview was shown: publishing requires the same content. */
  fingerprint?: string;
  notice?: string;
  preview?: IncidentView;
  /** Who will be notified (db/notifications/audience.ts). */
  audience: ReturnType<typeof audienceFor>;
  email?: EmailContent;
}

/** The composer's starting values, from a template (`?plantilla=`) or empty. */
export function composerDefaults(template: IncidentTemplate | undefined): IncidentFormValues {
  return {
    name: template?.name ?? '', impact: template?.impact ?? 'major', status: template?.status ?? 'investigating',
    body: template?.body ?? '', cause: template?.cause ?? '', eta: '', componentStatus: template?.componentStatus ?? 'major_outage',
    components: {}, notify: true,
  };
}

export function incidentComposerPage(req: ConsoleRequest, options: { template: string | null; publicUrl: string }, form?: FormData): Redirect | { status: number; view: ComposerView } {
  const catalogue = componentCatalogue(req.db);
  const template = incidentTemplate(options.template);
  const view: ComposerView = { catalogue, template, values: composerDefaults(template), errors: {}, idem: randomToken(), audience: [] };
  let eta: Date | null = null;
  if (form) {
    const parsed = readIncidentForm(form, catalogue, req.now, { requireName: true });
    view.values = parsed.values;
    view.errors = parsed.errors;
    eta = parsed.eta;
    const sent = formToken(form);
    if (sent) view.idem = sent;
    if (view.values.status === 'resolved') view.errors.status = 'Un incidente nuevo no puede publicarse ya resuelto desde la consola.';
    const current = previewFingerprint(view.values);
    if (Object.keys(view.errors).length === 0) {
      if (form.get('accion') === 'publicar' && form.get('vista') === current) {
        const values = view.values;
        try {
          const { location } = submitOnce(req.db, sent, req.session.user.id, req.now, () => {
            const incident = createIncident(req.db, {
              name: values.name, impact: values.impact, status: values.status, body: values.body,
              cause: values.cause || null, eta, components: values.components, deliverNotifications: values.notify,
            }, contextOf(req));
            return `/noc/incidentes/${incident.id}?aviso=publicado`;
          });
          return { redirect: location };
        } catch (err) {
          view.errors = refusal(err);
          if (Object.keys(view.errors).some((k) => k.startsWith('components.'))) view.errors.components = 'Revise los componentes elegidos.';
        }
      } else {
        view.fingerprint = current;
        if (form.get('accion') === 'publicar') view.notice = 'El contenido cambió después de la vista previa. Revíselo y confirme de nuevo.';
      }
    }
  }
  if (view.fingerprint) {
    view.preview = previewIncident(view.values, eta, catalogue, req.now);
    view.audience = audienceFor(req.db, Object.keys(view.values.components));
    if (view.values.notify) view.email = previewIncidentEmail(view.values, eta, catalogue, req.now, options.publicUrl);
  }
  return { status: Object.keys(view.errors).length ? 422 : 200, view };
}

export interface IncidentUpdateView {
  incident: IncidentView;
  catalogue: Catalogue;
  values: IncidentFormValues;
  errors: Record<string, string>;
  idem: string;
}

/** The update form's values for an incident as it stands: its status, cause and ETA, a new message. */
export function updateDefaults(incident: IncidentView): IncidentFormValues {
  return {
    name: incident.name, impact: incident.impact, status: incident.status, body: '', cause: incident.cause ?? '',
    eta: toLocalDateTimeValue(incident.eta), componentStatus: 'operational', components: {}, notify: true,
  };
}

/** /noc/incidentes/:id: one update (status, message, cause, ETA, components) or a resolution. Null view: no such incident. */
export function incidentUpdatePage(req: ConsoleRequest, id: string, form?: FormData): Redirect | { status: number; view: IncidentUpdateView | null } {
  const incident = incidentDetail(req.db, id);
  if (!incident) return { status: 404, view: null };
  const catalogue = componentCatalogue(req.db);
  const view: IncidentUpdateView = { incident, catalogue, values: updateDefaults(incident), errors: {}, idem: randomToken() };
  if (!form) return { status: 200, view };
  const parsed = readIncidentForm(form, catalogue, req.now, { requireName: false, currentEta: incident.eta });
  view.values = parsed.values;
  view.errors = parsed.errors;
  const sent = formToken(form);
  if (sent) view.idem = sent;
  if (Object.keys(view.errors).length === 0) {
    const values = parsed.values;
    try {
      const { location } = submitOnce(req.db, sent, req.session.user.id, req.now, () => {
        publishIncidentUpdate(req.db, incident.id, {
          status: values.status, body: values.body,
          cause: values.cause ? values.cause : undefined,
          // An emptied ETA field means "to be confirmed"; an unchanged one keeps it.
          eta: parsed.eta ?? (values.eta === '' ? null : undefined),
          components: values.components,
          deliverNotifications: values.notify,
        }, contextOf(req));
        return `/noc/incidentes/${incident.id}?aviso=${values.status === 'resolved' ? 'resuelto' : 'actualizado'}`;
      });
      return { redirect: location };
    } catch (err) {
      view.errors = refusal(err);
    }
  }
  return { status: 422, view };
}
