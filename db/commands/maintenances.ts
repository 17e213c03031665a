import { and, desc, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../client.ts';
import {
  maintenanceImpactKinds,
  type ComponentStatus,
  type MaintenanceStatus,
  type MaintenanceUpdateKind,
} from '../enums.ts';
import { newId } from '../ids.ts';
import {
  components,
  componentStatusEvents,
  maintenanceComponents,
  maintenanceElements,
  maintenances,
  maintenanceScheduleChanges,
  maintenanceUpdates,
} from '../schema/index.ts';
import {
  DEFAULT_MAX_WINDOW_HOURS,
  hasEnoughNotice,
  isLowImpactWindow,
  isWindowInProgress,
  latestWindowStart,
  LOCKED_ONCE_STARTED,
  MAX_SCHEDULE_AHEAD_YEARS,
  MIN_NOTICE_MS,
  REMINDER_BEFORE_MS,
  startsInPast,
  windowProblem,
  windowProblemMessage,
  type LockedOnceStarted,
} from '../domain/maintenance.ts';
import { formatDateTime, formatWindow, ZONE_LABEL } from '../domain/time.ts';
import { publish, type NotificationEvent } from '../notifications/index.ts';
import { isFault } from '../domain/rollup.ts';
import { componentCatalogue, expandedComponentIds, resolveRefs } from '../queries/catalog.ts';
import { componentHolders, type ComponentHolder } from '../queries/holders.ts';
import { maintenanceScope, noticeRecipientsFor } from '../queries/services.ts';
import { setComponentStatus } from './catalog.ts';
import { CommandError, notFound, unknownRefs } from './errors.ts';
import {
  bodyText,
  elementList,
  instant,
  LIMITS,
  nameText,
  noteText,
  parseInput,
  publicName,
  refList,
  text,
} from './input.ts';
import { assertKnownElements } from './services.ts';
import { isDatabaseBusy, runCommand, type CommandContext } from './transaction.ts';
import { recordAudit, systemActor } from './audit.ts';

export type MaintenanceRow = typeof maintenances.$inferSelect;

/** Limits that come from configuration rather than the manual. */
export interface MaintenancePolicy {
  maxWindowHours?: number;
}

export interface MaintenanceWarning {
  code: 'low_impact_window';
  message: string;
}

const maintenanceFields = {
  name: nameText('Escriba un título, p. ej. «Cambio de tarjetas en el nodo Metepec».', 'El título'),
  body: bodyText('Escriba qué se hará y qué notarán los clientes.'),
  scheduledFor: instant,
  scheduledUntil: instant,
  /** Component or area ids/slugs; an area stands for all its components. */
  components: refList.min(1, 'Elija al menos una zona o un componente afectado.'),
  /** Network elements of the service inventory the work touches (OLT-MET-01…); their services are affected too. */
  elements: elementList.optional(),
  impactKind: z
    .enum(maintenanceImpactKinds, {
      error: 'Elija la afectación esperada: no_impact, reduced_redundancy, degraded u outage.',
    })
    .optional(),
  autoTransition: z.boolean().optional(),
  emergency: z.boolean().optional(),
  emergencyReason: noteText('El motivo').nullable().optional(),
};

/** A new window (manual 4.2): 72 h of notice unless an emergency with its reason. */
export const createMaintenanceInput = z.strictObject(maintenanceFields);
/** An edit or reschedule; only the fields given change. */
export const maintenancePatchInput = z
  .strictObject({
    ...maintenanceFields,
    rescheduleReason: noteText('El motivo').nullable().optional(),
  })
  .partial()
  .refine((p) => Object.keys(p).length > 0, 'Indique al menos un campo que cambiar.');

export type CreateMaintenanceInput = z.input<typeof createMaintenanceInput>;
export type MaintenancePatch = z.input<typeof maintenancePatchInput>;

export interface MaintenanceResult {
  maintenance: MaintenanceRow;
  warnings: MaintenanceWarning[];
}

function lowImpactWarning(): MaintenanceWarning {
  return {
    code: 'low_impact_window',
    message:
      'La ventana no está dentro del horario de bajo impacto (00:00–04:00, hora del centro de México). Se publica, marcada como fuera de horario de bajo impacto.',
  };
}

/** Component ids for a list of component or area references, in the order given, without repeats. */
function resolveComponentRefs(db: Db, refs: string[]): string[] {
  const { found, unknown } = resolveRefs(componentCatalogue(db), refs, 'components', 'any');
  if (unknown.length > 0) throw unknownRefs(unknown);
  const ids = expandedComponentIds(found);
  if (ids.length === 0)
    throw new CommandError(422, 'validation_failed', 'Indique al menos un componente afectado.', [
      { path: 'components', message: 'Las zonas indicadas no tienen componentes.' },
    ]);
  return ids;
}

/** The rules every window obeys, checked on creation and on every reschedule. */
function checkWindow(from: Date, until: Date, policy: MaintenancePolicy, now: Date): void {
  if (from.getTime() > latestWindowStart(now).getTime())
    throw new CommandError(
      422,
      'window_too_far',
      `Un mantenimiento se programa con hasta ${MAX_SCHEDULE_AHEAD_YEARS} años de anticipación.`,
      [
        {
          path: 'scheduled_for',
          message: `Debe empezar a más tardar el ${formatDateTime(latestWindowStart(now))} (${ZONE_LABEL}).`,
        },
      ],
    );
  const maxHours = policy.maxWindowHours ?? DEFAULT_MAX_WINDOW_HOURS;
  const problem = windowProblem(from, until, maxHours);
  if (problem === 'ends_before_start') {
    throw new CommandError(422, 'invalid_window', windowProblemMessage(problem, maxHours), [
      { path: 'scheduled_until', message: 'Debe ser posterior a scheduled_for.' },
    ]);
  }
  if (problem === 'too_long') {
    throw new CommandError(422, 'window_too_long', windowProblemMessage(problem, maxHours), [
      { path: 'scheduled_until', message: `Máximo ${maxHours} h después del inicio.` },
    ]);
  }
}

/** Manual 4.2: at least 72 h between publication and start, unless it is a declared emergency. */
function checkNotice(now: Date, from: Date, emergency: boolean, reason: string | null | undefined): void {
  if (emergency && !reason?.trim()) {
    throw new CommandError(
      422,
      'emergency_reason_required',
      'Un mantenimiento de emergencia requiere explicar el motivo (emergency_reason).',
      [{ path: 'emergency_reason', message: 'Indique por qué no puede esperar al aviso de 72 horas.' }],
    );
  }
  if (!emergency && !hasEnoughNotice(now, from)) {
    const earliest = new Date(now.getTime() + MIN_NOTICE_MS);
    throw new CommandError(
      422,
      'notice_too_short',
      `El manual del cliente (sección 4.2) exige avisar con al menos 72 horas de anticipación: el inicio más cercano posible es ${formatDateTime(earliest)} (${ZONE_LABEL}). Si no puede esperar, márquelo como emergencia (emergency: true) y explique el motivo en emergency_reason.`,
      [{ path: 'scheduled_for', message: 'Menos de 72 horas de aviso.' }],
    );
  }
  if (startsInPast(now, from)) {
    throw new CommandError(422, 'validation_failed', 'El inicio no puede estar en el pasado.', [
      { path: 'scheduled_for', message: 'Indique una hora futura.' },
    ]);
  }
}

function setElements(db: Db, maintenanceId: string, elements: readonly string[]): void {
  db.delete(maintenanceElements).where(eq(maintenanceElements.maintenanceId, maintenanceId)).run();
  const unique = [...new Set(elements)];
  if (unique.length > 0)
    db.insert(maintenanceElements)
      .values(unique.map((element) => ({ maintenanceId, element })))
      .run();
}

function componentIdsOf(db: Db, maintenanceId: string): string[] {
  return db
    .select({ id: maintenanceComponents.componentId })
    .from(maintenanceComponents)
    .where(eq(maintenanceComponents.maintenanceId, maintenanceId))
    .all()
    .map((r) => r.id);
}

type Scope = { componentIds: string[]; elements: string[] };

/**
 * Tells the window's audience. Call it after the maintenance row is written: every channel reads
 * the window as it now stands. `scope`: whom to tell instead of the current scope's audience (a
 * reschedule that also widened the window goes to those who knew the old one); `previousScope`:
 * tell only those the current scope reaches and that one did not.
 */
function notify(
  db: Db,
  type: Extract<NotificationEvent, { maintenanceId: string }>['type'],
  maintenanceId: string,
  at: Date,
  options: { scope?: Scope; previousScope?: Scope } = {},
): void {
  publish(db, {
    type,
    maintenanceId,
    ...(options.scope ?? maintenanceScope(db, maintenanceId)),
    ...(options.previousScope ? { previousScope: options.previousScope } : {}),
    at,
  });
}

type Transition = { componentId: string; oldStatus: ComponentStatus; newStatus: ComponentStatus };

function addUpdate(
  db: Db,
  maintenanceId: string,
  kind: MaintenanceUpdateKind,
  status: MaintenanceStatus,
  body: string,
  at: Date,
  transitions: Transition[] = [],
): void {
  db.insert(maintenanceUpdates)
    .values({ id: newId(), maintenanceId, kind, status, body, transitions: JSON.stringify(transitions), createdAt: at })
    .run();
}

/** Other windows in progress that hold this component under maintenance themselves (auto_transition). */
function heldByOther(holders: Map<string, ComponentHolder[]>, componentId: string, maintenanceId: string) {
  return (holders.get(componentId) ?? []).filter(
    (h): h is Extract<ComponentHolder, { kind: 'maintenance' }> =>
      h.kind === 'maintenance' && h.id !== maintenanceId && h.autoTransition,
  );
}

/**
 * Puts the components under maintenance, remembering what each showed. A component an
 * incident already shows as degraded or down keeps that status: the worse news wins.
 */
function holdComponents(db: Db, m: MaintenanceRow, at: Date): Transition[] {
  const transitions: Transition[] = [];
  const holders = componentHolders(db);
  for (const componentId of componentIdsOf(db, m.id)) {
    const current = db.select().from(components).where(eq(components.id, componentId)).get()!;
    if (isFault(current.status)) continue;
    let previous: ComponentStatus = current.status;
    if (current.status === 'under_maintenance') {
      // Already held by an overlapping maintenance: inherit what it will restore.
      previous = heldByOther(holders, componentId, m.id).find((h) => h.previousStatus)?.previousStatus ?? 'operational';
    } else {
      setComponentStatus(db, current, 'under_maintenance', at, { kind: 'maintenance', id: m.id });
      transitions.push({ componentId, oldStatus: current.status, newStatus: 'under_maintenance' });
    }
    db.update(maintenanceComponents)
      .set({ previousStatus: previous })
      .where(and(eq(maintenanceComponents.maintenanceId, m.id), eq(maintenanceComponents.componentId, componentId)))
      .run();
  }
  return transitions;
}

/**
 * Returns held components to what they showed before, unless something else changed them
 * meanwhile (an incident, a manual change) or another maintenance still holds them.
 */
function releaseComponents(db: Db, m: MaintenanceRow, at: Date): Transition[] {
  const transitions: Transition[] = [];
  const held = db.select().from(maintenanceComponents).where(eq(maintenanceComponents.maintenanceId, m.id)).all();
  const holders = componentHolders(db);
  for (const h of held) {
    if (!h.previousStatus) continue;
    const current = db.select().from(components).where(eq(components.id, h.componentId)).get()!;
    if (current.status !== 'under_maintenance') continue;
    const last = db
      .select()
      .from(componentStatusEvents)
      .where(eq(componentStatusEvents.componentId, h.componentId))
      .orderBy(desc(componentStatusEvents.at), desc(componentStatusEvents.id))
      .get();
    if (!last || last.causeKind !== 'maintenance') continue;
    if (heldByOther(holders, h.componentId, m.id).length > 0) continue;
    setComponentStatus(db, current, h.previousStatus, at, { kind: 'maintenance', id: m.id });
    transitions.push({ componentId: h.componentId, oldStatus: 'under_maintenance', newStatus: h.previousStatus });
  }
  return transitions;
}

function start(db: Db, m: MaintenanceRow, at: Date, startedAt: Date, body: string): MaintenanceRow {
  const transitions = m.autoTransition ? holdComponents(db, m, at) : [];
  addUpdate(db, m.id, 'started', 'in_progress', body, at, transitions);
  const row = db
    .update(maintenances)
    .set({ status: 'in_progress', startedAt, sequence: m.sequence + 1, updatedAt: at })
    .where(eq(maintenances.id, m.id))
    .returning()
    .get();
  notify(db, 'maintenance.started', m.id, at);
  return row;
}

function complete(
  db: Db,
  m: MaintenanceRow,
  at: Date,
  completedAt: Date,
  body: string,
  kind: MaintenanceUpdateKind = 'completed',
): MaintenanceRow {
  const transitions = m.autoTransition && m.startedAt ? releaseComponents(db, m, at) : [];
  addUpdate(db, m.id, kind, 'completed', body, at, transitions);
  const row = db
    .update(maintenances)
    .set({ status: 'completed', completedAt, sequence: m.sequence + 1, updatedAt: at })
    .where(eq(maintenances.id, m.id))
    .returning()
    .get();
  notify(db, 'maintenance.completed', m.id, at);
  return row;
}

function load(db: Db, id: string): MaintenanceRow {
  const m = db.select().from(maintenances).where(eq(maintenances.id, id)).get();
  if (!m) throw notFound('el mantenimiento', id);
  return m;
}

/** 409 for any change to a window that is over; the console says the same for a form sent too late. */
export function maintenanceClosed(status: MaintenanceStatus): CommandError {
  return new CommandError(
    409,
    'maintenance_closed',
    `El mantenimiento ya está ${status === 'completed' ? 'completado' : 'cancelado'}; no admite cambios.`,
  );
}

function assertOpen(m: MaintenanceRow): void {
  if (m.status === 'completed' || m.status === 'cancelled') throw maintenanceClosed(m.status);
}

export function createMaintenance(
  db: Db,
  raw: CreateMaintenanceInput,
  { now, actor }: CommandContext,
  policy: MaintenancePolicy = {},
): MaintenanceResult {
  const input = parseInput(createMaintenanceInput, raw);
  return runCommand(db, () => {
    checkWindow(input.scheduledFor, input.scheduledUntil, policy, now);
    const emergency = input.emergency ?? false;
    checkNotice(now, input.scheduledFor, emergency, input.emergencyReason);
    const componentIds = resolveComponentRefs(db, input.components);
    assertKnownElements(db, input.elements);
    const lowImpactWindow = isLowImpactWindow(input.scheduledFor, input.scheduledUntil);
    let row = db
      .insert(maintenances)
      .values({
        id: newId(),
        name: input.name,
        body: input.body,
        status: 'scheduled',
        impactKind: input.impactKind ?? 'outage',
        autoTransition: input.autoTransition ?? true,
        emergency,
        emergencyReason: emergency ? input.emergencyReason!.trim() : null,
        lowImpactWindow,
        scheduledFor: input.scheduledFor,
        scheduledUntil: input.scheduledUntil,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    db.insert(maintenanceComponents)
      .values(componentIds.map((componentId) => ({ maintenanceId: row.id, componentId })))
      .run();
    setElements(db, row.id, input.elements ?? []);
    addUpdate(db, row.id, 'announced', 'scheduled', input.body, now);
    notify(db, 'maintenance.announced', row.id, now);
    recordAudit(db, actor, 'maintenance.create', { type: 'maintenance', id: row.id }, now, {
      ...input,
      components: componentIds,
    });
    // An emergency window that starts now begins at once rather than at the scheduler's next tick.
    if (row.scheduledFor.getTime() <= now.getTime())
      row = start(db, row, now, now, 'Mantenimiento de emergencia iniciado.');
    return { maintenance: row, warnings: lowImpactWindow ? [] : [lowImpactWarning()] };
  });
}

export function updateMaintenance(
  db: Db,
  id: string,
  raw: MaintenancePatch,
  { now, actor }: CommandContext,
  policy: MaintenancePolicy = {},
): MaintenanceResult {
  const patch = parseInput(maintenancePatchInput, raw);
  return runCommand(db, () => {
    const m = load(db, id);
    assertOpen(m);
    const from = patch.scheduledFor ?? m.scheduledFor;
    const until = patch.scheduledUntil ?? m.scheduledUntil;
    const moved = from.getTime() !== m.scheduledFor.getTime() || until.getTime() !== m.scheduledUntil.getTime();
    const emergency = patch.emergency ?? m.emergency;
    const emergencyReason = patch.emergencyReason === undefined ? m.emergencyReason : patch.emergencyReason;
    if (m.status !== 'scheduled') {
      const changed: Record<LockedOnceStarted, boolean> = {
        scheduledFor: from.getTime() !== m.scheduledFor.getTime(),
        components: patch.components !== undefined,
        autoTransition: patch.autoTransition !== undefined && patch.autoTransition !== m.autoTransition,
      };
      for (const field of Object.keys(LOCKED_ONCE_STARTED) as LockedOnceStarted[]) {
        if (changed[field])
          throw new CommandError(422, 'already_started', LOCKED_ONCE_STARTED[field], [
            { path: publicName(field), message: 'No puede cambiarse una vez iniciado.' },
          ]);
      }
      if (until.getTime() <= now.getTime())
        throw new CommandError(
          422,
          'invalid_window',
          'La nueva hora de término ya pasó; para cerrarlo publique una actualización con estado completed.',
          [{ path: 'scheduled_until', message: 'Indique una hora futura.' }],
        );
    }
    checkWindow(from, until, policy, now);
    if (emergency && !emergencyReason?.trim()) checkNotice(now, from, true, emergencyReason);
    // Bringing a window forward is a new notice and needs 72 h again; postponing never does.
    if (m.status === 'scheduled' && from.getTime() < m.scheduledFor.getTime())
      checkNotice(now, from, emergency, emergencyReason);
    if (m.status === 'scheduled' && moved && startsInPast(now, from))
      checkNotice(now, from, emergency, emergencyReason);
    // Withdrawing the emergency label is only possible if the notice actually given was 72 h.
    if (m.status === 'scheduled' && m.emergency && !emergency && !hasEnoughNotice(m.createdAt, from)) {
      throw new CommandError(
        422,
        'notice_too_short',
        'Este mantenimiento se publicó con menos de 72 horas de aviso: debe seguir marcado como emergencia.',
        [{ path: 'emergency', message: 'Aviso menor a 72 horas.' }],
      );
    }
    const previousScope = maintenanceScope(db, m.id);
    if (patch.components !== undefined) {
      const ids = resolveComponentRefs(db, patch.components);
      db.delete(maintenanceComponents).where(eq(maintenanceComponents.maintenanceId, m.id)).run();
      db.insert(maintenanceComponents)
        .values(ids.map((componentId) => ({ maintenanceId: m.id, componentId })))
        .run();
    }
    if (patch.elements !== undefined) {
      assertKnownElements(db, patch.elements);
      setElements(db, m.id, patch.elements);
    }
    // A wider scope reaches people the announcement did not: they are told now, and for the
    // technical contacts among them the manual's 72 h (4.2) run from this moment, when their
    // notice is queued, not from the original announcement.
    const newlyReached =
      m.status === 'scheduled' && (patch.components !== undefined || patch.elements !== undefined)
        ? noticeRecipientsFor(db, maintenanceScope(db, m.id), previousScope)
        : [];
    const newContacts = newlyReached.filter((r) => r.services?.length).length;
    if (newContacts > 0 && !emergency && !hasEnoughNotice(now, from)) {
      const earliest = new Date(now.getTime() + MIN_NOTICE_MS);
      throw new CommandError(
        422,
        'notice_too_short',
        `El cambio alcanza a ${newContacts} contacto(s) técnico(s) de servicios que no tenían aviso: el manual del cliente (sección 4.2) exige avisarles con al menos 72 horas de anticipación, y su aviso saldría ahora. Reprograme el inicio a ${formatDateTime(earliest)} (${ZONE_LABEL}) o después, o márquelo como emergencia con su motivo.`,
        [
          {
            path: patch.elements !== undefined ? 'elements' : 'components',
            message: 'Menos de 72 horas de aviso para los contactos que se suman.',
          },
        ],
      );
    }
    const lowImpactWindow = isLowImpactWindow(from, until);
    if (moved) {
      db.insert(maintenanceScheduleChanges)
        .values({
          maintenanceId: m.id,
          previousFor: m.scheduledFor,
          previousUntil: m.scheduledUntil,
          newFor: from,
          newUntil: until,
          reason: patch.rescheduleReason?.trim() || null,
          at: now,
        })
        .run();
      const reason = patch.rescheduleReason?.trim() ? ` Motivo: ${patch.rescheduleReason.trim()}` : '';
      addUpdate(
        db,
        m.id,
        'rescheduled',
        m.status,
        `Reprogramado. Antes: ${formatWindow(m.scheduledFor, m.scheduledUntil)}. Ahora: ${formatWindow(from, until)}.${reason}`,
        now,
      );
    }
    recordAudit(
      db,
      actor,
      moved ? 'maintenance.reschedule' : 'maintenance.edit',
      { type: 'maintenance', id: m.id },
      now,
      patch,
    );
    const row = db
      .update(maintenances)
      .set({
        name: patch.name ?? m.name,
        body: patch.body ?? m.body,
        scheduledFor: from,
        scheduledUntil: until,
        impactKind: patch.impactKind ?? m.impactKind,
        autoTransition: patch.autoTransition ?? m.autoTransition,
        emergency,
        emergencyReason: emergency ? emergencyReason!.trim() : null,
        lowImpactWindow,
        // A new start more than 24 h away earns a new reminder.
        reminderAt: moved && from.getTime() - REMINDER_BEFORE_MS > now.getTime() ? null : m.reminderAt,
        sequence: m.sequence + 1,
        updatedAt: now,
      })
      .where(eq(maintenances.id, m.id))
      .returning()
      .get();
    // After the row is rewritten: the notice is read from it and must state the new window.
    if (moved)
      notify(db, 'maintenance.rescheduled', m.id, now, newlyReached.length > 0 ? { scope: previousScope } : {});
    if (newlyReached.length > 0) notify(db, 'maintenance.announced', m.id, now, { previousScope });
    return { maintenance: row, warnings: lowImpactWindow ? [] : [lowImpactWarning()] };
  });
}

/** A NOC notice on a window: a status forward (or the same) and a message. */
export const maintenanceUpdateInput = z.strictObject({
  status: z.enum(['scheduled', 'in_progress', 'verifying', 'completed'], {
    error: 'Elija el estado: scheduled, in_progress, verifying o completed.',
  }),
  body: bodyText('Escriba el mensaje de la actualización.'),
});
/** Cancelling a window; the message to customers is optional. */
export const cancelMaintenanceInput = z.strictObject({
  body: text({ max: LIMITS.body, label: 'El mensaje', multiline: true }).optional(),
});
export type MaintenanceUpdateInput = z.input<typeof maintenanceUpdateInput>;

/** Which statuses a NOC update may move to from each status (forward only); the console offers exactly these. */
export const allowedNext: Readonly<Record<MaintenanceStatus, readonly MaintenanceStatus[]>> = {
  scheduled: ['scheduled', 'in_progress'],
  in_progress: ['in_progress', 'verifying', 'completed'],
  verifying: ['in_progress', 'verifying', 'completed'],
  completed: [],
  cancelled: [],
};

/** A NOC update, like an incident's: starting early, verifying or closing go through here too. */
export function postMaintenanceUpdate(
  db: Db,
  id: string,
  raw: MaintenanceUpdateInput,
  { now, actor }: CommandContext,
): MaintenanceRow {
  const input = parseInput(maintenanceUpdateInput, raw);
  return runCommand(db, () => {
    let m = load(db, id);
    assertOpen(m);
    if (!allowedNext[m.status].includes(input.status)) {
      throw new CommandError(
        409,
        'invalid_transition',
        `Un mantenimiento en estado «${m.status}» no puede pasar a «${input.status}».`,
        [{ path: 'status', message: `Estados posibles: ${allowedNext[m.status].join(', ')}.` }],
      );
    }
    recordAudit(db, actor, 'maintenance.update', { type: 'maintenance', id: m.id }, now, input);
    if (input.status === 'in_progress' && m.status === 'scheduled') return start(db, m, now, now, input.body);
    if (input.status === 'completed') return complete(db, m, now, now, input.body, 'posted');
    addUpdate(db, m.id, 'posted', input.status, input.body, now);
    m = db
      .update(maintenances)
      .set({
        status: input.status,
        verifyingAt: input.status === 'verifying' ? (m.verifyingAt ?? now) : m.verifyingAt,
        sequence: m.sequence + 1,
        updatedAt: now,
      })
      .where(eq(maintenances.id, m.id))
      .returning()
      .get();
    return m;
  });
}

/** Cancels a window that has not finished; components it holds go back to what they were. */
export function cancelMaintenance(
  db: Db,
  id: string,
  raw: z.input<typeof cancelMaintenanceInput>,
  { now, actor }: CommandContext,
): MaintenanceRow {
  const input = parseInput(cancelMaintenanceInput, raw);
  return runCommand(db, () => {
    const m = load(db, id);
    assertOpen(m);
    const transitions = m.autoTransition && m.startedAt ? releaseComponents(db, m, now) : [];
    addUpdate(db, m.id, 'cancelled', 'cancelled', input.body?.trim() || 'Mantenimiento cancelado.', now, transitions);
    recordAudit(db, actor, 'maintenance.cancel', { type: 'maintenance', id: m.id }, now, input);
    const row = db
      .update(maintenances)
      .set({ status: 'cancelled', cancelledAt: now, sequence: m.sequence + 1, updatedAt: now })
      .where(eq(maintenances.id, m.id))
      .returning()
      .get();
    notify(db, 'maintenance.cancelled', m.id, now);
    return row;
  });
}

export interface SchedulerStep {
  maintenanceId: string;
  action: 'reminder' | 'started' | 'completed';
}

/** What is due for one maintenance at instant `t`, from its stored state alone. */
function dueAction(m: MaintenanceRow, t: number): 'catch_up' | SchedulerStep['action'] | null {
  if (m.status === 'scheduled' && m.scheduledUntil.getTime() <= t) return 'catch_up';
  if (m.status === 'scheduled' && m.scheduledFor.getTime() <= t) return 'started';
  if (isWindowInProgress(m.status) && m.scheduledUntil.getTime() <= t) return 'completed';
  const reminderAt = m.scheduledFor.getTime() - REMINDER_BEFORE_MS;
  if (m.status === 'scheduled' && !m.reminderAt && t >= reminderAt && m.createdAt.getTime() <= reminderAt)
    return 'reminder';
  return null;
}

/**
 * Applies every transition due at `now`: reminders 24 h ahead, starts at scheduled_for, ends at
 * scheduled_until. Idempotent and catch-up by construction: it looks at the stored state, not at
 * what happened since the last tick, so after a restart the first call brings everything up to date.
 * Nothing due means no transaction at all (a commit would drop the page cache). Each maintenance
 * is its own command, so one failure does not block the others.
 */
export function advanceMaintenances(db: Db, now: Date): SchedulerStep[] {
  const steps: SchedulerStep[] = [];
  const t = now.getTime();
  const open = db
    .select()
    .from(maintenances)
    .where(inArray(maintenances.status, ['scheduled', 'in_progress', 'verifying']))
    .all();
  for (const candidate of open) {
    if (!dueAction(candidate, t)) continue;
    try {
      const step = runCommand(db, (): SchedulerStep | null => {
        // Re-read inside the transaction: a NOC command may have changed it since.
        const m = load(db, candidate.id);
        const ctx = { type: 'maintenance', id: m.id } as const;
        switch (dueAction(m, t)) {
          case 'catch_up':
            // The whole window passed while the server was down: it is over, not starting now,
            // so components are not flipped and only the completion is announced.
            complete(
              db,
              { ...m, startedAt: null },
              now,
              m.scheduledUntil,
              'Mantenimiento concluido en la ventana programada.',
            );
            db.update(maintenances).set({ startedAt: m.scheduledFor }).where(eq(maintenances.id, m.id)).run();
            recordAudit(db, systemActor, 'maintenance.complete', ctx, now, { caughtUp: true });
            return { maintenanceId: m.id, action: 'completed' };
          case 'started':
            start(db, m, now, m.scheduledFor, 'Mantenimiento iniciado según lo programado.');
            recordAudit(db, systemActor, 'maintenance.start', ctx, now);
            return { maintenanceId: m.id, action: 'started' };
          case 'completed':
            complete(
              db,
              m,
              now,
              m.scheduledUntil,
              'Mantenimiento concluido. Los servicios vuelven a su estado normal.',
            );
            recordAudit(db, systemActor, 'maintenance.complete', ctx, now);
            return { maintenanceId: m.id, action: 'completed' };
          case 'reminder':
            // Not a change to the event itself: no SEQUENCE bump, no updated_at.
            notify(db, 'maintenance.reminder', m.id, now);
            db.update(maintenances).set({ reminderAt: now }).where(eq(maintenances.id, m.id)).run();
            recordAudit(db, systemActor, 'maintenance.remind', ctx, now);
            return { maintenanceId: m.id, action: 'reminder' };
          default:
            return null;
        }
      });
      if (step) steps.push(step);
    } catch (err) {
      // Another process holding the write lock is the weather, not this window's fault: the clock
      // worker backs off and tries every window again (api/workers/clock.ts).
      if (isDatabaseBusy(err)) throw err;
      console.error(`Mantenimiento ${candidate.id}: la transición automática falló`, err);
    }
  }
  return steps;
}

/** The next instant at which `advanceMaintenances` has something to do, or null. */
export function nextMaintenanceDue(db: Db): Date | null {
  const open = db
    .select()
    .from(maintenances)
    .where(inArray(maintenances.status, ['scheduled', 'in_progress', 'verifying']))
    .all();
  let next = Infinity;
  for (const m of open) {
    if (m.status === 'scheduled') {
      next = Math.min(next, m.scheduledFor.getTime());
      const reminderAt = m.scheduledFor.getTime() - REMINDER_BEFORE_MS;
      if (!m.reminderAt && m.createdAt.getTime() <= reminderAt) next = Math.min(next, reminderAt);
    } else {
      next = Math.min(next, m.scheduledUntil.getTime());
    }
  }
  return Number.isFinite(next) ? new Date(next) : null;
}
