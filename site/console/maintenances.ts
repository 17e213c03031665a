// The maintenance scheduler's pages (/noc/mantenimientos/nuevo and /noc/mantenimientos/:id):
// which command each form calls, with what, and what the page shows next. The commands
// (db/commands/maintenances.ts) enforce the manual's rules; this module reads forms and decides.
import { submitOnce } from '#db/commands/consoleForms.ts';
import {
  allowedNext,
  cancelMaintenance,
  cancelMaintenanceInput,
  createMaintenance,
  maintenanceClosed,
  maintenanceUpdateInput,
  postMaintenanceUpdate,
  updateMaintenance,
  type MaintenancePatch,
} from '#db/commands/maintenances.ts';
import { checkInput } from '#db/commands/input.ts';
import { maintenanceStatusLabels, type MaintenanceStatus } from '#db/enums.ts';
import { componentCatalogue, maintenanceDetail, type Catalogue, type MaintenanceView } from '#db/queries/index.ts';
import { contextOf, field, formToken, refusal, type ConsoleRequest, type Redirect, unsavedStatus } from './action.ts';
import { toLocalDateTimeValue } from './localDateTime.ts';
import { windowHints, type WindowHints } from './maintenanceChecks.ts';
import {
  editableMaintenanceFields,
  emptyMaintenanceForm,
  formErrorKey,
  readMaintenanceForm,
  type MaintenanceField,
  type MaintenanceFormValues,
} from './maintenanceForm.ts';
import { randomToken } from './session.ts';
import { affectedReach, type AffectedReach } from './affectedServices.ts';
import { audienceFor, type AudienceCount } from '#db/notifications/audience.ts';

export interface MaintenancePolicyOptions {
  /** MAINTENANCE_MAX_HOURS. */
  maxHours: number;
}

export interface NewMaintenanceView {
  catalogue: Catalogue;
  values: MaintenanceFormValues;
  errors: Record<string, string>;
  /** The one-use token the rendered form carries. */
  idem: string;
  /** «Comprobar ventana»: the hints only, nothing written. */
  checked: boolean;
  hints: WindowHints;
  /** Customer services the chosen components reach, and the contacts who will be told, before publishing. */
  reach?: AffectedReach;
  /** Who the announcement will reach, per channel. */
  audience?: AudienceCount[];
}

/** /noc/mantenimientos/nuevo: the empty form, a check of the window, or publication. */
export function newMaintenancePage(
  req: ConsoleRequest,
  policy: MaintenancePolicyOptions,
  form?: FormData,
): Redirect | { status: number; view: NewMaintenanceView } {
  const catalogue = componentCatalogue(req.db);
  let values: MaintenanceFormValues = { ...emptyMaintenanceForm };
  let errors: Record<string, string> = {};
  let idem = randomToken();
  let checked = false;
  let refused: unknown;
  if (form) {
    const parsed = readMaintenanceForm(form, catalogue, emptyMaintenanceForm);
    values = parsed.values;
    errors = parsed.errors;
    const sent = formToken(form);
    if (sent) idem = sent;
    if (form.get('accion') === 'comprobar') {
      checked = true; // the no-JavaScript way to see the hints: nothing is written
    } else if (Object.keys(errors).length === 0) {
      try {
        const { location } = submitOnce(req.db, sent, req.session.user.id, req.now, () => {
          const { maintenance } = createMaintenance(
            req.db,
            {
              name: values.name,
              body: values.body,
              scheduledFor: parsed.from!,
              scheduledUntil: parsed.until!,
              components: values.components,
              impactKind: values.impactKind,
              autoTransition: values.autoTransition,
              emergency: values.emergency,
              emergencyReason: values.emergency ? values.emergencyReason : null,
            },
            contextOf(req),
            { maxWindowHours: policy.maxHours },
          );
          return `/noc/mantenimientos/${maintenance.id}?aviso=programado`;
        });
        return { redirect: location };
      } catch (err) {
        refused = err;
        errors = refusal(err, formErrorKey);
      }
    }
  }
  const hints = windowHints({
    now: req.now,
    from: values.scheduledFor,
    until: values.scheduledUntil,
    emergency: values.emergency,
    maxHours: policy.maxHours,
  });
  const reach = values.components.length > 0 ? affectedReach(req.db, { componentIds: values.components }) : undefined;
  // Who the announcement will reach, per channel («1,240 correos, 312 WhatsApp…»).
  const audience = reach ? audienceFor(req.db, { componentIds: values.components }) : undefined;
  return {
    status: Object.keys(errors).length && !checked ? unsavedStatus(refused) : 200,
    view: { catalogue, values, errors, idem, checked, hints, ...(reach ? { reach, audience } : {}) },
  };
}

