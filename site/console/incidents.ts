// The incident pages of the console: the composer (/noc/incidentes/nuevo: preview, then publish
// exactly what was previewed) and the update form (/noc/incidentes/:id). The commands
// (db/commands/incidents.ts) check and write; this module reads forms and decides.
import { submitOnce } from '#db/commands/consoleForms.ts';
import {
  correctIncidentUpdate,
  createIncident,
  publishIncidentUpdate,
  updateIncident,
  type IncidentPatch,
} from '#db/commands/incidents.ts';
import { discardDraft, publishDraft } from '#db/commands/incidentDrafts.ts';
import type { EmailContent } from '../../api/email/templates.ts';
import { incidentTemplate, type IncidentTemplate } from '#db/domain/incidentTemplates.ts';
import { isFault } from '#db/domain/rollup.ts';
import { draftIncidentStart } from '#db/domain/alerts.ts';
import { impactForStatuses } from '#db/domain/criticality.ts';
import { audienceFor } from '#db/notifications/audience.ts';
import { CHANNELS } from '#db/subscriptions/channels.ts';
import {
  alertList,
  componentCatalogue,
  componentHolders,
  draftDetail,
  incidentDetail,
  type AlertView,
  type Catalogue,
  type ComponentHolder,
  type ComponentView,
  type DraftView,
  type IncidentView,
} from '#db/queries/index.ts';
import type { Db } from '#db/client.ts';
import { contextOf, field, formToken, refusal, type ConsoleRequest, type Redirect, unsavedStatus } from './action.ts';
import {
  draftFormValues,
  draftTemplateOffer,
  draftTemplateWords,
  monitoringProposal,
  type MonitoringProposal,
} from './drafts.ts';
import {
  elementsOf,
  previewFingerprint,
  previewIncident,
  previewIncidentEmail,
  readIncidentForm,
  updateComponentChanges,
  type IncidentFormValues,
} from './incidentForm.ts';
import { unknownElementMessage } from '#db/commands/services.ts';
import { unknownElementsOf } from '#db/queries/index.ts';

/** An element no service traverses, shown next to the field before the preview (the command refuses it too). */
function checkElements(db: Db, values: IncidentFormValues, errors: Record<string, string>): void {
  if (errors.elementos) return;
  const [unknown] = unknownElementsOf(db, elementsOf(values));
  if (unknown) errors.elementos = unknownElementMessage(unknown.element);
}

/** A refusal's field errors as the incident forms name their fields. */
const incidentFormField = (path: string) => (path.startsWith('elements') ? 'elementos' : path);
import { toLocalDateTimeValue } from './localDateTime.ts';
import { randomToken } from './session.ts';
import { affectedReach, type AffectedReach } from './affectedServices.ts';

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
  /** Who will be notified, per channel (db/notifications/audience.ts). */
  audience: ReturnType<typeof audienceFor>;
  /** Paid messages (SMS + WhatsApp) this publication sends, when above NOTIFY_CONFIRM_ABOVE: one more confirmation. */
  paidConfirmation?: { paid: number; threshold: number; missing: boolean };
  /** Customer services the preview's components reach (./affectedServices.ts). */
  reach?: AffectedReach;
  email?: EmailContent;
  /** The draft an alert opened (`?borrador=`): its fields fill the form, "Publicar" publishes it. */
  draft?: DraftView;
  /** The draft's own form (discard with a reason). */
  discard?: { idem: string; reason: string; error?: string };
  /**
   * A template the draft's alerts suggest by their words, offered (one click applies it) and
   * never applied by itself: a guess must not put a cause in front of customers.
   */
  offer?: IncidentTemplate;
}

/** The form's button that applies the offered template (its value is the template's id). */
export const APPLY_TEMPLATE_FIELD = 'aplicar_plantilla';

/**
 * SMS and WhatsApp cost money per message: above `threshold` (NOTIFY_CONFIRM_ABOVE, default 500)
 * publishing asks for one more confirmation. Null when no confirmation is needed.
 */
export function paidMessages(
  db: ConsoleRequest['db'],
  values: IncidentFormValues,
  threshold = 500,
): { paid: number; threshold: number } | null {
  if (!values.notify) return null;
  const paid = audienceFor(db, { componentIds: Object.keys(values.components), elements: elementsOf(values) })
    .filter((a) => CHANNELS[a.channel].paid)
    .reduce((sum, a) => sum + a.count, 0);
  return paid > threshold ? { paid, threshold } : null;
}

