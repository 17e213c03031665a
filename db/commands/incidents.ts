import { and, asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../client.ts';
import {
  componentStatuses,
  incidentImpacts,
  incidentStatuses,
  type ComponentStatus,
  type IncidentStatus,
} from '../enums.ts';
import { newId } from '../ids.ts';
import { impactForStatuses } from '../domain/criticality.ts';
import { isFault } from '../domain/rollup.ts';
import { componentCatalogue, resolveRefs } from '../queries/catalog.ts';
import { componentHolders } from '../queries/holders.ts';
import { componentTimeline } from '../queries/availability.ts';
import { formatDateTime, ZONE_LABEL } from '../domain/time.ts';
import { incidentScope } from '../queries/services.ts';
import {
  components,
  componentStatusEvents,
  incidentComponents,
  incidentElements,
  incidents,
  incidentUpdates,
  incidentUpdateTransitions,
} from '../schema/index.ts';
import { recordStatusEvent, setComponentStatus } from './catalog.ts';
import { CommandError, notFound, unknownRefs } from './errors.ts';
import { bodyText, elementList, historicInstant, instant, nameText, noteText, parseInput, ref } from './input.ts';
import { assertKnownElements } from './services.ts';
import { runCommand, type CommandContext } from './transaction.ts';
import { noteChange, recordAudit } from './audit.ts';
import { publish } from '../notifications/index.ts';

export type IncidentRow = typeof incidents.$inferSelect;

const incidentStatus = z.enum(incidentStatuses, {
  error: 'Elija el estado del incidente: investigating, identified, monitoring o resolved.',
});
const incidentImpact = z.enum(incidentImpacts, { error: 'Elija la criticidad: none, minor, major o critical.' });
const cause = noteText('La causa').nullable();

const updateFields = {
  status: incidentStatus,
  body: bodyText('Escriba el mensaje para los clientes.'),
  cause: cause.optional(),
  /** Estimated restoration; null = to be confirmed. Never in the past (`assertEta`). */
  eta: instant.nullable().optional(),
  /**
   * A resolving update only: when service came back (default: when the update is posted). The
   * components it returns to service are restored from then on.
   */
  resolvedAt: instant.optional(),
  /** Component id or slug → the status it moves to with this update. */
  components: z.record(ref, z.enum(componentStatuses)).optional(),
  /** Network elements of the service inventory this update adds to the incident (OLT-MET-01…). */
  elements: elementList.optional(),
  deliverNotifications: z.boolean().optional(),
};

/** One update of an incident: its status, message, cause, ETA and component changes. */
export const incidentUpdateInput = z.strictObject(updateFields);
/** A new incident: a title and its first update, optionally its criticidad and start. */
export const createIncidentInput = z.strictObject({
  name: nameText('Escriba un título, p. ej. «Corte de fibra en Metepec».', 'El título'),
  impact: incidentImpact.optional(),
  startedAt: historicInstant.optional(),
  ...updateFields,
});
/** A correction of the incident itself, not a new update. */
export const incidentPatchInput = z
  .strictObject({
    name: nameText('Escriba un título, p. ej. «Corte de fibra en Metepec».', 'El título').optional(),
    impact: incidentImpact.optional(),
    cause: cause.optional(),
    eta: instant.nullable().optional(),
    /** When the outage really began: its components' outage is counted from here. */
    startedAt: instant.optional(),
  })
  .refine((p) => Object.keys(p).length > 0, 'Indique al menos un campo: name, impact, cause, eta o started_at.');

/** A correction of one update's text (a typo, a wrong street); its status and time stay. */
export const incidentUpdatePatchInput = z.strictObject({
  body: bodyText('Escriba el mensaje para los clientes.'),
});

export type IncidentUpdateInput = z.input<typeof incidentUpdateInput>;
export type IncidentUpdatePatch = z.input<typeof incidentUpdatePatchInput>;
export type CreateIncidentInput = z.input<typeof createIncidentInput>;
export type IncidentPatch = z.input<typeof incidentPatchInput>;
type ParsedUpdate = z.output<typeof incidentUpdateInput>;
type ComponentRow = { id: string; status: ComponentStatus };

function resolveComponents(
  db: Db,
  refs: Record<string, ComponentStatus> | undefined,
): Array<{ component: ComponentRow; status: ComponentStatus }> {
  if (!refs) return [];
  const { found, unknown } = resolveRefs(componentCatalogue(db), refs, 'components', 'component');
  if (unknown.length > 0) throw unknownRefs(unknown);
  const resolved: Array<{ component: ComponentRow; status: ComponentStatus }> = [];
  const seen = new Set<string>();
  for (const { path, ref, entry } of found) {
    if (entry.kind !== 'component') continue;
    if (seen.has(entry.component.id))
      throw new CommandError(422, 'validation_failed', `El componente «${ref}» aparece dos veces.`, [
        { path, message: 'Componente repetido.' },
      ]);
    seen.add(entry.component.id);
    resolved.push({ component: entry.component, status: refs[ref] });
  }
  return resolved;
}

/** A minute of clock difference between the NOC's browser or script and the server. */
const CLOCK_SKEW_MS = 60_000;

const when = (d: Date) => `${formatDateTime(d)}, ${ZONE_LABEL}`;

function refuse(path: string, message: string, field: string): never {
  throw new CommandError(422, 'validation_failed', message, [{ path, message: field }]);
}

/**
 * An estimated restoration time must still be ahead: a time already past would tell customers
 * something untrue. `null` («Por confirmar») is always accepted.
 */
export function assertEta(eta: Date | null | undefined, now: Date, path = 'eta'): void {
  if (eta && eta.getTime() < now.getTime())
    refuse(
      path,
      `La hora estimada de restablecimiento (${when(eta)}) ya pasó: indique una nueva o déjela «Por confirmar».`,
      'Indique una hora futura, o déjela «Por confirmar» (null).',
    );
}

/**
 * When an incident began: not in the future; when correcting it, not after the incident was
 * first published (customers were told of the fault then) nor after service came back.
 */
export function assertStartedAt(
  startedAt: Date,
  now: Date,
  incident?: Pick<IncidentRow, 'createdAt' | 'resolvedAt'>,
  path = 'started_at',
): void {
  if (startedAt.getTime() > now.getTime() + CLOCK_SKEW_MS)
    refuse(path, 'La hora de inicio no puede estar en el futuro.', 'Indique una hora pasada o actual.');
  if (incident?.resolvedAt && startedAt.getTime() > incident.resolvedAt.getTime())
    refuse(
      path,
      `La hora de inicio no puede ser posterior al restablecimiento (${when(incident.resolvedAt)}).`,
      `Indique una hora anterior a ${formatDateTime(incident.resolvedAt)}.`,
    );
  if (incident && startedAt.getTime() > incident.createdAt.getTime() + CLOCK_SKEW_MS)
    refuse(
      path,
      `La falla ya estaba publicada desde ${when(incident.createdAt)}: la hora de inicio no puede ser posterior.`,
      `Indique una hora anterior a ${formatDateTime(incident.createdAt)}.`,
    );
}

/** When service came back, as a resolving update says it: not in the future, not before the start. */
export function assertResolvedAt(resolvedAt: Date, startedAt: Date, now: Date, path = 'resolved_at'): void {
  if (resolvedAt.getTime() > now.getTime() + CLOCK_SKEW_MS)
    refuse(path, 'La hora de restablecimiento no puede estar en el futuro.', 'Indique una hora pasada o actual.');
  if (resolvedAt.getTime() < startedAt.getTime())
    refuse(
      path,
      `El servicio no pudo volver antes de que empezara la falla (${when(startedAt)}).`,
      `Indique una hora posterior al inicio (${formatDateTime(startedAt)}).`,
    );
}

/** The time checks of one update (or a new incident's first one), before anything is written. */
function assertUpdateTimes(input: ParsedUpdate, startedAt: Date, now: Date): void {
  if (input.status !== 'resolved') assertEta(input.eta, now);
  if (input.resolvedAt === undefined) return;
  if (input.status !== 'resolved')
    refuse(
      'resolved_at',
      'Solo una actualización «Resuelto» indica cuándo volvió el servicio.',
      'Quite la hora de restablecimiento o marque el incidente como «Resuelto».',
    );
  assertResolvedAt(input.resolvedAt, startedAt, now);
}

/**
 * Writes one update: the row, each component's transition (old → new) and its status event,
 * and the incident's affected set. Must run inside a command's transaction. The status events
 * take effect at `effectiveAt`: the incident's start for its first update, the time service
 * came back for a resolving one, otherwise when the update is posted.
 */
function writeUpdate(
  db: Db,
  incident: IncidentRow,
  input: ParsedUpdate,
  now: Date,
  type: 'incident.created' | 'incident.updated',
  previousStatus: IncidentStatus | null,
  effectiveAt: Date = now,
) {
  const targets = resolveComponents(db, input.components);
  assertKnownElements(db, input.elements);
  const updateId = newId();
  db.insert(incidentUpdates)
    .values({
      id: updateId,
      incidentId: incident.id,
      status: input.status,
      body: input.body,
      cause: input.cause ?? null,
      eta: input.eta ?? null,
      deliverNotifications: input.deliverNotifications ?? true,
      createdAt: now,
      displayAt: now,
    })
    .run();

  const explicit = new Set(targets.map((t) => t.component.id));
  if (input.status === 'resolved') {
    // Resolving returns the incident's other components to service, unless another open
    // incident still holds them or a maintenance owns them.
    const holders = componentHolders(db);
    const affected = db
      .select({ component: components })
      .from(incidentComponents)
      .innerJoin(components, eq(components.id, incidentComponents.componentId))
      .where(eq(incidentComponents.incidentId, incident.id))
      .all()
      .map((r) => r.component);
    for (const component of affected) {
      if (explicit.has(component.id) || !isFault(component.status)) continue;
      const heldElsewhere = (holders.get(component.id) ?? []).some(
        (h) => h.kind === 'incident' && h.id !== incident.id,
      );
      if (!heldElsewhere) targets.push({ component, status: 'operational' });
    }
  }

  const cause = { kind: 'incident' as const, id: incident.id };
  for (const { component, status } of targets) {
    const current = db.select().from(components).where(eq(components.id, component.id)).get()!;
    db.insert(incidentComponents)
      .values({ incidentId: incident.id, componentId: component.id })
      .onConflictDoNothing()
      .run();
    if (current.status === status) {
      // Already in that fault (an alert set it): an incident declared as begun earlier moves
      // the fault's start back to the declared one.
      if (type === 'incident.created' && isFault(status)) {
        const since = componentTimeline(db, component.id, now).at(-1)?.at;
        if (since && since.getTime() > effectiveAt.getTime())
          recordStatusEvent(db, component.id, status, status, now, cause, effectiveAt);
      }
      continue;
    }
    setComponentStatus(db, current, status, now, cause, effectiveAt);
    db.insert(incidentUpdateTransitions)
      .values({ updateId, componentId: component.id, oldStatus: current.status, newStatus: status })
      .run();
  }
  for (const element of input.elements ?? [])
    db.insert(incidentElements).values({ incidentId: incident.id, element }).onConflictDoNothing().run();
  const componentIds = db
    .select({ id: incidentComponents.componentId })
    .from(incidentComponents)
    .where(eq(incidentComponents.incidentId, incident.id))
    .all()
    .map((r) => r.id);
  publish(db, {
    type:
      type === 'incident.updated' && input.status === 'resolved' && previousStatus !== 'resolved'
        ? 'incident.resolved'
        : type,
    incidentId: incident.id,
    updateId,
    deliver: input.deliverNotifications ?? true,
    componentIds,
    elements: incidentScope(db, incident.id).elements,
    at: now,
  });
  return updateId;
}

export function createIncident(db: Db, raw: CreateIncidentInput, { now, actor }: CommandContext): IncidentRow {
  const input = parseInput(createIncidentInput, raw);
  return runCommand(db, () => {
    const startedAt = input.startedAt ?? now;
    assertStartedAt(startedAt, now);
    assertUpdateTimes(input, startedAt, now);
    const statuses = Object.values(input.components ?? {});
    const resolved = input.status === 'resolved';
    const resolvedAt = resolved ? (input.resolvedAt ?? now) : null;
    const incident = db
      .insert(incidents)
      .values({
        id: newId(),
        name: input.name,
        status: input.status,
        impact: input.impact ?? impactForStatuses(statuses),
        cause: input.cause ?? null,
        eta: input.eta ?? null,
        startedAt,
        monitoringAt: input.status === 'monitoring' ? now : null,
        resolvedAt,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    writeUpdate(db, incident, input, now, 'incident.created', null, resolvedAt ?? startedAt);
    recordAudit(db, actor, 'incident.create', { type: 'incident', id: incident.id }, now, {
      name: input.name,
      status: input.status,
      impact: incident.impact,
      startedAt: incident.startedAt,
      ...(resolvedAt ? { resolvedAt } : {}),
      components: input.components,
      elements: input.elements,
    });
    return incident;
  });
}

export function publishIncidentUpdate(
  db: Db,
  incidentId: string,
  raw: IncidentUpdateInput,
  { now, actor }: CommandContext,
): IncidentRow {
  const input = parseInput(incidentUpdateInput, raw);
  return runCommand(db, () => {
    const incident = db.select().from(incidents).where(eq(incidents.id, incidentId)).get();
    if (!incident) throw notFound('el incidente', incidentId);
    assertUpdateTimes(input, incident.startedAt, now);
    // An update that says nothing of the ETA keeps the incident's; one already past would then be
    // published again as if it still held, so the NOC must give a new one or «Por confirmar».
    if (input.status !== 'resolved' && input.eta === undefined && incident.eta && incident.eta < now)
      refuse(
        'eta',
        `La hora estimada de restablecimiento publicada (${when(incident.eta)}) ya pasó: indique una nueva o déjela «Por confirmar».`,
        'Indique una hora futura, o déjela «Por confirmar» (null).',
      );
    const resolvedAt = input.status === 'resolved' ? (input.resolvedAt ?? incident.resolvedAt ?? now) : null;
    // A resolved incident may be reopened: a fault that comes back is the same incident to customers.
    // The incident row is brought up to date first, so the channels notified inside
    // writeUpdate read the incident as customers will see it.
    const updated = db
      .update(incidents)
      .set({
        status: input.status,
        cause: input.cause === undefined ? incident.cause : input.cause,
        eta: input.eta === undefined ? incident.eta : input.eta,
        monitoringAt: input.status === 'monitoring' ? (incident.monitoringAt ?? now) : incident.monitoringAt,
        resolvedAt,
        updatedAt: now,
      })
      .where(eq(incidents.id, incident.id))
      .returning()
      .get();
    writeUpdate(db, updated, input, now, 'incident.updated', incident.status, resolvedAt ?? now);
    recordAudit(db, actor, 'incident.update', { type: 'incident', id: incident.id }, now, {
      status: input.status,
      ...(input.resolvedAt ? { resolvedAt: input.resolvedAt } : {}),
      components: input.components,
      elements: input.elements,
    });
    return updated;
  });
}

export function updateIncident(
  db: Db,
  incidentId: string,
  raw: IncidentPatch,
  { now, actor }: CommandContext,
): IncidentRow {
  const patch = parseInput(incidentPatchInput, raw);
  return runCommand(db, () => {
    const incident = db.select().from(incidents).where(eq(incidents.id, incidentId)).get();
    if (!incident) throw notFound('el incidente', incidentId);
    if (!incident.resolvedAt) assertEta(patch.eta, now);
    const moved = patch.startedAt !== undefined && patch.startedAt.getTime() !== incident.startedAt.getTime();
    if (patch.startedAt !== undefined) assertStartedAt(patch.startedAt, now, incident);
    // The audit keeps what the incident said before a correction of its start, beside the correction.
    recordAudit(db, actor, 'incident.edit', { type: 'incident', id: incident.id }, now, {
      ...patch,
      ...(moved ? { before: { startedAt: incident.startedAt } } : {}),
    });
    if (moved) moveIncidentStart(db, incident, patch.startedAt!);
    return db
      .update(incidents)
      .set({
        name: patch.name ?? incident.name,
        impact: patch.impact ?? incident.impact,
        cause: patch.cause === undefined ? incident.cause : patch.cause,
        eta: patch.eta === undefined ? incident.eta : patch.eta,
        startedAt: patch.startedAt ?? incident.startedAt,
        updatedAt: now,
      })
      .where(eq(incidents.id, incident.id))
      .returning()
      .get();
  });
}

/**
 * A corrected start moves the status changes the incident's first update made (and the earlier
 * start it declared for components already at fault) to the new start: they keep their place
 * among the records, so later updates still override them, and the timeline rule
 * (db/domain/timeline.ts) counts the outage from the corrected start everywhere. An incident
 * first posted as already resolved made no opening changes to move.
 */
function moveIncidentStart(db: Db, incident: IncidentRow, startedAt: Date): void {
  const first = db
    .select({ status: incidentUpdates.status })
    .from(incidentUpdates)
    .where(eq(incidentUpdates.incidentId, incident.id))
    .orderBy(asc(incidentUpdates.createdAt), asc(incidentUpdates.id))
    .get();
  if (!first || first.status === 'resolved') return;
  db.update(componentStatusEvents)
    .set({ effectiveAt: sql`min(${startedAt.getTime()}, ${componentStatusEvents.at})` })
    .where(
      and(
        eq(componentStatusEvents.causeKind, 'incident'),
        eq(componentStatusEvents.causeId, incident.id),
        eq(componentStatusEvents.at, incident.createdAt),
      ),
    )
    .run();
  noteChange(db, 'component');
}

/**
 * Corrects the text of an update already published (`PATCH /api/v1/incidents/:id/updates/:update_id`
 * and the console). Audited with the text before and after; nobody is notified again.
 */
export function correctIncidentUpdate(
  db: Db,
  incidentId: string,
  updateId: string,
  raw: IncidentUpdatePatch,
  { now, actor }: CommandContext,
): { id: string; body: string } {
  const patch = parseInput(incidentUpdatePatchInput, raw);
  return runCommand(db, () => {
    const update = db
      .select()
      .from(incidentUpdates)
      .where(and(eq(incidentUpdates.id, updateId), eq(incidentUpdates.incidentId, incidentId)))
      .get();
    if (!update) throw notFound('la actualización', updateId);
    recordAudit(db, actor, 'incident.update_edit', { type: 'incident', id: incidentId }, now, {
      updateId,
      before: update.body,
      after: patch.body,
    });
    db.update(incidents).set({ updatedAt: now }).where(eq(incidents.id, incidentId)).run();
    return db
      .update(incidentUpdates)
      .set({ body: patch.body })
      .where(eq(incidentUpdates.id, update.id))
      .returning({ id: incidentUpdates.id, body: incidentUpdates.body })
      .get()!;
  });
}