/** The edit form's values for a window as it stands. */
export function formValuesOf(m: MaintenanceView): MaintenanceFormValues {
  return {
    name: m.name,
    body: m.body,
    scheduledFor: toLocalDateTimeValue(m.scheduledFor),
    scheduledUntil: toLocalDateTimeValue(m.scheduledUntil),
    components: m.components.map((c) => c.id),
    impactKind: m.impactKind,
    autoTransition: m.autoTransition,
    emergency: m.emergency,
    emergencyReason: m.emergencyReason ?? '',
    rescheduleReason: '',
  };
}

/**
 * Only what changed goes to the command: an unchanged start or component list of a window in
 * progress must not count as an attempt to change it. A reschedule reason goes with a new time.
 */
export function maintenancePatch(
  m: MaintenanceView,
  values: MaintenanceFormValues,
  from: Date,
  until: Date,
): MaintenancePatch {
  const current = formValuesOf(m);
  const patch: MaintenancePatch = {};
  if (values.name !== current.name) patch.name = values.name;
  if (values.body !== current.body) patch.body = values.body;
  if (from.getTime() !== m.scheduledFor.getTime()) patch.scheduledFor = from;
  if (until.getTime() !== m.scheduledUntil.getTime()) patch.scheduledUntil = until;
  if (values.components.join() !== current.components.join()) patch.components = values.components;
  if (values.impactKind !== current.impactKind) patch.impactKind = values.impactKind;
  if (values.autoTransition !== current.autoTransition) patch.autoTransition = values.autoTransition;
  if (values.emergency !== current.emergency) patch.emergency = values.emergency;
  if (values.emergency && values.emergencyReason !== current.emergencyReason)
    patch.emergencyReason = values.emergencyReason;
  if (patch.scheduledFor || patch.scheduledUntil) patch.rescheduleReason = values.rescheduleReason || null;
  return patch;
}

/** Statuses the update form offers: exactly what the command allows, the current one (a note) first. */
export function updateChoices(status: MaintenanceStatus): MaintenanceStatus[] {
  return [...allowedNext[status]].sort((a, b) => Number(b === status) - Number(a === status));
}

export interface MaintenanceDetailView {
  maintenance: MaintenanceView;
  catalogue: Catalogue;
  /** Not completed nor cancelled: the forms are shown. */
  open: boolean;
  started: boolean;
  editable: readonly MaintenanceField[];
  choices: MaintenanceStatus[];
  values: MaintenanceFormValues;
  editErrors: Record<string, string>;
  updateErrors: Record<string, string>;
  cancelErrors: Record<string, string>;
  update: { status: MaintenanceStatus; body: string };
  cancelBody: string;
  idem: { editar: string; actualizar: string; cancelar: string };
  /** For a closed window: why a late form was refused. */
  closedError?: string;
  hints: WindowHints;
}

/**
 * /noc/mantenimientos/:id: the summary and its three forms (update, edit or reschedule, cancel).
 * Null when there is no such maintenance.
 */
