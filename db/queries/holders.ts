import { asc, desc, eq, isNull, inArray } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { WINDOW_IN_PROGRESS } from '../domain/maintenance.ts';
import type { ComponentStatus } from '../enums.ts';
import { incidentComponents, incidents, maintenanceComponents, maintenances } from '../schema/index.ts';

/** What holds a component now: an open incident or a maintenance window in progress. */
export type ComponentHolder =
  | { kind: 'incident'; id: string; name: string; startedAt: Date }
  | {
      kind: 'maintenance';
      id: string;
      name: string;
      startedAt: Date;
      /** The window moves its components' status itself (auto_transition). */
      autoTransition: boolean;
      /** What the window will give its component back when it ends (null until it has held it). */
      previousStatus: ComponentStatus | null;
    };

/**
 * Who holds each component: per component id, its open incidents (latest start first), then the
 * maintenance windows in progress (earliest first). The one answer to "may this component change
 * by itself?", read by the alert intake, incident resolution, the maintenance scheduler and the
 * console. Two small queries: open incidents and windows in progress are few.
 */
export function componentHolders(db: Db): Map<string, ComponentHolder[]> {
  const holders = new Map<string, ComponentHolder[]>();
  const add = (componentId: string, holder: ComponentHolder) => {
    const list = holders.get(componentId);
    if (list) list.push(holder);
    else holders.set(componentId, [holder]);
  };
  const open = db
    .select({
      componentId: incidentComponents.componentId,
      id: incidents.id,
      name: incidents.name,
      startedAt: incidents.startedAt,
    })
    .from(incidentComponents)
    .innerJoin(incidents, eq(incidents.id, incidentComponents.incidentId))
    .where(isNull(incidents.resolvedAt))
    .orderBy(desc(incidents.startedAt), desc(incidents.id))
    .all();
  for (const { componentId, ...incident } of open) add(componentId, { kind: 'incident', ...incident });
  const windows = db
    .select({
      componentId: maintenanceComponents.componentId,
      id: maintenances.id,
      name: maintenances.name,
      startedAt: maintenances.startedAt,
      scheduledFor: maintenances.scheduledFor,
      autoTransition: maintenances.autoTransition,
      previousStatus: maintenanceComponents.previousStatus,
    })
    .from(maintenanceComponents)
    .innerJoin(maintenances, eq(maintenances.id, maintenanceComponents.maintenanceId))
    .where(inArray(maintenances.status, WINDOW_IN_PROGRESS))
    .orderBy(asc(maintenances.scheduledFor), asc(maintenances.id))
    .all();
  for (const { componentId, scheduledFor, startedAt, ...window } of windows)
    add(componentId, { kind: 'maintenance', startedAt: startedAt ?? scheduledFor, ...window });
  return holders;
}

/** The open incident holding any of these components that started last, if any. */
export function openIncidentHolding(
  holders: ReadonlyMap<string, readonly ComponentHolder[]>,
  componentIds: Iterable<string>,
): ComponentHolder | undefined {
  let latest: ComponentHolder | undefined;
  for (const id of componentIds)
    for (const h of holders.get(id) ?? [])
      if (h.kind === 'incident' && (!latest || h.startedAt > latest.startedAt)) latest = h;
  return latest;
}

/** The maintenance window in progress holding this component, if any (the earliest). */
export function windowHolding(
  holders: ReadonlyMap<string, readonly ComponentHolder[]>,
  componentId: string,
): Extract<ComponentHolder, { kind: 'maintenance' }> | undefined {
  return holders.get(componentId)?.find((h) => h.kind === 'maintenance');
}