/** The composer's starting values, from a template (`?plantilla=`) or empty (a total outage by default). */
export function composerDefaults(template: IncidentTemplate | undefined): IncidentFormValues {
  const componentStatus = template?.componentStatus ?? 'major_outage';
  return {
    name: template?.name ?? '',
    // The criticality the components' status means (manual 1.3), like every default.
    impact: impactForStatuses([componentStatus]),
    status: template?.status ?? 'investigating',
    body: template?.body ?? '',
    cause: template?.cause ?? '',
    eta: '',
    componentStatus,
    components: {},
    elements: '',
    notify: true,
  };
}

export function incidentComposerPage(
  req: ConsoleRequest,
  options: { template: string | null; publicUrl: string; draft?: string | null; confirmAbove?: number },
  form?: FormData,
): Redirect | { status: number; view: ComposerView } {
  const catalogue = componentCatalogue(req.db);
  const template = incidentTemplate(options.template);
  const view: ComposerView = {
    catalogue,
    template,
    values: composerDefaults(template),
    errors: {},
    idem: randomToken(),
    audience: [],
  };
  let eta: Date | null = null;
  let refused: unknown;
  const draft = options.draft ? draftDetail(req.db, options.draft, catalogue) : null;
  if (options.draft && (!draft || draft.state !== 'open')) {
    view.errors.form = !draft
      ? 'Ese borrador no existe.'
      : draft.state === 'published'
        ? 'Este borrador ya se publicó como incidente.'
        : `Este borrador se descartó: ${draft.discardReason ?? ''}`;
    if (draft?.incidentId) return { redirect: `/noc/incidentes/${draft.incidentId}` };
    return { status: 404, view };
  }
  if (draft) {
    view.draft = draft;
    view.discard = { idem: randomToken(), reason: '' };
    view.values = draftFormValues(draft);
    view.offer = draftTemplateOffer(draft);
    // Everything is filled: the preview is shown at once, and "Publicar" is one click.
    if (!form) view.fingerprint = previewFingerprint(view.values);
  }
  const applying = form && draft ? incidentTemplate(field(form, APPLY_TEMPLATE_FIELD)) : undefined;
  if (form && draft && applying) {
    // The NOC chose the offered template: its words replace title, status, cause and message;
    // components, criticality, ETA and the rest stay as the form has them. Shown as a preview.
    for (const [key, value] of Object.entries(draftTemplateWords(draft, applying))) form.set(key, value);
    form.set('accion', 'vista-previa');
  }
  if (form && draft && form.get('accion') === 'descartar') {
    const reason = field(form, 'motivo');
    view.discard = { idem: formToken(form) || view.discard!.idem, reason };
    try {
      const { location } = submitOnce(req.db, formToken(form), req.session.user.id, req.now, () => {
        discardDraft(req.db, draft.id, { reason }, contextOf(req));
        return '/noc?aviso=descartado';
      });
      return { redirect: location };
    } catch (err) {
      refused = err;
      const errors = refusal(err);
      view.discard.error = errors.reason ?? errors.form;
      view.fingerprint = previewFingerprint(view.values);
      form = undefined;
    }
  }
  if (form) {
    const parsed = readIncidentForm(form, catalogue, req.now, { requireName: true });
    view.values = parsed.values;
    view.errors = parsed.errors;
    checkElements(req.db, view.values, view.errors);
    eta = parsed.eta;
    const sent = formToken(form);
    if (sent) view.idem = sent;
    if (view.values.status === 'resolved')
      view.errors.status = 'Un incidente nuevo no puede publicarse ya resuelto desde la consola.';
    const current = previewFingerprint(view.values);
    if (Object.keys(view.errors).length === 0) {
      const paid = paidMessages(req.db, view.values, options.confirmAbove);
      const costConfirmed = !paid || form.get('confirmar_costo') === current;
      if (form.get('accion') === 'publicar' && form.get('vista') === current && !costConfirmed) {
        view.paidConfirmation = { ...paid, missing: true };
        view.notice = `Este aviso enviará ${paid.paid.toLocaleString('es-MX')} mensajes con costo (SMS y WhatsApp), más de ${paid.threshold.toLocaleString('es-MX')}: marque «Confirmo el envío» y publique de nuevo.`;
      } else if (form.get('accion') === 'publicar' && form.get('vista') === current) {
        const values = view.values;
        try {
          const { location } = submitOnce(req.db, sent, req.session.user.id, req.now, () => {
            const input = {
              name: values.name,
              impact: values.impact,
              status: values.status,
              body: values.body,
              cause: values.cause || null,
              eta,
              components: values.components,
              deliverNotifications: values.notify,
              ...(elementsOf(values).length ? { elements: elementsOf(values) } : {}),
            };
            // A draft becomes its incident in the same transaction (it starts when its first alert did).
            const incident = draft
              ? publishDraft(req.db, draft.id, input, contextOf(req))
              : createIncident(req.db, input, contextOf(req));
            return `/noc/incidentes/${incident.id}?aviso=publicado`;
          });
          return { redirect: location };
        } catch (err) {
          refused = err;
          view.errors = refusal(err, incidentFormField);
          if (Object.keys(view.errors).some((k) => k.startsWith('components.')))
            view.errors.components = 'Revise los componentes elegidos.';
        }
      } else {
        view.fingerprint = current;
        if (form.get('accion') === 'publicar')
          view.notice = 'El contenido cambió después de la vista previa. Revíselo y confirme de nuevo.';
        if (applying)
          view.notice = `Se aplicó la plantilla «${applying.label}»: revise el título, el estado, la causa y el mensaje antes de publicar.`;
      }
    }
  }
  // Once its cause is in the form, the offered template is applied: no need to offer it again.
  if (view.offer && view.values.cause === view.offer.cause) view.offer = undefined;
  if (view.fingerprint) {
    // A draft's incident starts when its first alert did (publishDraft): the preview says so.
    view.preview = previewIncident(view.values, eta, catalogue, req.now, {
      startedAt: draft ? draftIncidentStart(draft, req.now) : undefined,
    });
    view.audience = view.values.notify
      ? audienceFor(req.db, { componentIds: Object.keys(view.values.components), elements: elementsOf(view.values) })
      : [];
    const paid = paidMessages(req.db, view.values, options.confirmAbove);
    if (paid && !view.paidConfirmation) view.paidConfirmation = { ...paid, missing: false };
    view.reach = affectedReach(req.db, {
      componentIds: Object.keys(view.values.components),
      elements: elementsOf(view.values),
    });
    if (view.values.notify) view.email = previewIncidentEmail(view.values, eta, catalogue, req.now, options.publicUrl);
  }
  return { status: refused || Object.keys(view.errors).length ? unsavedStatus(refused) : 200, view };
}

