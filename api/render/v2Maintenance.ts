// Statuspage v2 scheduled-maintenance JSON: the incident fields plus scheduled_for,
// scheduled_until and impact "maintenance" (DESIGN.md). SOMNET's extras live under `somnet`.
import type { MaintenanceView } from '#db/queries/index.ts';
import { PAGE_ID, v2Component } from './v2.ts';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function v2Maintenance(m: MaintenanceView, publicUrl: string) {
  const url = `${publicUrl}/mantenimiento/${m.id}`;
  return {
    id: m.id,
    name: m.name,
    status: m.status,
    created_at: iso(m.createdAt),
    updated_at: iso(m.updatedAt),
    monitoring_at: iso(m.verifyingAt),
    resolved_at: iso(m.completedAt ?? m.cancelledAt),
    impact: 'maintenance' as const,
    shortlink: url,
    started_at: iso(m.startedAt ?? m.scheduledFor),
    page_id: PAGE_ID,
    incident_updates: m.updates.map((u) => ({
      id: u.id,
      status: u.status,
      body: u.body,
      incident_id: m.id,
      created_at: iso(u.createdAt),
      updated_at: iso(u.createdAt),
      display_at: iso(u.createdAt),
      affected_components: u.transitions.map((t) => ({
        code: t.componentId,
        name: t.name,
        old_status: t.oldStatus,
        new_status: t.newStatus,
      })),
      deliver_notifications: true,
      somnet: { kind: u.kind, status_label: u.statusLabel },
    })),
    components: m.components.map(v2Component),
    scheduled_for: iso(m.scheduledFor),
    scheduled_until: iso(m.scheduledUntil),
    somnet: {
      url,
      ics_url: `${url}.ics`,
      status_label: m.statusLabel,
      impact_kind: m.impactKind,
      impact_label: m.impactLabel,
      emergency: m.emergency,
      emergency_reason: m.emergencyReason,
      low_impact_window: m.lowImpactWindow,
      auto_transition: m.autoTransition,
      notice_hours: Math.floor(m.noticeMs / 3_600_000),
      reschedules: m.scheduleChanges.map((c) => ({
        previous_for: iso(c.previousFor),
        previous_until: iso(c.previousUntil),
        scheduled_for: iso(c.newFor),
        scheduled_until: iso(c.newUntil),
        reason: c.reason,
        at: iso(c.at),
      })),
    },
  };
}
