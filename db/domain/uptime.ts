import {
  addTally,
  availabilityPercent,
  availabilityTally,
  emptyTally,
  type MaintenanceSpan,
  type StatusPoint,
} from './availability.ts';
import { DAY, startOfZonedDay, zonedDateKey } from './time.ts';

export { formatPercent, PARTIAL_OUTAGE_WEIGHT, type StatusPoint } from './availability.ts';

export type DayLevel = 'nodata' | 'ok' | 'maintenance' | 'degraded' | 'partial' | 'major';

export interface UptimeDay {
  /** Local calendar date, "2026-11-26". */
  date: string;
  level: DayLevel;
  /** Minutes spent in each non-operational status that day. */
  minutes: { major: number; partial: number; degraded: number; maintenance: number };
}

export interface Uptime {
  days: UptimeDay[];
  /** The instant the figures count up to (`now` as given: see figuresAsOf): today's bar counts up to it. */
  to: Date;
  /** Availability over the whole period (availabilityPercent), 0–100, or null with no data at all. */
  percent: number | null;
}

export const uptimeExplanation =
  'Cada barra es un día (hora del centro de México). Rojo: hubo minutos sin servicio; naranja: intermitencia; ' +
  'amarillo: baja velocidad; azul: mantenimiento programado; verde: sin incidencias; gris: sin datos. ' +
  'La disponibilidad cuenta como caída los minutos en «Interrupción total» y el 30 % de los minutos en ' +
  '«Interrupción parcial»; el mantenimiento avisado con 72 horas no cuenta como caída, el de emergencia sí. ' +
  'Es el mismo cálculo de la página de disponibilidad mensual.';

/** The local days an uptime bar covers: their start instants and calendar dates, oldest first. */
export interface DayGrid {
  starts: number[];
  dates: string[];
}

/**
 * The last `days` local days up to `now` (today included). The same for every component of a
 * page, so it is computed once per rendering: time-zone arithmetic (Intl) was most of the cost
 * of the 90-day bars when each of 50 components computed its own.
 */
export function dayGrid(now: Date, days = 90): DayGrid {
  const todayStart = startOfZonedDay(now).getTime();
  const starts: number[] = [];
  for (let i = days - 1; i >= 0; i--) {
    // Fixed 24 h steps are exact for a zone without DST (Mexico since 2022); re-anchoring each
    // step keeps them right for any zone.
    starts.push(startOfZonedDay(new Date(todayStart - i * DAY + DAY / 2)).getTime());
  }
  return { starts, dates: starts.map((from) => zonedDateKey(new Date(from + DAY / 2))) };
}

/**
 * Day bars for the last `days` local days (today included, up to `now`), from the component's
 * status changes sorted by time and the maintenance spans that touched it. Each day and the
 * whole period are measured by `availabilityTally` (db/domain/availability.ts), the rule of
 * /disponibilidad. The status before the first point is unknown ("nodata").
 */
export function uptimeFromEvents(
  points: readonly StatusPoint[],
  now: Date,
  days = 90,
  grid: DayGrid = dayGrid(now, days),
  spans: readonly MaintenanceSpan[] = [],
): Uptime {
  const dayStarts = grid.starts;
  const end = now.getTime();
  const result: UptimeDay[] = [];
  const total = emptyTally();
  for (let d = 0; d < dayStarts.length; d++) {
    const from = dayStarts[d];
    const to = Math.min(d + 1 < dayStarts.length ? dayStarts[d + 1] : from + DAY, end);
    const t = availabilityTally(points, spans, from, to);
    addTally(total, t);
    const maintenance = t.maintenance + t.unannouncedMaintenance;
    const level: DayLevel =
      t.observed === 0
        ? 'nodata'
        : t.major >= 1
          ? 'major'
          : t.partial >= 1
            ? 'partial'
            : t.degraded >= 1
              ? 'degraded'
              : maintenance >= 1
                ? 'maintenance'
                : 'ok';
    result.push({
      date: grid.dates[d],
      level,
      minutes: {
        major: Math.round(t.major),
        partial: Math.round(t.partial),
        degraded: Math.round(t.degraded),
        maintenance: Math.round(maintenance),
      },
    });
  }
  return { days: result, to: new Date(end), percent: availabilityPercent(total) };
}