export interface IncidentUpdateView {
  incident: IncidentView;
  catalogue: Catalogue;
  values: IncidentFormValues;
  errors: Record<string, string>;
  idem: string;
  /** Every alert of the incident resolved: the form comes prefilled with "En monitoreo" (nothing is posted by itself). */
  proposal?: MonitoringProposal;
  /** Alerts linked to the incident (through its draft, or fired while it was open). */
  alerts: AlertView[];
  /** The correction forms (title and criticality; one update's text), as sent after a refusal. */
  correction: {
    name: string;
    impact: string;
    idem: string;
    errors: Record<string, string>;
    updateId?: string;
    updateBody?: string;
    updateErrors?: Record<string, string>;
  };
  /** Its components not operational, offered to return with «En monitoreo» or «Resuelto». */
  restorable: Array<{ component: ComponentView; heldBy: ComponentHolder[] }>;
}

/**
 * The incident's components that are not operational (nor under maintenance), with what else
 * holds each: the update form offers to return them to operational.
 */
export function restorableComponents(db: Db, incident: IncidentView): IncidentUpdateView['restorable'] {
  const holders = componentHolders(db);
  return incident.components
    .filter((c) => isFault(c.status))
    .map((c) => ({
      component: c,
      heldBy: (holders.get(c.id) ?? []).filter((h) => !(h.kind === 'incident' && h.id === incident.id)),
    }));
}

/**
 * The update form's values for an incident as it stands: its status, cause and ETA, a new
 * message; no component changes ("Sin cambio"), and the return to operational prefilled for
 * components nothing else holds.
 */
export function updateDefaults(
  incident: IncidentView,
  restorable: IncidentUpdateView['restorable'] = [],
): IncidentFormValues {
  return {
    name: incident.name,
    impact: incident.impact,
    status: incident.status,
    body: '',
    cause: incident.cause ?? '',
    eta: toLocalDateTimeValue(incident.eta),
    componentStatus: null,
    components: {},
    elements: '',
    notify: true,
    restore: restorable.filter((r) => r.heldBy.length === 0).map((r) => r.component.id),
  };
}

