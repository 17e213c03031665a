// Reads the console's incident forms (composer and update) into the inputs of
// db/commands/incidents.ts, with Spanish errors by field. Limits, required fields and their
// messages are the command's schemas (checked here with checkInput, before the preview); this
// module only reads the form: checkboxes into a component map, datetime-local into an instant.
import { createHash } from 'node:crypto';
import { createIncidentInput, incidentUpdateInput } from '#db/commands/incidents.ts';
import { checkInput } from '#db/commands/input.ts';
import {
  componentStatuses,
  componentStatusLabels,
  incidentImpactLabels,
  incidentImpacts,
  incidentStatuses,
  incidentStatusLabels,
  type ComponentStatus,
  type IncidentImpact,
  type IncidentStatus,
} from '#db/enums.ts';
import { impactForStatuses } from '#db/domain/criticality.ts';
import type { Catalogue, IncidentView } from '#db/queries/index.ts';
import { parseLocalDateTime, toLocalDateTimeValue } from './localDateTime.ts';
import { incidentEmail, type EmailContent } from '../../api/email/templates.ts';

export interface IncidentFormValues {
  name: string;
  impact: IncidentImpact;
  status: IncidentStatus;
  body: string;
  cause: string;
  eta: string;
  /**
   * Status applied to every picked component without its own choice (the composer). Null: a
   * picked component keeps its status (the update form's "Sin cambio").
   */
  componentStatus: ComponentStatus | null;
  /** Picked component ids → status. */
  components: Record<string, ComponentStatus>;
  /** Network elements of the service inventory, as typed ("OLT-MET-01, PON-MET-01/2"). */
  elements: string;
  notify: boolean;
  /** The update form's offer: ids ticked to return to operational with «En monitoreo» or «Resuelto». */
  restore?: string[];
  /** The offer was on the form sent (an unticked box then means "keep it"). */
  restoreOffered?: boolean;
}

/** Incident statuses with which the update form offers to return components to operational. */
export const RESTORING_STATUSES: readonly IncidentStatus[] = ['monitoring', 'resolved'];
/** The elements field as a list: separated by commas, semicolons or line breaks (an identifier may hold spaces). */
export function elementsOf(values: Pick<IncidentFormValues, 'elements'>): string[] {
  return values.elements
    .split(/[,;\r\n]+/)
    .map((e) => e.trim())
    .filter(Boolean);
}

export interface ParsedIncidentForm {
  values: IncidentFormValues;
  errors: Record<string, string>;
  eta: Date | null;
}

const isOne = <T extends string>(list: readonly T[], v: unknown): v is T =>
  typeof v === 'string' && (list as readonly string[]).includes(v);

/**
 * `componente` (checkbox, repeated) and `zona` (checkbox per area: all its components) pick
 * components; `estado_<id>` overrides the general `estado_componentes` for one component.
 */
export function readIncidentForm(
  form: FormData,
  catalogue: Catalogue,
  now: Date,
  options: { requireName: boolean; currentEta?: Date | null; restorable?: readonly string[] },
): ParsedIncidentForm {
  const errors: Record<string, string> = {};
  const text = (key: string) => String(form.get(key) ?? '').trim();
  const name = text('name');
  const impact = form.get('impact');
  const status = form.get('status');
  const body = text('body');
  const cause = text('cause');
  const etaText = text('eta');
  let eta: Date | null = null;
  if (etaText && options.currentEta && etaText === toLocalDateTimeValue(options.currentEta)) {
    eta = options.currentEta; // left as it was: no need for it to be in the future
  } else if (etaText) {
    eta = parseLocalDateTime(etaText);
    if (!eta) errors.eta = 'Fecha y hora no válidas.';
    // The console's own guard: the API also takes past ETAs, for incidents recorded afterwards.
    else if (eta.getTime() <= now.getTime() && status !== 'resolved')
      errors.eta = 'El tiempo estimado de restauración debe ser posterior a ahora.';
  }
  const general = form.get('estado_componentes');
  // The composer announces a fault: picked components take its general status (a fault by
  // default). The update form has no general status: ticking a component only adds it.
  const componentStatus: ComponentStatus | null = isOne(componentStatuses, general)
    ? general
    : options.requireName
      ? 'major_outage'
      : null;
  const picked = new Set<string>();
  for (const id of form.getAll('componente')) if (typeof id === 'string' && catalogue.byId.has(id)) picked.add(id);
  for (const groupId of form.getAll('zona')) {
    const group = catalogue.groups.find((g) => g.id === groupId);
    for (const c of group?.components ?? []) picked.add(c.id);
  }
  const unknown = form.getAll('componente').filter((id) => typeof id !== 'string' || !catalogue.byId.has(id));
  if (unknown.length) errors.components = 'Uno de los componentes elegidos ya no existe; recargue la página.';
  const components: Record<string, ComponentStatus> = {};
  for (const c of catalogue.all) {
    const own = form.get(`estado_${c.id}`);
    if (isOne(componentStatuses, own)) components[c.id] = own;
    else if (picked.has(c.id)) components[c.id] = componentStatus ?? c.status;
  }
  const restore = form
    .getAll('restablecer')
    .filter((id): id is string => typeof id === 'string' && (options.restorable ?? []).includes(id));
  const notify = form.get('notificar') === '1';
  const elements = text('elementos');
  const elementList = elementsOf({ elements });
  const given = {
    status: status ?? '',
    body,
    cause,
    eta,
    components,
    deliverNotifications: notify,
    ...(elementList.length ? { elements: elementList } : {}),
    ...(options.requireName ? { name, impact: impact ?? '' } : {}),
  };
  for (const problem of checkInput(options.requireName ? createIncidentInput : incidentUpdateInput, given)) {
    errors[
      problem.path.startsWith('components')
        ? 'components'
        : problem.path.startsWith('elements')
          ? 'elementos'
          : problem.path
    ] ??= problem.message;
  }
  return {
    values: {
      name,
      impact: isOne(incidentImpacts, impact)
        ? impact
        : impactForStatuses([...(componentStatus ? [componentStatus] : []), ...Object.values(components)]),
      status: isOne(incidentStatuses, status) ? status : 'investigating',
      body,
      cause,
      eta: etaText,
      componentStatus,
      components,
      elements,
      notify,
      ...(options.restorable ? { restore, restoreOffered: form.get('oferta') === '1' } : {}),
    },
    errors,
    eta,
  };
}

