// The month of each customer service (the per-service statement /mi-servicio/:id/reporte/AAAA-MM
// and GET /api/v1/reports/services): its component's timeline, worsened while an incident or
// maintenance named one of its network elements, measured by the availability rule; the
// incidents and windows that touched it (the affected-services rule, db/domain/affectedServices.ts); and, with a
// monthly price, the compensation NOM-184 implies.
import type { Db } from '../client.ts';
import { scopeMatcher, type AffectedReason } from '../domain/affectedServices.ts';
import {
  availabilityPercent,
  availabilityTally,
  compensationEstimate,
  overlayTimeline,
  statusForImpact,
  type AvailabilityTally,
  type MaintenanceSpan,
  type StatusOverlay,
} from '../domain/availability.ts';
import { incidentsOverlapping, maintenancesInProgressBetween, statusTimelines } from './availability.ts';
import { componentCatalogue, type ComponentView } from './catalog.ts';
import { monthBounds } from './history.ts';
import { listServices, serviceById, serviceFootprints, type ServiceView } from './services.ts';

const MINUTE = 60_000;

export interface ServiceEvent {
  kind: 'incident' | 'maintenance';
  id: string;
  name: string;
  start: Date;
  /** Null while still open. */
  end: Date | null;
  /** Inside the month (up to its end, or now). */
  durationMs: number;
  reasons: AffectedReason[];
  /** Maintenance only: an emergency window. */
  emergency?: boolean;
  /** Maintenance only: announced 72 h ahead (its minutes are left out of the measure). */
  announced?: boolean;
}

export interface ServiceMonth {
  service: ServiceView;
  component: ComponentView | null;
  month: string;
  from: Date;
  to: Date;
  complete: boolean;
  /** Minutes in the calendar month: what the monthly price pays for. */
  monthMinutes: number;
  tally: AvailabilityTally;
  percent: number | null;
  events: ServiceEvent[];
  /** Null without a monthly price in the inventory. */
  compensation: { monthlyPrice: number; proportional: number; bonus: number; total: number } | null;
}

/**
 * Every service's month (or one service's: `serviceId`), up to `now`. Unlike /disponibilidad
 * (a file of the published snapshot, measured to the last full hour so it is not rewritten every
 * minute), the statement and the billing report are answered by Node on each request: an
 * incident open right now must be on the customer's statement.
 */
export function serviceMonths(db: Db, month: string, now: Date, filter: { serviceId?: string } = {}): ServiceMonth[] {
  const list =
    filter.serviceId !== undefined
      ? [serviceById(db, filter.serviceId)].filter((s): s is ServiceView => s !== null)
      : listServices(db);
  if (list.length === 0) return [];
  const catalogue = componentCatalogue(db);
  const footprints = new Map(serviceFootprints(db).map((f) => [f.serviceId, f]));
  const bounds = monthBounds(month);
  const nowMs = now.getTime();
  const to = Math.min(bounds.to.getTime(), nowMs);
  const from = bounds.from.getTime();
  const componentIds = [...new Set(list.map((s) => s.componentId))];
  const timelines = statusTimelines(db, componentIds, bounds.from, new Date(to + 1));
  const incidents = incidentsOverlapping(db, bounds.from, new Date(to));
  const incidentElements = db.$client.prepare('SELECT element FROM incident_elements WHERE incident_id = ?').pluck();
  const incidentScopes = incidents.map((i) => ({
    incident: i,
    match: scopeMatcher({ componentIds: i.componentIds, elements: incidentElements.all(i.id) as string[] }),
  }));
  const windows = maintenancesInProgressBetween(db, bounds.from, new Date(to), now).map((m) => ({
    m,
    match: scopeMatcher({ componentIds: m.componentIds, elements: m.elements }),
  }));
  const clip = (a: number, b: number | null) => Math.max(0, Math.min(b ?? to, to) - Math.max(a, from));

  return list.map((service) => {
    const footprint = footprints.get(service.serviceId) ?? {
      serviceId: service.serviceId,
      componentId: service.componentId,
      groupId: null,
      elements: service.elements,
    };
    const events: ServiceEvent[] = [];
    const overlays: StatusOverlay[] = [];
    const spans: MaintenanceSpan[] = [];
    for (const { incident, match } of incidentScopes) {
      const hit = match(footprint);
      if (!hit) continue;
      events.push({
        kind: 'incident',
        id: incident.id,
        name: incident.name,
        start: new Date(incident.startedAt),
        end: incident.resolvedAt === null ? null : new Date(incident.resolvedAt),
        durationMs: clip(incident.startedAt, incident.resolvedAt),
        reasons: hit.reasons,
      });
      // Through its component the timeline already shows it; through an element only, it holds the service by its criticality.
      if (!hit.reasons.includes('component') && !hit.reasons.includes('area')) {
        overlays.push({
          from: incident.startedAt,
          until: incident.resolvedAt ?? to,
          status: statusForImpact[incident.impact],
        });
      }
    }
    for (const { m, match } of windows) {
      const hit = match(footprint);
      if (!hit) continue;
      const start = m.record.startedAt!.getTime();
      const end = m.record.endedAt?.getTime() ?? null;
      events.push({
        kind: 'maintenance',
        id: m.id,
        name: m.name,
        start: new Date(start),
        end: end === null ? null : new Date(end),
        durationMs: clip(start, end),
        reasons: hit.reasons,
        emergency: m.emergency,
        announced: m.spans.some((s) => s.announced),
      });
      spans.push(...m.spans);
      if (!hit.reasons.includes('component') && !hit.reasons.includes('area') && m.record.impactKind !== 'no_impact') {
        overlays.push({ from: start, until: end ?? to, status: 'under_maintenance' });
      }
    }
    events.sort((a, b) => a.start.getTime() - b.start.getTime());
    const timeline = overlayTimeline(timelines.get(service.componentId) ?? [], overlays);
    const tally = availabilityTally(timeline, spans, from, to);
    const monthMinutes = (bounds.to.getTime() - from) / MINUTE;
    const price = service.monthlyPriceMxn;
    return {
      service,
      component: catalogue.byId.get(service.componentId) ?? null,
      month,
      from: bounds.from,
      to: new Date(to),
      complete: bounds.to.getTime() <= nowMs,
      monthMinutes,
      tally,
      percent: availabilityPercent(tally),
      events,
      compensation:
        price === null ? null : { monthlyPrice: price, ...compensationEstimate(price, tally.down, monthMinutes) },
    };
  });
}