/** /noc/incidentes/:id: one update (status, message, cause, ETA, components) or a resolution. Null view: no such incident. */
export function incidentUpdatePage(
  req: ConsoleRequest,
  id: string,
  form?: FormData,
): Redirect | { status: number; view: IncidentUpdateView | null } {
  const incident = incidentDetail(req.db, id);
  if (!incident) return { status: 404, view: null };
  const catalogue = componentCatalogue(req.db);
  const restorable = restorableComponents(req.db, incident);
  const view: IncidentUpdateView = {
    incident,
    catalogue,
    values: updateDefaults(incident, restorable),
    errors: {},
    idem: randomToken(),
    alerts: alertList(req.db, { incidentId: incident.id }, catalogue),
    restorable,
    correction: { name: incident.name, impact: incident.impact, idem: randomToken(), errors: {} },
  };
  const action = form?.get('accion');
  if (form && (action === 'corregir' || action === 'corregir-texto')) return correctionOutcome(req, view, form, action);
  const proposal = monitoringProposal(req.db, incident, catalogue);
  if (proposal) view.proposal = proposal;
  if (!form) {
    if (proposal) view.values = { ...proposal.values, restore: view.values.restore };
    return { status: 200, view };
  }
  const parsed = readIncidentForm(form, catalogue, req.now, {
    requireName: false,
    currentEta: incident.eta,
    restorable: restorable.map((r) => r.component.id),
  });
  view.values = parsed.values;
  view.errors = parsed.errors;
  checkElements(req.db, view.values, view.errors);
  const sent = formToken(form);
  if (sent) view.idem = sent;
  let refused: unknown;
  if (Object.keys(view.errors).length === 0) {
    const values = parsed.values;
    try {
      const { location } = submitOnce(req.db, sent, req.session.user.id, req.now, () => {
        publishIncidentUpdate(
          req.db,
          incident.id,
          {
            status: values.status,
            body: values.body,
            cause: values.cause ? values.cause : undefined,
            // An emptied ETA field means "to be confirmed"; an unchanged one keeps it.
            eta: parsed.eta ?? (values.eta === '' ? null : undefined),
            components: updateComponentChanges(
              values,
              catalogue,
              restorable.map((r) => r.component.id),
            ),
            deliverNotifications: values.notify,
            ...(elementsOf(values).length ? { elements: elementsOf(values) } : {}),
          },
          contextOf(req),
        );
        return `/noc/incidentes/${incident.id}?aviso=${values.status === 'resolved' ? 'resuelto' : 'actualizado'}`;
      });
      return { redirect: location };
    } catch (err) {
      refused = err;
      view.errors = refusal(err, incidentFormField);
    }
  }
  return { status: unsavedStatus(refused), view };
}

/**
 * The console's corrections, audited by the same commands as the API's PATCH: the incident's
 * title and criticality (updateIncident), or one update's text (correctIncidentUpdate).
 * Nothing is sent to subscribers again.
 */
function correctionOutcome(
  req: ConsoleRequest,
  view: IncidentUpdateView,
  form: FormData,
  action: 'corregir' | 'corregir-texto',
): Redirect | { status: number; view: IncidentUpdateView } {
  const { incident } = view;
  const sent = formToken(form);
  try {
    if (action === 'corregir') {
      view.correction = {
        ...view.correction,
        name: field(form, 'name'),
        impact: field(form, 'impact'),
        idem: sent || view.correction.idem,
      };
      const { location } = submitOnce(req.db, sent, req.session.user.id, req.now, () => {
        const patch = { name: view.correction.name, impact: view.correction.impact } as IncidentPatch;
        updateIncident(req.db, incident.id, patch, contextOf(req));
        return `/noc/incidentes/${incident.id}?aviso=corregido`;
      });
      return { redirect: location };
    }
    const updateId = field(form, 'actualizacion');
    view.correction = {
      ...view.correction,
      updateId,
      updateBody: field(form, 'texto'),
      idem: sent || view.correction.idem,
    };
    const { location } = submitOnce(req.db, sent, req.session.user.id, req.now, () => {
      correctIncidentUpdate(req.db, incident.id, updateId, { body: view.correction.updateBody! }, contextOf(req));
      return `/noc/incidentes/${incident.id}?aviso=texto-corregido#actualizacion-${updateId}`;
    });
    return { redirect: location };
  } catch (err) {
    const errors = refusal(err);
    if (action === 'corregir') view.correction.errors = errors;
    else
      view.correction.updateErrors = {
        body: errors.body ?? errors.form ?? Object.values(errors)[0] ?? 'No se pudo corregir.',
      };
    return { status: unsavedStatus(err), view };
  }
}