/**
 * The component changes an update posts: the picker's own choices, plus the offer of the update
 * form. With «En monitoreo» or «Resuelto» the offered components ticked go back to operational;
 * on a resolution an unticked one is kept as it is (the command would otherwise return it too),
 * if the form sent showed the offer at all: a post without it resolves as the API does.
 */
export function updateComponentChanges(
  values: IncidentFormValues,
  catalogue: Catalogue,
  restorable: readonly string[],
): Record<string, ComponentStatus> {
  const changes: Record<string, ComponentStatus> = {};
  if (RESTORING_STATUSES.includes(values.status)) {
    for (const id of restorable) {
      const c = catalogue.byId.get(id);
      if (!c) continue;
      if (values.restore?.includes(id)) changes[id] = 'operational';
      else if (values.status === 'resolved' && values.restoreOffered) changes[id] = c.status;
    }
  }
  return { ...changes, ...values.components };
}

/** A fingerprint of what was previewed; publishing requires the same content. */
export function previewFingerprint(values: IncidentFormValues): string {
  const sorted = Object.entries(values.components).sort(([a], [b]) => a.localeCompare(b));
  // A textarea sends its line breaks as CRLF (HTML's form encoding): a body written with LF (a
  // draft an alert opened) is the same text.
  const body = values.body.replace(/\r\n?/g, '\n');
  const elements = elementsOf(values)
    .map((e) => e.toUpperCase())
    .sort();
  return createHash('sha256')
    .update(
      JSON.stringify([
        values.name,
        values.impact,
        values.status,
        body,
        values.cause,
        values.eta,
        sorted,
        elements,
        values.notify,
      ]),
    )
    .digest('base64url');
}

/** The incident as the public page will show it once published, for IncidentSummary. */
export function previewIncident(
  values: IncidentFormValues,
  eta: Date | null,
  catalogue: Catalogue,
  now: Date,
  options: { base?: IncidentView; startedAt?: Date } = {},
): IncidentView {
  const { base } = options;
  const ids = new Set([...(base?.components.map((c) => c.id) ?? []), ...Object.keys(values.components)]);
  const components = catalogue.all
    .filter((c) => ids.has(c.id))
    .map((c) => {
      const status = values.components[c.id] ?? c.status;
      return { ...c, status, statusLabel: componentStatusLabels[status] };
    });
  const resolved = values.status === 'resolved';
  return {
    id: base?.id ?? 'vista-previa',
    name: base?.name ?? values.name,
    status: values.status,
    statusLabel: incidentStatusLabels[values.status],
    impact: base?.impact ?? values.impact,
    impactLabel: incidentImpactLabels[base?.impact ?? values.impact],
    cause: values.cause || (base?.cause ?? null),
    eta: eta ?? base?.eta ?? null,
    startedAt: base?.startedAt ?? options.startedAt ?? now,
    monitoringAt: base?.monitoringAt ?? null,
    resolvedAt: resolved ? (base?.resolvedAt ?? now) : null,
    createdAt: base?.createdAt ?? now,
    updatedAt: now,
    components,
    updates: [
      {
        id: 'vista-previa',
        incidentId: base?.id ?? 'vista-previa',
        status: values.status,
        statusLabel: incidentStatusLabels[values.status],
        body: values.body,
        cause: values.cause || null,
        eta,
        deliverNotifications: values.notify,
        createdAt: now,
        displayAt: now,
        transitions: [],
      },
      ...(base?.updates ?? []),
    ],
    durationMs: resolved ? 0 : null,
  };
}

/**
 * The email subscribers will receive when this incident is published, rendered by the template
 * the email worker uses (api/email/templates.ts) with the same facts db/notifications/subscribers.ts
 * stores. Only the preferences and unsubscribe links differ: each recipient gets their own.
 */
export function previewIncidentEmail(
  values: IncidentFormValues,
  eta: Date | null,
  catalogue: Catalogue,
  now: Date,
  publicUrl: string,
): EmailContent {
  const personal = 'TOKEN-PERSONAL-DE-CADA-DESTINATARIO';
  return incidentEmail({
    event: 'incident.created',
    name: values.name,
    status: values.status,
    statusLabel: incidentStatusLabels[values.status],
    impactLabel: incidentImpactLabels[values.impact],
    areas: catalogue.all.filter((c) => values.components[c.id] !== undefined).map((c) => c.fullName),
    body: values.body,
    cause: values.cause || null,
    eta,
    at: now,
    incidentUrl: `${publicUrl}/incidentes/ID-DEL-INCIDENTE`,
    links: {
      manageUrl: `${publicUrl}/suscripcion/preferencias?token=${personal}`,
      unsubscribeUrl: `${publicUrl}/suscripcion/baja?token=${personal}`,
    },
  });
}
