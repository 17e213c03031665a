// The month's availability as JSON (GET /api/v1/reports/availability) and CSV (the same with
// format=csv, and the public /disponibilidad/AAAA-MM.csv): the figures of /disponibilidad, from
// the same report (db/queries/availability.ts), with more decimals.
import { csvDocument } from './csv.ts';
import { PARTIAL_OUTAGE_WEIGHT, type AvailabilityTally } from '#db/domain/availability.ts';
import { MIN_NOTICE_MS } from '#db/domain/maintenance.ts';
import { TIME_ZONE } from '#db/enums.ts';
import { formatLocalIso } from '#db/domain/time.ts';
import type { ComponentAvailability, IncidentRef, MonthAvailability, ServiceMonth } from '#db/queries/index.ts';

/** Percentages to 4 decimals, cut rather than rounded: a figure never reads better than it was. */
export function percentFigure(percent: number | null): number | null {
  return percent === null ? null : Math.floor(percent * 10_000) / 10_000;
}

const minutesFigure = (m: number) => Math.round(m * 100) / 100;

function minutesJson(t: AvailabilityTally) {
  return {
    observed: minutesFigure(t.observed),
    without_service: minutesFigure(t.major),
    intermittent: minutesFigure(t.partial),
    degraded: minutesFigure(t.degraded),
    maintenance_announced: minutesFigure(t.maintenance),
    maintenance_unannounced: minutesFigure(t.unannouncedMaintenance),
    unavailable: minutesFigure(t.down),
  };
}

const incidentJson = (i: IncidentRef, publicUrl: string) => ({
  id: i.id,
  name: i.name,
  url: `${publicUrl}/incidentes/${i.id}`,
});

function componentJson(c: ComponentAvailability, publicUrl: string) {
  return {
    id: c.component.id,
    slug: c.component.slug,
    name: c.component.name,
    full_name: c.component.fullName,
    availability_percent: percentFigure(c.percent),
    minutes: minutesJson(c.tally),
    incidents: c.incidents.map((i) => incidentJson(i, publicUrl)),
  };
}

export function availabilityJson(m: MonthAvailability, publicUrl: string) {
  return {
    month: m.month,
    time_zone: TIME_ZONE,
    from: m.from.toISOString(),
    to: m.to.toISOString(),
    complete: m.complete,
    method: {
      partial_outage_weight: PARTIAL_OUTAGE_WEIGHT,
      maintenance_notice_hours: MIN_NOTICE_MS / 3_600_000,
      url: `${publicUrl}/disponibilidad/${m.month}#metodo`,
    },
    network: {
      availability_percent: percentFigure(m.network.percent),
      minutes: minutesJson(m.network.tally),
      incidents: m.network.incidents.length,
    },
    groups: m.groups.map((g) => ({
      id: g.id,
      slug: g.slug,
      name: g.name,
      availability_percent: percentFigure(g.percent),
      minutes: minutesJson(g.tally),
      incidents: g.incidents.map((i) => incidentJson(i, publicUrl)),
      components: g.components.map((c) => componentJson(c, publicUrl)),
    })),
    ungrouped: m.ungrouped.map((c) => componentJson(c, publicUrl)),
  };
}

export const AVAILABILITY_CSV_COLUMNS = [
  'mes',
  'nivel',
  'zona',
  'servicio',
  'slug',
  'disponibilidad_pct',
  'minutos_medidos',
  'minutos_sin_servicio',
  'minutos_intermitencia',
  'minutos_baja_velocidad',
  'minutos_mantenimiento_avisado',
  'minutos_mantenimiento_sin_aviso',
  'minutos_indisponibles',
  'incidentes',
  'cifras_hasta',
] as const;

/**
 * One row for the whole network, one per area and one per component. A byte-order mark first,
 * so that a spreadsheet opened with a double click reads the accents as UTF-8. `cifras_hasta`
 * says up to when the minutes count (the month's end, or the minute a month in progress was
 * computed to), in Mexico City time with its offset.
 */
