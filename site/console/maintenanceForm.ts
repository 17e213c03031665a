// Reads the console's maintenance forms into the inputs of db/commands/maintenances.ts, with
// Spanish errors by field. Limits, required fields and their messages are the command's schemas
// (checked here with checkInput, so every problem shows at once); policy (72 h notice, window
// length) is the command's too, through the pure functions of db/domain/maintenance.ts. This
// module only reads the form: datetime-local into instants, checkboxes into component ids.
import { createMaintenanceInput, maintenancePatchInput } from '#db/commands/maintenances.ts';
import { checkInput, publicName } from '#db/commands/input.ts';
import { LOCKED_ONCE_STARTED } from '#db/domain/maintenance.ts';
import { maintenanceImpactKinds, type MaintenanceImpactKind } from '#db/enums.ts';
import type { Catalogue } from '#db/queries/index.ts';
import { parseLocalDateTime } from './localDateTime.ts';

export interface MaintenanceFormValues {
  name: string;
  body: string;
  /** datetime-local values (America/Mexico_City). */
  scheduledFor: string;
  scheduledUntil: string;
  /** Picked component ids, catalogue order. */
  components: string[];
  impactKind: MaintenanceImpactKind;
  autoTransition: boolean;
  emergency: boolean;
  emergencyReason: string;
  rescheduleReason: string;
}

export interface ParsedMaintenanceForm {
  values: MaintenanceFormValues;
  errors: Record<string, string>;
  from: Date | null;
  until: Date | null;
}

export type MaintenanceField =
  | 'name'
  | 'body'
  | 'scheduled_for'
  | 'scheduled_until'
  | 'components'
  | 'impact_kind'
  | 'auto_transition'
  | 'emergency'
  | 'reschedule_reason';

const allFields: readonly MaintenanceField[] = [
  'name',
  'body',
  'scheduled_for',
  'scheduled_until',
  'components',
  'impact_kind',
  'auto_transition',
  'emergency',
  'reschedule_reason',
];
const lockedOnceStarted = new Set(Object.keys(LOCKED_ONCE_STARTED).map(publicName));

/** The fields the edit form offers: once a window began, all but those the command locks (LOCKED_ONCE_STARTED). */
export function editableMaintenanceFields(started: boolean): readonly MaintenanceField[] {
  return started ? allFields.filter((f) => !lockedOnceStarted.has(f)) : allFields;
}

const isImpactKind = (v: unknown): v is MaintenanceImpactKind =>
  typeof v === 'string' && (maintenanceImpactKinds as readonly string[]).includes(v);

/**
 * `componente` (checkbox, repeated) and `zona` (checkbox per area: all its components) pick
 * components. Fields not in `editable` keep their value from `defaults` (a window that already
 * began only lets its end, texts and impact change).
 */
export function readMaintenanceForm(
  form: FormData,
  catalogue: Catalogue,
  defaults: MaintenanceFormValues,
  editable?: readonly MaintenanceField[],
): ParsedMaintenanceForm {
  const can = (f: MaintenanceField) => !editable || editable.includes(f);
  const errors: Record<string, string> = {};
  const text = (key: string) => String(form.get(key) ?? '').trim();
  const values: MaintenanceFormValues = { ...defaults };

  if (can('name')) values.name = text('name');
  if (can('body')) values.body = text('body');
  if (can('scheduled_for')) values.scheduledFor = text('scheduled_for');
  if (can('scheduled_until')) values.scheduledUntil = text('scheduled_until');
  const from = parseLocalDateTime(values.scheduledFor);
  const until = parseLocalDateTime(values.scheduledUntil);
  if (can('scheduled_for') && !from)
    errors.scheduled_for = values.scheduledFor ? 'Fecha y hora no válidas.' : 'Indique la fecha y hora de inicio.';
  if (can('scheduled_until') && !until)
    errors.scheduled_until = values.scheduledUntil ? 'Fecha y hora no válidas.' : 'Indique la fecha y hora de término.';

  if (can('components')) {
    const picked = new Set<string>();
    for (const id of form.getAll('componente')) if (typeof id === 'string' && catalogue.byId.has(id)) picked.add(id);
    for (const groupId of form.getAll('zona'))
      for (const c of catalogue.groups.find((g) => g.id === groupId)?.components ?? []) picked.add(c.id);
    values.components = catalogue.all.filter((c) => picked.has(c.id)).map((c) => c.id);
    const unknown =
      form.getAll('componente').some((id) => typeof id !== 'string' || !catalogue.byId.has(id)) ||
      form.getAll('zona').some((id) => !catalogue.groups.some((g) => g.id === id));
    if (unknown) errors.components = 'Uno de los componentes o zonas elegidos ya no existe; recargue la página.';
  }
  const kind = form.get('impact_kind');
  if (can('impact_kind') && isImpactKind(kind)) values.impactKind = kind;
  if (can('auto_transition')) values.autoTransition = form.get('auto_transition') === '1';
  if (can('emergency')) {
    values.emergency = form.get('emergency') === '1';
    values.emergencyReason = text('emergency_reason');
  }
  if (can('reschedule_reason')) values.rescheduleReason = text('reschedule_reason');

  // What the command would say about these values (limits, required fields, messages).
  const given: Record<string, unknown> = {};
  if (can('name')) given.name = values.name;
  if (can('body')) given.body = values.body;
  if (can('scheduled_for')) given.scheduledFor = from ?? undefined;
  if (can('scheduled_until')) given.scheduledUntil = until ?? undefined;
  if (can('components')) given.components = values.components;
  if (can('impact_kind')) given.impactKind = isImpactKind(kind) ? kind : String(kind ?? '');
  if (can('emergency')) given.emergencyReason = values.emergencyReason || null;
  if (editable && can('reschedule_reason')) given.rescheduleReason = values.rescheduleReason || null;
  for (const problem of checkInput(editable ? maintenancePatchInput : createMaintenanceInput, given)) {
    if (problem.path) errors[formErrorKey(problem.path)] ??= problem.message;
  }
  return { values, errors, from, until };
}

export const emptyMaintenanceForm: MaintenanceFormValues = {
  name: '',
  body: '',
  scheduledFor: '',
  scheduledUntil: '',
  components: [],
  impactKind: 'outage',
  autoTransition: true,
  emergency: false,
  emergencyReason: '',
  rescheduleReason: '',
};

/** Command field paths (`components.3`) to the form's fields. */
export function formErrorKey(path: string): string {
  return path.startsWith('components') ? 'components' : path;
}
