import { asc } from 'drizzle-orm';
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
  const groupRows = db.select().from(componentGroups).orderBy(asc(componentGroups.position), asc(componentGroups.name)).all();
  const componentRows = db.select().from(components).orderBy(asc(components.position), asc(components.name)).all();
  const groupNames = new Map(groupRows.map((g) => [g.id, g.name]));
  const views: ComponentView[] = componentRows.map((c) => {
    const groupName = c.groupId ? groupNames.get(c.groupId) ?? null : null;
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