export function availabilityCsv(m: MonthAvailability): string {
  const row = (
    level: string,
    area: string,
    service: string,
    slug: string,
    percent: number | null,
    t: AvailabilityTally,
    incidents: number,
  ) => [
    m.month,
    level,
    area,
    service,
    slug,
    percentFigure(percent) ?? '',
    minutesFigure(t.observed),
    minutesFigure(t.major),
    minutesFigure(t.partial),
    minutesFigure(t.degraded),
    minutesFigure(t.maintenance),
    minutesFigure(t.unannouncedMaintenance),
    minutesFigure(t.down),
    incidents,
    formatLocalIso(m.to),
  ];
  const records = [row('red', '', 'Toda la red', '', m.network.percent, m.network.tally, m.network.incidents.length)];
  for (const g of m.groups) {
    records.push(row('zona', g.name, '', g.slug, g.percent, g.tally, g.incidents.length));
    for (const c of g.components)
      records.push(row('servicio', g.name, c.component.name, c.component.slug, c.percent, c.tally, c.incidents.length));
  }
  for (const c of m.ungrouped)
    records.push(row('servicio', '', c.component.name, c.component.slug, c.percent, c.tally, c.incidents.length));
  return csvDocument(AVAILABILITY_CSV_COLUMNS, records);
}

/** Every service's month for billing (NOC only: company and customer are in it). */
export function servicesJson(month: string, list: ServiceMonth[], publicUrl: string) {
  return {
    month,
    time_zone: TIME_ZONE,
    services: list.map((s) => ({
      service_id: s.service.serviceId,
      customer_id: s.service.customerId,
      company: s.service.company,
      label: s.service.label,
      technology: s.service.technology,
      component: s.component ? { id: s.component.id, slug: s.component.slug, full_name: s.component.fullName } : null,
      from: s.from.toISOString(),
      to: s.to.toISOString(),
      complete: s.complete,
      availability_percent: percentFigure(s.percent),
      minutes: minutesJson(s.tally),
      incidents: s.events.filter((e) => e.kind === 'incident').map((e) => e.id),
      maintenances: s.events.filter((e) => e.kind === 'maintenance').map((e) => e.id),
      monthly_price_mxn: s.compensation?.monthlyPrice ?? null,
      compensation_estimate_mxn: s.compensation
        ? { proportional: s.compensation.proportional, bonus: s.compensation.bonus, total: s.compensation.total }
        : null,
      statement_url: `${publicUrl}/mi-servicio/${encodeURIComponent(s.service.serviceId)}/reporte/${month}`,
    })),
  };
}

export const SERVICES_CSV_COLUMNS = [
  'mes',
  'servicio',
  'cliente',
  'empresa',
  'etiqueta',
  'tecnologia',
  'componente',
  'disponibilidad_pct',
  'minutos_medidos',
  'minutos_sin_servicio',
  'minutos_intermitencia',
  'minutos_mantenimiento_avisado',
  'minutos_indisponibles',
  'incidentes',
  'mantenimientos',
  'renta_mensual_mxn',
  'bonificacion_estimada_mxn',
  'cifras_hasta',
] as const;

export function servicesCsv(month: string, list: ServiceMonth[]): string {
  const records = list.map((s) => [
    month,
    s.service.serviceId,
    s.service.customerId,
    s.service.company,
    s.service.label,
    s.service.technology,
    s.component?.slug ?? '',
    percentFigure(s.percent) ?? '',
    minutesFigure(s.tally.observed),
    minutesFigure(s.tally.major),
    minutesFigure(s.tally.partial),
    minutesFigure(s.tally.maintenance),
    minutesFigure(s.tally.down),
    s.events.filter((e) => e.kind === 'incident').length,
    s.events.filter((e) => e.kind === 'maintenance').length,
    s.compensation?.monthlyPrice ?? '',
    s.compensation?.total ?? '',
    formatLocalIso(s.to),
  ]);
  return csvDocument(SERVICES_CSV_COLUMNS, records);
}
