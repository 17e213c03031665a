import { asc, inArray } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { componentStatusLabels, type ComponentStatus } from '../enums.ts';
import { worstStatus } from '../domain/rollup.ts';
import { componentGroups, components } from '../schema/index.ts';

export interface ComponentView {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  groupId: string | null;
  groupName: string | null;
  /** "Metepec · Fibra óptica": the name a customer recognises out of context. */
  fullName: string;
  position: number;
  status: ComponentStatus;
  statusLabel: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface GroupView {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  position: number;
  status: ComponentStatus;
  statusLabel: string;
  components: ComponentView[];
  createdAt: Date;
  updatedAt: Date;
}

export interface Catalogue {
  groups: GroupView[];
  ungrouped: ComponentView[];
  /** Every component, groups' children first in display order. */
  all: ComponentView[];
  byId: Map<string, ComponentView>;
}

/** The whole catalogue in display order, with each group's worst status. */
export function componentCatalogue(db: Db): Catalogue {
  // A render worker's snapshot (keepCatalogue): from memory, as `catalogueOf` answers. A full
  // publish asks for the whole catalogue twice per feed of each of hundreds of components.
  const kept = keptCatalogues.get(db);
  if (kept) return assemble(byPosition(kept.groups), byPosition(kept.components));
  const groupRows = db
    .select()
    .from(componentGroups)
    .orderBy(asc(componentGroups.position), asc(componentGroups.name))
    .all();
  const componentRows = db.select().from(components).orderBy(asc(components.position), asc(components.name)).all();
  return assemble(groupRows, componentRows);
}

/** The catalogue's views from its rows, each list already in display order. */
function assemble(groupRows: GroupRow[], componentRows: ComponentRow[]): Catalogue {
  const groupNames = new Map(groupRows.map((g) => [g.id, g.name]));
  const views: ComponentView[] = componentRows.map((c) => {
    const groupName = c.groupId ? (groupNames.get(c.groupId) ?? null) : null;
    return {
      id: c.id,
      slug: c.slug,
      name: c.name,
      description: c.description,
      groupId: c.groupId,
      groupName,
      fullName: groupName ? `${groupName} · ${c.name}` : c.name,
      position: c.position,
      status: c.status,
      statusLabel: componentStatusLabels[c.status],
      createdAt: c.createdAt,
      updatedAt: c.updatedAt,
    };
  });
  const groups: GroupView[] = groupRows.map((g) => {
    const children = views.filter((c) => c.groupId === g.id);
    const status = worstStatus(children.map((c) => c.status));
    return { ...g, status, statusLabel: componentStatusLabels[status], components: children };
  });
  const ungrouped = views.filter((c) => !c.groupId);
  const all = [...groups.flatMap((g) => g.components), ...ungrouped];
  return { groups, ungrouped, all, byId: new Map(all.map((c) => [c.id, c])) };
}

/**
 * The part of the catalogue that `componentIds` name, in the whole catalogue's display order:
 * what one incident's page needs (its components and their areas), without loading all 200
 * components for it. Each group holds only the given components, so a group's `status` here is
 * theirs, not the area's: read an area's status from `componentCatalogue`.
 */
export function catalogueOf(db: Db, componentIds: readonly string[]): Catalogue {
  const wanted = [...new Set(componentIds)];
  if (wanted.length === 0) return { groups: [], ungrouped: [], all: [], byId: new Map() };
  const kept = keptCatalogues.get(db);
  const componentRows = kept
    ? kept.components.filter((c) => wanted.includes(c.id))
    : db.select().from(components).where(inArray(components.id, wanted)).all();
  const groupIds = [...new Set(componentRows.map((c) => c.groupId).filter((g): g is string => g !== null))];
  const groupRows = kept
    ? kept.groups.filter((g) => groupIds.includes(g.id))
    : groupIds.length === 0
      ? []
      : db.select().from(componentGroups).where(inArray(componentGroups.id, groupIds)).all();
  return assemble(byPosition(groupRows), byPosition(componentRows));
}

/** The catalogue's rows in id order (the order SQLite returns an `id IN (…)` lookup in). */
const keptCatalogues = new WeakMap<Db, { components: ComponentRow[]; groups: GroupRow[] }>();
const byId = <T extends { id: string }>(rows: T[]) => rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/**
 * Keeps the catalogue's rows in memory, so that `catalogueOf` and `componentCatalogue` answer without a query until
 * `forgetCatalogue`: for a render worker's batch of history pages, read in one transaction (one
 * snapshot), never for a connection that writes.
 */
export function keepCatalogue(db: Db): void {
  keptCatalogues.set(db, {
    components: byId(db.select().from(components).all()),
    groups: byId(db.select().from(componentGroups).all()),
  });
}

export function forgetCatalogue(db: Db): void {
  keptCatalogues.delete(db);
}

/** Whether `keepCatalogue` holds the catalogue's rows for this connection. */
export function catalogueKept(db: Db): boolean {
  return keptCatalogues.has(db);
}

type GroupRow = typeof componentGroups.$inferSelect;
type ComponentRow = typeof components.$inferSelect;

/** Groups then components, each by position then name (the order every page lists them in). */
function byPosition<T extends { position: number; name: string }>(rows: T[]): T[] {
  return [...rows].sort((a, b) => a.position - b.position || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** What a reference may name: a component, an area (group), or either. */
export type RefKind = 'component' | 'group' | 'any';

export type CatalogueEntry = { kind: 'component'; component: ComponentView } | { kind: 'group'; group: GroupView };

/**
 * A component or an area by id or slug. Components and groups share one slug namespace
 * (`/componentes/:slug/…` serves both), so at most one of them answers to a slug.
 */
export function findInCatalogue(catalogue: Catalogue, ref: string, accept: RefKind = 'any'): CatalogueEntry | null {
  if (accept !== 'group') {
    const component = catalogue.all.find((c) => c.id === ref || c.slug === ref);
    if (component) return { kind: 'component', component };
  }
  if (accept !== 'component') {
    const group = catalogue.groups.find((g) => g.id === ref || g.slug === ref);
    if (group) return { kind: 'group', group };
  }
  return null;
}

const refKindNames: Record<RefKind, string> = {
  component: 'el componente',
  group: 'la zona',
  any: 'un componente ni una zona',
};

/** The one message for a reference that names nothing: "No existe la zona «atlantida» en el catálogo." */
export function unknownRefMessage(ref: string, accept: RefKind): string {
  return `No existe ${refKindNames[accept]} «${ref}» en el catálogo.`;
}

export interface UnknownRef {
  /** Where the reference was given: `components.3` in a list, `components.<ref>` as a map key. */
  path: string;
  ref: string;
  message: string;
}

export interface ResolvedRefs {
  /** Each reference that exists, in the order given, with what it names. */
  found: Array<{ path: string; ref: string; entry: CatalogueEntry }>;
  unknown: UnknownRef[];
}

/**
 * The one resolver for "a component or an area, by id or slug". References come as a list
 * (errors at `<path>.<index>`) or as the keys of a map (errors at `<path>.<ref>`, the key being
 * where the bad value sits). Commands turn `unknown` into their 422 (db/commands/errors.ts).
 */
export function resolveRefs(
  catalogue: Catalogue,
  refs: readonly string[] | Readonly<Record<string, unknown>>,
  path: string,
  accept: RefKind,
): ResolvedRefs {
  const list: Array<[string, string]> = Array.isArray(refs)
    ? refs.map((r, i) => [String(i), r])
    : Object.keys(refs).map((r) => [r, r]);
  const result: ResolvedRefs = { found: [], unknown: [] };
  for (const [segment, ref] of list) {
    const entry = findInCatalogue(catalogue, ref, accept);
    const at = `${path}.${segment}`;
    if (entry) result.found.push({ path: at, ref, entry });
    else result.unknown.push({ path: at, ref, message: unknownRefMessage(ref, accept) });
  }
  return result;
}

/** One reference given as a field of its own: its entry, or the problem at `path`. */
export function resolveRef(
  catalogue: Catalogue,
  ref: string,
  path: string,
  accept: RefKind,
): { entry: CatalogueEntry; unknown?: undefined } | { entry?: undefined; unknown: UnknownRef } {
  const entry = findInCatalogue(catalogue, ref, accept);
  return entry ? { entry } : { unknown: { path, ref, message: unknownRefMessage(ref, accept) } };
}

/** Component ids of resolved references, an area standing for its components; in order, without repeats. */
export function expandedComponentIds(found: ResolvedRefs['found']): string[] {
  const ids = new Set<string>();
  for (const { entry } of found) {
    if (entry.kind === 'component') ids.add(entry.component.id);
    else for (const c of entry.group.components) ids.add(c.id);
  }
  return [...ids];
}
