// Statuspage v2 JSON, field for field (see DESIGN.md). SOMNET's own fields live under `somnet`
// so a standard field never changes meaning. Pure functions over the view models the pages use.
import type { ComponentView, GroupView, IncidentView, IncidentUpdateView } from '#db/queries/index.ts';
import { ETA_UNKNOWN, TIME_ZONE } from '#db/enums.ts';
import { formatDateTime, ZONE_LABEL } from '#db/domain/time.ts';

export const PAGE_ID = 'somnet';
export const PAGE_NAME = 'SOMNET';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export interface PageContext {
  publicUrl: string;
  updatedAt: Date;
}

export function v2Page(ctx: PageContext) {
  return { id: PAGE_ID, name: PAGE_NAME, url: ctx.publicUrl, time_zone: TIME_ZONE, updated_at: iso(ctx.updatedAt) };
}

export function v2Component(c: ComponentView) {
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    created_at: iso(c.createdAt),
    updated_at: iso(c.updatedAt),
    position: c.position,
    description: c.description,
    showcase: true,
    start_date: c.createdAt.toISOString().slice(0, 10),
    group_id: c.groupId,
    page_id: PAGE_ID,
    group: false,
    only_show_if_degraded: false,
    somnet: { slug: c.slug, full_name: c.fullName, status_label: c.statusLabel },
  };
}

export function v2Group(g: GroupView) {
  return {
    id: g.id,
    name: g.name,
    status: g.status,
    created_at: iso(g.createdAt),
    updated_at: iso(g.updatedAt),
    position: g.position,
    description: g.description,
    showcase: false,
    start_date: null,
    group_id: null,
    page_id: PAGE_ID,
    group: true,
    only_show_if_degraded: false,
    components: g.components.map((c) => c.id),
    somnet: { slug: g.slug, status_label: g.statusLabel },
  };
}

/** Statuspage lists groups and their children in one flat array, groups first in position order. */
export function v2ComponentList(groups: GroupView[], ungrouped: ComponentView[]) {
  return [...groups.flatMap((g) => [v2Group(g), ...g.components.map(v2Component)]), ...ungrouped.map(v2Component)];
}

export function v2IncidentUpdate(u: IncidentUpdateView) {
  return {
    id: u.id,
    status: u.status,
    body: u.body,
    incident_id: u.incidentId,
    created_at: iso(u.createdAt),
    updated_at: iso(u.createdAt),
    display_at: iso(u.displayAt),
    affected_components: u.transitions.map((t) => ({
      code: t.componentId,
      name: t.name,
      old_status: t.oldStatus,
      new_status: t.newStatus,
    })),
    deliver_notifications: u.deliverNotifications,
    somnet: { status_label: u.statusLabel, cause: u.cause, eta: iso(u.eta) },
  };
}

export function v2Incident(i: IncidentView, publicUrl: string) {
  const url = `${publicUrl}/incidentes/${i.id}`;
  return {
    id: i.id,
    name: i.name,
    status: i.status,
    created_at: iso(i.createdAt),
    updated_at: iso(i.updatedAt),
    monitoring_at: iso(i.monitoringAt),
    resolved_at: iso(i.resolvedAt),
    impact: i.impact,
    shortlink: url,
    started_at: iso(i.startedAt),
    page_id: PAGE_ID,
    incident_updates: i.updates.map(v2IncidentUpdate),
    components: i.components.map(v2Component),
    somnet: {
      url,
      status_label: i.statusLabel,
      impact_label: i.impactLabel,
      cause: i.cause,
      eta: iso(i.eta),
      /** The ETA as the page says it: the time, or «Por confirmar» while there is none. */
      eta_text: i.resolvedAt ? null : i.eta ? `${formatDateTime(i.eta)} (${ZONE_LABEL})` : ETA_UNKNOWN,
    },
  };
}
