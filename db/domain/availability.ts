// Availability: the one rule behind the 90-day bars on `/`, /disponibilidad, its CSV and the
// reports API. Pure functions over a component's status changes and the maintenance windows
// that touched it; the month and day edges are passed in (local midnights, America/Mexico_City).
import type { ComponentStatus, IncidentImpact, MaintenanceImpactKind } from '../enums.ts';
import { hasEnoughNotice, MIN_NOTICE_MS, windowAt } from './maintenance.ts';
import { worstStatus } from './rollup.ts';
import type { StatusPoint } from './timeline.ts';

export type { StatusPoint } from './timeline.ts';

const MINUTE = 60_000;

/** A partial outage counts as 30 % unavailable, as Statuspage does. */
export const PARTIAL_OUTAGE_WEIGHT = 0.3;

/**
 * A stretch of a maintenance window as the availability rule sees it. `announced`: customers
 * were told of this stretch at least 72 h before the window began (manual 4.2) and it was not
 * an emergency, so its minutes are maintenance, not unavailability. The rest of a window
 * (an emergency, too little notice, an early start, an overrun) counts by the impact the NOC
 * declared for it.
 */
export interface MaintenanceSpan {
  from: number;
  until: number;
  announced: boolean;
  impact: MaintenanceImpactKind;
}

/** Minutes of one component over one interval. */
export interface AvailabilityTally {
  /** Minutes with a known status (time before the component's first event is not counted). */
  observed: number;
  /** «Sin servicio» (major outage). */
  major: number;
  /** «Intermitencia» (partial outage). */
  partial: number;
  /** «Baja velocidad» (degraded performance). */
  degraded: number;
  /** Under maintenance inside an announced stretch: left out of the measure. */
  maintenance: number;
  /** Under maintenance without the notice (emergency, short notice, no window at all). */
  unannouncedMaintenance: number;
  /** Weighted unavailable minutes: major + 30 % of partial + unannounced maintenance by its impact. */
  down: number;
}

export function emptyTally(): AvailabilityTally {
  return { observed: 0, major: 0, partial: 0, degraded: 0, maintenance: 0, unannouncedMaintenance: 0, down: 0 };
}

export function addTally(into: AvailabilityTally, t: AvailabilityTally): AvailabilityTally {
  into.observed += t.observed;
  into.major += t.major;
  into.partial += t.partial;
  into.degraded += t.degraded;
  into.maintenance += t.maintenance;
  into.unannouncedMaintenance += t.unannouncedMaintenance;
  into.down += t.down;
  return into;
}

/** How much of a minute under unannounced maintenance is unavailable, by the declared impact. */
function maintenanceWeight(impact: MaintenanceImpactKind | null): number {
  // No window at all (a component put «En mantenimiento» by hand): nothing was announced and
  // nothing says the service stayed up, so it counts as without service.
  if (impact === null || impact === 'outage') return 1;
  return 0;
}

/** Index of the last point at or before `t`, or -1 (points sorted by time). */
function lastPointAtOrBefore(points: readonly StatusPoint[], t: number): number {
  let lo = 0;
  let hi = points.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid].at.getTime() <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Splits [s, e) of maintenance by the spans covering it into announced and counted minutes. */
function tallyMaintenance(tally: AvailabilityTally, s: number, e: number, spans: readonly MaintenanceSpan[]): void {
  const cuts = new Set<number>([s, e]);
  for (const w of spans) {
    if (w.from > s && w.from < e) cuts.add(w.from);
    if (w.until > s && w.until < e) cuts.add(w.until);
  }
  const edges = [...cuts].sort((a, b) => a - b);
  for (let i = 0; i + 1 < edges.length; i++) {
    const a = edges[i];
    const b = edges[i + 1];
    const m = (b - a) / MINUTE;
    let announced = false;
    let weight: number | null = null;
    for (const w of spans) {
      if (w.from > a || w.until < b) continue;
      if (w.announced) announced = true;
      else weight = Math.max(weight ?? 0, maintenanceWeight(w.impact));
    }
    if (announced) {
      tally.maintenance += m;
    } else {
      tally.unannouncedMaintenance += m;
      tally.down += (weight ?? maintenanceWeight(null)) * m;
    }
  }
}

