import { eq, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../client.ts';
import { componentStatuses, type ComponentStatus, type StatusEventCause } from '../enums.ts';
import { newId, slugify } from '../ids.ts';
import { componentCatalogue, resolveRef } from '../queries/catalog.ts';
import { componentGroups, components, componentStatusEvents } from '../schema/index.ts';
import { CommandError, notFound, unknownRefs } from './errors.ts';
import { nameText, noteText, parseInput, ref, slug } from './input.ts';
import { runCommand, type CommandContext } from './transaction.ts';
import { changedComponentFields } from '../auditSubjects.ts';
import { noteChange, recordAudit } from './audit.ts';
import { publish } from '../notifications/index.ts';

export type ComponentRow = typeof components.$inferSelect;
export type GroupRow = typeof componentGroups.$inferSelect;

export function findComponent(db: Db, idOrSlug: string): ComponentRow | undefined {
  return db
    .select()
    .from(components)
    .where(or(eq(components.id, idOrSlug), eq(components.slug, idOrSlug)))
    .get();
}

export function findGroup(db: Db, idOrSlug: string): GroupRow | undefined {
  return db
    .select()
    .from(componentGroups)
    .where(or(eq(componentGroups.id, idOrSlug), eq(componentGroups.slug, idOrSlug)))
    .get();
}

/** Group and component slugs share one namespace: `/componentes/:slug/…` serves both. */
function assertSlugFree(db: Db, slug: string, path: string, exceptId?: string): void {
  const taken = db
    .select({ id: components.id })
    .from(components)
    .where(or(eq(components.slug, slug), eq(components.id, slug)))
    .all()
    .concat(
      db
        .select({ id: componentGroups.id })
        .from(componentGroups)
        .where(or(eq(componentGroups.slug, slug), eq(componentGroups.id, slug)))
        .all(),
    )
    .filter((r) => r.id !== exceptId);
  if (taken.length > 0)
    throw new CommandError(409, 'slug_taken', `El identificador «${slug}» ya está en uso.`, [
      { path, message: 'Ya existe un componente o grupo con este identificador.' },
    ]);
}

function resolveGroupId(db: Db, groupRef: string | null | undefined, path: string): string | null | undefined {
  if (groupRef === undefined || groupRef === null) return groupRef;
  const { entry, unknown } = resolveRef(componentCatalogue(db), groupRef, path, 'group');
  if (unknown) throw unknownRefs([unknown], 'unknown_group');
  return entry.kind === 'group' ? entry.group.id : null;
}

/**
 * Sets a component's status and records the change as a status event. A no-op when the status
 * does not change. Returns the previous status.
 */
export function setComponentStatus(
  db: Db,
  component: Pick<ComponentRow, 'id' | 'status'>,
  status: ComponentStatus,
  at: Date,
  cause: { kind: StatusEventCause; id?: string | null },
): ComponentStatus {
  const previous = component.status;
  if (previous === status) return previous;
  db.update(components).set({ status, updatedAt: at }).where(eq(components.id, component.id)).run();
  noteChange(db, 'component');
  db.insert(componentStatusEvents)
    .values({
      componentId: component.id,
      previousStatus: previous,
      status,
      at,
      causeKind: cause.kind,
      causeId: cause.id ?? null,
    })
    .run();
  publish(db, {
    type: 'component.status_changed',
    componentId: component.id,
    oldStatus: previous,
    newStatus: status,
    cause,
    at,
  });
  return previous;
}

const position = z.number({ error: 'La posición debe ser un número entero.' }).int().min(0).max(100_000);
const groupFields = {
  name: nameText('Escriba un nombre.'),
  slug: slug.optional(),
  description: noteText('La descripción').nullable().optional(),
  position: position.optional(),
};

/** An area (group): its name, optional slug (derived from the name), description and position. */
export const createGroupInput = z.strictObject(groupFields);
export const updateGroupInput = createGroupInput.partial();
export type GroupInput = z.input<typeof createGroupInput>;

export function createGroup(db: Db, raw: GroupInput, { now, actor }: CommandContext): GroupRow {
  const input = parseInput(createGroupInput, raw);
  return runCommand(db, () => {
    const slug = input.slug ?? slugify(input.name);
    if (!slug)
      throw new CommandError(422, 'validation_failed', 'El nombre no produce un identificador válido.', [
        { path: 'slug', message: 'Indique un identificador (letras, números y guiones).' },
      ]);
    assertSlugFree(db, slug, 'slug');
    const position =
      input.position ??
      db
        .select({ n: sql<number>`coalesce(max(${componentGroups.position}), 0) + 1` })
        .from(componentGroups)
        .get()?.n ??
      1;
    const row = db
      .insert(componentGroups)
      .values({
        id: newId(),
        slug,
        name: input.name,
        description: input.description ?? null,
        position,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    recordAudit(db, actor, 'group.create', { type: 'group', id: row.id }, now, input);
    return row;
  });
}

export function updateGroup(
  db: Db,
  idOrSlug: string,
  raw: z.input<typeof updateGroupInput>,
  { now, actor }: CommandContext,
): GroupRow {
  const patch = parseInput(updateGroupInput, raw);
  return runCommand(db, () => {
    const group = findGroup(db, idOrSlug);
    if (!group) throw notFound('el grupo', idOrSlug);
    if (patch.slug !== undefined && patch.slug !== group.slug) assertSlugFree(db, patch.slug, 'slug', group.id);
    recordAudit(db, actor, 'group.update', { type: 'group', id: group.id }, now, patch);
    return db
      .update(componentGroups)
      .set({
        name: patch.name ?? group.name,
        slug: patch.slug ?? group.slug,
        description: patch.description === undefined ? group.description : patch.description,
        position: patch.position ?? group.position,
        updatedAt: now,
      })
      .where(eq(componentGroups.id, group.id))
      .returning()
      .get();
  });
}

/** A component: like an area, plus the area it belongs to (`group`, id or slug; null for none) and its status. */
export const createComponentInput = z.strictObject({
  ...groupFields,
  group: ref.nullable().optional(),
  status: z.enum(componentStatuses).optional(),
});
export const updateComponentInput = createComponentInput.partial();
export type ComponentInput = z.input<typeof createComponentInput>;

export function createComponent(
  db: Db,
  raw: ComponentInput,
  { now, actor }: CommandContext,
  cause: StatusEventCause = 'manual',
): ComponentRow {
  const input = parseInput(createComponentInput, raw);
  return runCommand(db, () => {
    const slug = input.slug ?? slugify(input.name);
    if (!slug)
      throw new CommandError(422, 'validation_failed', 'El nombre no produce un identificador válido.', [
        { path: 'slug', message: 'Indique un identificador (letras, números y guiones).' },
      ]);
    assertSlugFree(db, slug, 'slug');
    const groupId = resolveGroupId(db, input.group, 'group') ?? null;
    const position =
      input.position ??
      db
        .select({ n: sql<number>`coalesce(max(${components.position}), 0) + 1` })
        .from(components)
        .get()?.n ??
      1;
    const status = input.status ?? 'operational';
    const row = db
      .insert(components)
      .values({
        id: newId(),
        slug,
        name: input.name,
        description: input.description ?? null,
        groupId,
        position,
        status,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    // The first event starts the component's history: uptime counts from here.
    db.insert(componentStatusEvents)
      .values({ componentId: row.id, previousStatus: null, status, at: now, causeKind: cause, causeId: null })
      .run();
    recordAudit(db, actor, 'component.create', { type: 'component', id: row.id, changed: 'created' }, now, input);
    return row;
  });
}

export function updateComponent(
  db: Db,
  idOrSlug: string,
  raw: z.input<typeof updateComponentInput>,
  { now, actor }: CommandContext,
): ComponentRow {
  const patch = parseInput(updateComponentInput, raw);
  return runCommand(db, () => {
    const component = findComponent(db, idOrSlug);
    if (!component) throw notFound('el componente', idOrSlug);
    if (patch.slug !== undefined && patch.slug !== component.slug) assertSlugFree(db, patch.slug, 'slug', component.id);
    const groupId = patch.group === undefined ? component.groupId : (resolveGroupId(db, patch.group, 'group') ?? null);
    if (patch.status !== undefined) setComponentStatus(db, component, patch.status, now, { kind: 'manual' });
    recordAudit(
      db,
      actor,
      'component.update',
      { type: 'component', id: component.id, changed: changedComponentFields(patch) },
      now,
      patch,
    );
    return db
      .update(components)
      .set({
        name: patch.name ?? component.name,
        slug: patch.slug ?? component.slug,
        description: patch.description === undefined ? component.description : patch.description,
        groupId,
        position: patch.position ?? component.position,
        updatedAt: now,
      })
      .where(eq(components.id, component.id))
      .returning()
      .get();
  });
}
