import { and, eq, isNull, ne } from 'drizzle-orm';
import type { Db } from '../client.ts';
import type { ComponentStatus, IncidentImpact, IncidentStatus } from '../enums.ts';
import { newId } from '../ids.ts';
import { components, incidentComponents, incidents, incidentUpdates, incidentUpdateTransitions } from '../schema/index.ts';
import { findComponent, setComponentStatus, type ComponentRow } from './catalog.ts';
import { CommandError, notFound } from './errors.ts';
import { runCommand, type CommandContext } from './transaction.ts';
import { recordAudit } from './audit.ts';
import { publish } from '../notifications/index.ts';

export type IncidentRow = typeof incidents.$inferSelect;

export interface IncidentUpdateInput {
  status: IncidentStatus;
  body: string;
  cause?: string | null;
  eta?: Date | null;
  /** Component id or slug → the status it moves to with this update. */
  components?: Record<string, ComponentStatus>;
  deliverNotifications?: boolean;
}

export interface CreateIncidentInput extends IncidentUpdateInput {
  name: string;
  impact?: IncidentImpact;
  startedAt?: Date;
}

/** Impact implied by the worst component status when the NOC does not give one. */
function impliedImpact(statuses: ComponentStatus[]): IncidentImpact {
  if (statuses.includes('major_outage')) return 'critical';
  if (statuses.includes('partial_outage')) return 'major';
  if (statuses.includes('degraded_performance')) return 'minor';
  return 'none';
}

function resolveComponents(db: Db, refs: Record<string, ComponentStatus> | undefined): Array<{ component: ComponentRow; status: ComponentStatus }> {
  if (!refs) return [];
  const resolved: Array<{ component: ComponentRow; status: ComponentStatus }> = [];
  const unknown: string[] = [];
  const seen = new Set<string>();
  for (const [ref, status] of Object.entries(refs)) {
    const component = findComponent(db, ref);
    if (!component) { unknown.push(ref); continue; }
    if (seen.has(component.id)) throw new CommandError(422, 'validation_failed', `El componente «${ref}» aparece dos veces.`, [{ path: `components.${ref}`, message: 'Componente repetido.' }]);
    seen.add(component.id);
    resolved.push({ component, status });
  }
  if (unknown.length > 0) {
    throw new CommandError(422, 'unknown_component', `Componente desconocido: ${unknown.join(', ')}.`, unknown.map((ref) => ({ path: `components.${ref}`, message: 'No existe un componente con este id o identificador.' })));
  }
  return resolved;
}

/**
 * Writes one update: the row, each component's transition (old → new) and its status event,
 * and the incident's affected set. Must run inside a command's transaction.
 */
function writeUpdate(db: Db, incident: IncidentRow, input: IncidentUpdateInput, now: Date, type: 'incident.created' | 'incident.updated', previousStatus: IncidentStatus | null) {
  const targets = resolveComponents(db, input.components);
  const updateId = newId();
  db.insert(incidentUpdates).values({
    id: updateId,
    incidentId: incident.id,
    status: input.status,
    body: input.body,
    cause: input.cause ?? null,
    eta: input.eta ?? null,
    deliverNotifications: input.deliverNotifications ?? true,
    createdAt: now,
    displayAt: now,
  }).run();

  const explicit = new Set(targets.map((t) => t.component.id));
  if (input.status === 'resolved') {
    // Resolving returns the incident's other components to service, unless another open
    // incident still holds them or a maintenance owns them.
    const affected = db.select({ component: components }).from(incidentComponents)
      .innerJoin(components, eq(components.id, incidentComponents.componentId))
      .where(eq(incidentComponents.incidentId, incident.id)).all().map((r) => r.component);
    for (const component of affected) {
      if (explicit.has(component.id) || component.status === 'operational' || component.status === 'under_maintenance') continue;
      const heldElsewhere = db.select({ id: incidents.id }).from(incidentComponents)
        .innerJoin(incidents, eq(incidents.id, incidentComponents.incidentId))
        .where(and(eq(incidentComponents.componentId, component.id), ne(incidents.id, incident.id), isNull(incidents.resolvedAt))).get();
      if (!heldElsewhere) targets.push({ component, status: 'operational' });
    }
  }

  for (const { component, status } of targets) {
    const current = db.select().from(components).where(eq(components.id, component.id)).get()!;
    db.insert(incidentComponents).values({ incidentId: incident.id, componentId: component.id }).onConflictDoNothing().run();
    if (current.status === status) continue;
    setComponentStatus(db, current, status, now, { kind: 'incident', id: incident.id });
    db.insert(incidentUpdateTransitions).values({ updateId, componentId: component.id, oldStatus: current.status, newStatus: status }).run();
  }
  const componentIds = db.select({ id: incidentComponents.componentId }).from(incidentComponents)
    .where(eq(incidentComponents.incidentId, incident.id)).all().map((r) => r.id);
  publish(db, {
    type: type === 'incident.updated' && input.status === 'resolved' && previousStatus !== 'resolved' ? 'incident.resolved' : type,
    incidentId: incident.id,
    updateId,
    deliver: input.deliverNotifications ?? true,
    componentIds,
    at: now,
  });
  return updateId;
}