/**
 * The minutes of one component in [from, to) from its status changes (sorted by time; the one
 * in force at `from` included) and the maintenance spans that touched it. Overlaps need no
 * special case: the status timeline already says what the customer saw at each instant (an
 * incident during a window shows as the incident's status), and a window only decides how
 * «En mantenimiento» minutes count.
 */
export function availabilityTally(
  points: readonly StatusPoint[],
  spans: readonly MaintenanceSpan[],
  from: number,
  to: number,
): AvailabilityTally {
  const tally = emptyTally();
  if (to <= from || points.length === 0) return tally;
  let i = Math.max(0, lastPointAtOrBefore(points, from));
  for (; i < points.length; i++) {
    const startAt = points[i].at.getTime();
    if (startAt >= to) break;
    const s = Math.max(startAt, from);
    const e = Math.min(i + 1 < points.length ? points[i + 1].at.getTime() : to, to);
    if (e <= s) continue;
    const m = (e - s) / MINUTE;
    tally.observed += m;
    switch (points[i].status) {
      case 'major_outage':
        tally.major += m;
        tally.down += m;
        break;
      case 'partial_outage':
        tally.partial += m;
        tally.down += PARTIAL_OUTAGE_WEIGHT * m;
        break;
      case 'degraded_performance':
        tally.degraded += m;
        break;
      case 'under_maintenance':
        tallyMaintenance(tally, s, e, spans);
        break;
      default:
        break;
    }
  }
  return tally;
}

/**
 * Share of the measured time the service was available, 0–100, or null with nothing measured.
 * Measured time is the observed time less announced maintenance, which counts neither for nor
 * against (the usual SLA exclusion of scheduled maintenance).
 */
export function availabilityPercent(t: AvailabilityTally): number | null {
  const measured = t.observed - t.maintenance;
  if (measured <= 1e-9) return t.observed > 0 ? 100 : null;
  return Math.min(100, Math.max(0, 100 * (1 - t.down / measured)));
}

/**
 * A month with an outage, for the statement email: at least a minute of unavailability as the
 * statement states it (rounded to the minute). Minutes at «Baja velocidad» or in announced
 * maintenance are no outage; a month without one sends nothing.
 */
export function hadOutage(t: AvailabilityTally): boolean {
  return t.down >= 0.5;
}

/** A maintenance window as stored, for `maintenanceSpans`. */
export interface MaintenanceRecord {
  emergency: boolean;
  impactKind: MaintenanceImpactKind;
  createdAt: Date;
  scheduledFor: Date;
  scheduledUntil: Date;
  startedAt: Date | null;
  /** completed_at, or cancelled_at for a window cancelled while in progress; null while open. */
  endedAt: Date | null;
  /** Reschedules, newest first. */
  changes: Array<{ at: Date; previousFor: Date; previousUntil: Date }>;
}

/**
 * The spans a window contributes: the whole time it was in progress (counted by its impact),
 * and inside it the stretch customers had been told of 72 h before it began — the window as
 * it stood then — unless it was an emergency. `openUntil` closes a window still in progress.
 */
export function maintenanceSpans(m: MaintenanceRecord, openUntil: number): MaintenanceSpan[] {
  if (!m.startedAt) return [];
  const start = m.startedAt.getTime();
  const end = m.endedAt ? m.endedAt.getTime() : Math.max(openUntil, start);
  if (end <= start) return [];
  const spans: MaintenanceSpan[] = [{ from: start, until: end, announced: false, impact: m.impactKind }];
  if (m.emergency || !hasEnoughNotice(m.createdAt, m.startedAt)) return spans;
  const told = windowAt(
    { scheduledFor: m.scheduledFor, scheduledUntil: m.scheduledUntil },
    m.changes,
    new Date(start - MIN_NOTICE_MS),
  );
  const from = Math.max(start, told.scheduledFor.getTime());
  const until = Math.min(end, told.scheduledUntil.getTime());
  if (until > from) spans.push({ from, until, announced: true, impact: m.impactKind });
  return spans;
}

/** "99.95 %" with the precision a status page shows; never rounds a bad day up to 100. */
export function formatPercent(percent: number | null): string {
  if (percent === null) return 'sin datos';
  const floored = Math.floor(percent * 100) / 100;
  return `${floored.toFixed(2)} %`;
}