export function maintenanceDetailPage(
  req: ConsoleRequest,
  id: string,
  policy: MaintenancePolicyOptions,
  form?: FormData,
): Redirect | { status: number; view: MaintenanceDetailView | null } {
  const catalogue = componentCatalogue(req.db);
  const m = maintenanceDetail(req.db, id, catalogue);
  if (!m) return { status: 404, view: null };
  const open = m.status !== 'completed' && m.status !== 'cancelled';
  const started = m.status !== 'scheduled';
  const editable = editableMaintenanceFields(started);
  const choices = updateChoices(m.status);
  const view: MaintenanceDetailView = {
    maintenance: m,
    catalogue,
    open,
    started,
    editable,
    choices,
    values: formValuesOf(m),
    editErrors: {},
    updateErrors: {},
    cancelErrors: {},
    update: { status: choices[0] ?? 'scheduled', body: '' },
    cancelBody: '',
    idem: { editar: randomToken(), actualizar: randomToken(), cancelar: randomToken() },
    hints: { notice: null, window: null },
  };
  const finish = (status: number) => {
    view.closedError = view.editErrors.form ?? view.updateErrors.form ?? view.cancelErrors.form;
    view.hints = windowHints({
      now: req.now,
      from: view.values.scheduledFor,
      until: view.values.scheduledUntil,
      emergency: view.values.emergency,
      maxHours: policy.maxHours,
      previousFor: m.scheduledFor,
      started,
    });
    return { status, view };
  };
  if (!form) return finish(200);

  const token = formToken(form);
  let refused: unknown;
  const send = (run: () => string): Redirect => {
    try {
      return { redirect: submitOnce(req.db, token, req.session.user.id, req.now, run).location };
    } catch (err) {
      refused = err;
      throw err;
    }
  };
  const action = form.get('accion');
  // Closed windows still take POSTs: a resent form finds its first result (submitOnce), and
  // anything new gets the command's "ya está cancelado" answer.
  if (!open) {
    try {
      return send(() => {
        throw maintenanceClosed(m.status);
      });
    } catch (err) {
      view.editErrors = refusal(err);
    }
  } else if (action === 'editar') {
    view.idem.editar = token || view.idem.editar;
    const parsed = readMaintenanceForm(form, catalogue, view.values, editable);
    view.values = parsed.values;
    view.editErrors = parsed.errors;
    if (Object.keys(view.editErrors).length === 0) {
      const patch = maintenancePatch(m, parsed.values, parsed.from!, parsed.until!);
      if (Object.keys(patch).length === 0) {
        view.editErrors = { form: 'No cambió nada: no se guardó ninguna modificación.' };
      } else {
        try {
          return send(() => {
            updateMaintenance(req.db, m.id, patch, contextOf(req), { maxWindowHours: policy.maxHours });
            return `/noc/mantenimientos/${m.id}?aviso=${patch.scheduledFor || patch.scheduledUntil ? 'reprogramado' : 'editado'}`;
          });
        } catch (err) {
          view.editErrors = refusal(err, formErrorKey);
        }
      }
    }
  } else if (action === 'actualizar') {
    view.idem.actualizar = token || view.idem.actualizar;
    view.update = { status: field(form, 'status') as MaintenanceStatus, body: field(form, 'body') };
    if (!choices.includes(view.update.status))
      view.updateErrors.status = `Elija un estado posible: ${choices.map((s) => maintenanceStatusLabels[s]).join(', ')}.`;
    for (const f of checkInput(maintenanceUpdateInput, view.update)) view.updateErrors[f.path] ??= f.message;
    if (Object.keys(view.updateErrors).length === 0) {
      try {
        return send(() => {
          postMaintenanceUpdate(
            req.db,
            m.id,
            { status: view.update.status as Exclude<MaintenanceStatus, 'cancelled'>, body: view.update.body },
            contextOf(req),
          );
          return `/noc/mantenimientos/${m.id}?aviso=actualizado`;
        });
      } catch (err) {
        view.updateErrors = refusal(err);
      }
    }
  } else if (action === 'cancelar') {
    view.idem.cancelar = token || view.idem.cancelar;
    view.cancelBody = field(form, 'body');
    for (const f of checkInput(cancelMaintenanceInput, { body: view.cancelBody }))
      view.cancelErrors[f.path] ??= f.message;
    if (!view.cancelErrors.body && form.get('confirmar') !== '1')
      view.cancelErrors.confirmar = 'Marque la casilla para confirmar la cancelación.';
    if (Object.keys(view.cancelErrors).length === 0) {
      try {
        return send(() => {
          cancelMaintenance(req.db, m.id, { body: view.cancelBody || undefined }, contextOf(req));
          return `/noc/mantenimientos/${m.id}?aviso=cancelado`;
        });
      } catch (err) {
        view.cancelErrors = refusal(err);
      }
    }
  } else {
    view.editErrors = { form: 'Acción desconocida. Vuelva a cargar la página.' };
  }
  return finish(unsavedStatus(refused));
}