export function createIncident(db: Db, input: CreateIncidentInput, { now, actor }: CommandContext): IncidentRow {
  return runCommand(db, () => {
    if (input.startedAt && input.startedAt.getTime() > now.getTime() + 60_000) {
      throw new CommandError(422, 'validation_failed', 'La hora de inicio no puede estar en el futuro.', [{ path: 'started_at', message: 'Indique una hora pasada o actual.' }]);
    }
    const statuses = Object.values(input.components ?? {});
    const resolved = input.status === 'resolved';
    const incident = db.insert(incidents).values({
      id: newId(),
      name: input.name,
      status: input.status,
      impact: input.impact ?? impliedImpact(statuses),
      cause: input.cause ?? null,
      eta: input.eta ?? null,
      startedAt: input.startedAt ?? now,
      monitoringAt: input.status === 'monitoring' ? now : null,
      resolvedAt: resolved ? now : null,
      createdAt: now,
      updatedAt: now,
    }).returning().get();
    writeUpdate(db, incident, input, now, 'incident.created', null);
    recordAudit(db, actor, 'incident.create', { type: 'incident', id: incident.id }, now, { name: input.name, status: input.status, impact: incident.impact, components: input.components });
    return incident;
  });
}

export function publishIncidentUpdate(db: Db, incidentId: string, input: IncidentUpdateInput, { now, actor }: CommandContext): IncidentRow {
  return runCommand(db, () => {
    const incident = db.select().from(incidents).where(eq(incidents.id, incidentId)).get();
    if (!incident) throw notFound('el incidente', incidentId);
    // A resolved incident may be reopened: a fault that comes back is the same incident to customers.
    // The incident row is brought up to date first, so the channels notified inside
    // writeUpdate read the incident as customers will see it.
    const updated = db.update(incidents).set({
      status: input.status,
      cause: input.cause === undefined ? incident.cause : input.cause,
      eta: input.eta === undefined ? incident.eta : input.eta,
      monitoringAt: input.status === 'monitoring' ? (incident.monitoringAt ?? now) : incident.monitoringAt,
      resolvedAt: input.status === 'resolved' ? (incident.resolvedAt ?? now) : null,
      updatedAt: now,
    }).where(eq(incidents.id, incident.id)).returning().get();
    writeUpdate(db, updated, input, now, 'incident.updated', incident.status);
    recordAudit(db, actor, 'incident.update', { type: 'incident', id: incident.id }, now, { status: input.status, components: input.components });
    return updated;
  });
}

export interface IncidentPatch {
  name?: string;
  impact?: IncidentImpact;
  cause?: string | null;
  eta?: Date | null;
}

export function updateIncident(db: Db, incidentId: string, patch: IncidentPatch, { now, actor }: CommandContext): IncidentRow {
  return runCommand(db, () => {
    const incident = db.select().from(incidents).where(eq(incidents.id, incidentId)).get();
    if (!incident) throw notFound('el incidente', incidentId);
    recordAudit(db, actor, 'incident.edit', { type: 'incident', id: incident.id }, now, patch);
    return db.update(incidents).set({
      name: patch.name ?? incident.name,
      impact: patch.impact ?? incident.impact,
      cause: patch.cause === undefined ? incident.cause : patch.cause,
      eta: patch.eta === undefined ? incident.eta : patch.eta,
      updatedAt: now,
    }).where(eq(incidents.id, incident.id)).returning().get();
  });
}
