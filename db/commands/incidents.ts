import { and, eq } from 'drizzle-orm';
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
import { incidentScope } from '../queries/services.ts';
import {
  components,
  incidentComponents,
  incidentElements,
  incidents,
  incidentUpdates,
  incidentUpdateTransitions,
} from '../schema/index.ts';
import { setComponentStatus } from './catalog.ts';
import { CommandError, notFound, unknownRefs } from './errors.ts';
import { bodyText, elementList, historicInstant, instant, nameText, noteText, parseInput, ref } from './input.ts';
import { assertKnownElements } from './services.ts';
import { runCommand, type CommandContext } from './transaction.ts';
import { recordAudit } from './audit.ts';
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
  /** Estimated restoration; null = to be confirmed. */
  eta: instant.nullable().optional(),
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
  })
  .refine((p) => Object.keys(p).length > 0, 'Indique al menos un campo: name, impact, cause o eta.');

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

/**
 * Writes one update: the row, each component's transition (old → new) and its status event,
 * and the incident's affected set. Must run inside a command's transaction.
 */
function writeUpdate(
  db: Db,
  incident: IncidentRow,
  input: ParsedUpdate,
  now: Date,
  type: 'incident.created' | 'incident.updated',
  previousStatus: IncidentStatus | null,
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

  for (const { component, status } of targets) {
    const current = db.select().from(components).where(eq(components.id, component.id)).get()!;
    db.insert(incidentComponents)
      .values({ incidentId: incident.id, componentId: component.id })
      .onConflictDoNothing()
      .run();
    if (current.status === status) continue;
    setComponentStatus(db, current, status, now, { kind: 'incident', id: incident.id });
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
    if (input.startedAt && input.startedAt.getTime() > now.getTime() + 60_000) {
      throw new CommandError(422, 'validation_failed', 'La hora de inicio no puede estar en el futuro.', [
        { path: 'started_at', message: 'Indique una hora pasada o actual.' },
      ]);
    }
    const statuses = Object.values(input.components ?? {});
    const resolved = input.status === 'resolved';
    const incident = db
      .insert(incidents)
      .values({
        id: newId(),
        name: input.name,
        status: input.status,
        impact: input.impact ?? impactForStatuses(statuses),
        cause: input.cause ?? null,
        eta: input.eta ?? null,
        startedAt: input.startedAt ?? now,
        monitoringAt: input.status === 'monitoring' ? now : null,
        resolvedAt: resolved ? now : null,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    writeUpdate(db, incident, input, now, 'incident.created', null);
    recordAudit(db, actor, 'incident.create', { type: 'incident', id: incident.id }, now, {
      name: input.name,
      status: input.status,
      impact: incident.impact,
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
        resolvedAt: input.status === 'resolved' ? (incident.resolvedAt ?? now) : null,
        updatedAt: now,
      })
      .where(eq(incidents.id, incident.id))
      .returning()
      .get();
    writeUpdate(db, updated, input, now, 'incident.updated', incident.status);
    recordAudit(db, actor, 'incident.update', { type: 'incident', id: incident.id }, now, {
      status: input.status,
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
    recordAudit(db, actor, 'incident.edit', { type: 'incident', id: incident.id }, now, patch);
    return db
      .update(incidents)
      .set({
        name: patch.name ?? incident.name,
        impact: patch.impact ?? incident.impact,
        cause: patch.cause === undefined ? incident.cause : patch.cause,
        eta: patch.eta === undefined ? incident.eta : patch.eta,
        updatedAt: now,
      })
      .where(eq(incidents.id, incident.id))
      .returning()
      .get();
  });
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