/** The method, in plain Spanish, on /disponibilidad and under the 90-day bars. */
export const availabilityMethod = [
  'Cada cambio de estado de un componente queda registrado con su hora; las cifras se calculan de esos registros, no se capturan a mano.',
  'Un cambio cuenta desde que ocurrió, no desde que se publicó: desde la hora de inicio declarada del incidente, desde el inicio de la alerta de nuestro monitoreo o, al resolverse, desde la hora en que volvió el servicio. Si después se corrige una de esas horas, las cifras se recalculan con la corrección.',
  'Los meses y los días se cuentan en hora del centro de México (de las 00:00 del primer día a las 00:00 del siguiente mes). El mes en curso se mide hasta la hora que se indica junto a las cifras: se recalculan con cada cambio de estado y al menos cada 15 minutos.',
  'Cuentan como indisponibilidad todos los minutos en «Sin servicio» y el 30 % de los minutos en «Intermitencia». Los minutos en «Baja velocidad» se muestran aparte y no cuentan como caída.',
  'Un mantenimiento avisado con al menos 72 horas de anticipación (manual, sección 4.2) se muestra aparte y no cuenta, ni a favor ni en contra. Sí cuentan como indisponibilidad un mantenimiento de emergencia, uno avisado con menos de 72 horas y el tiempo fuera del horario avisado (un inicio anticipado o una extensión), cuando se anunció con corte del servicio.',
  'Disponibilidad = 1 − minutos de indisponibilidad ÷ (minutos medidos − mantenimiento avisado). El tiempo antes del alta de un componente no se mide.',
];

/** A stretch during which something other than the component's own status held a service. */
export interface StatusOverlay {
  from: number;
  until: number;
  status: ComponentStatus;
}

/** The status an incident that names a service's network element gives that service while open. */
export const statusForImpact: Record<IncidentImpact, ComponentStatus> = {
  critical: 'major_outage',
  major: 'partial_outage',
  minor: 'degraded_performance',
  none: 'operational',
};

/**
 * A service's timeline: its component's status changes, worsened while an overlay holds (an
 * incident or maintenance that named one of the service's network elements without changing the
 * component). The worst status wins at every instant, so `availabilityTally` measures a service
 * by the same rule as a component.
 */
export function overlayTimeline(points: readonly StatusPoint[], overlays: readonly StatusOverlay[]): StatusPoint[] {
  if (overlays.length === 0) return [...points];
  const cuts = new Set<number>(points.map((p) => p.at.getTime()));
  for (const o of overlays) {
    cuts.add(o.from);
    cuts.add(o.until);
  }
  const times = [...cuts].sort((a, b) => a - b);
  const out: StatusPoint[] = [];
  let i = -1;
  for (const t of times) {
    while (i + 1 < points.length && points[i + 1].at.getTime() <= t) i++;
    const own: ComponentStatus[] = i >= 0 ? [points[i].status] : [];
    const held = overlays.filter((o) => o.from <= t && t < o.until).map((o) => o.status);
    // Before the component's first event nothing is known, overlays or not.
    if (own.length === 0) continue;
    const status = worstStatus([...own, ...held]);
    if (out.length === 0 || out[out.length - 1].status !== status) out.push({ at: new Date(t), status });
  }
  return out;
}

/**
 * The compensation NOM-184-SCFI-2018 implies for a month (an estimate SOMNET confirms): the
 * proportional part of the monthly price for the unavailable time, plus a bonus of 20 % of the
 * amount of that affected period.
 */
export const COMPENSATION_BONUS = 0.2;

export function compensationEstimate(
  monthlyPrice: number,
  unavailableMinutes: number,
  monthMinutes: number,
): { proportional: number; bonus: number; total: number } {
  const proportional =
    monthMinutes > 0 ? (monthlyPrice * Math.min(unavailableMinutes, monthMinutes)) / monthMinutes : 0;
  const round = (n: number) => Math.round(n * 100) / 100;
  const part = round(proportional);
  const bonus = round(proportional * COMPENSATION_BONUS);
  return { proportional: part, bonus, total: round(part + bonus) };
}
