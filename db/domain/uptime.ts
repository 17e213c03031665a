import type { ComponentStatus } from '../enums.ts';
import { DAY, startOfZonedDay, zonedDateKey } from './time.ts';

export interface StatusPoint {
  at: Date;
  status: ComponentStatus;
}

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
  /** Share of observed time available, 0–100, or null with no data at all. */
  percent: number | null;
}

/** A partial outage counts as 30 % unavailable, as Statuspage does; maintenance never counts. */
export const PARTIAL_OUTAGE_WEIGHT = 0.3;

export const uptimeExplanation =
  'Cada barra es un día (hora del centro de México). Rojo: hubo minutos sin servicio; naranja: intermitencia; ' +
  'amarillo: baja velocidad; azul: mantenimiento programado; verde: sin incidencias; gris: sin datos. ' +
  'La disponibilidad cuenta como caída los minutos en «Interrupción total» y el 30 % de los minutos en ' +
  '«Interrupción parcial»; el mantenimiento programado no cuenta como caída.';

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
 * status changes sorted by time. The status before the first point is unknown ("nodata").
 */
export function uptimeFromEvents(points: readonly StatusPoint[], now: Date, days = 90, grid: DayGrid = dayGrid(now, days)): Uptime {
  const dayStarts = grid.starts;
  const end = now.getTime();
  const result: UptimeDay[] = [];
  let observed = 0;
  let down = 0;
  let p = 0;
  for (let d = 0; d < dayStarts.length; d++) {
    const from = dayStarts[d];
    const to = Math.min(d + 1 < dayStarts.length ? dayStarts[d + 1] : from + DAY, end);
    const minutes = { major: 0, partial: 0, degraded: 0, maintenance: 0 };
    let covered = 0;
    // Skip points that ended before this day.
    while (p + 1 < points.length && points[p + 1].at.getTime() <= from) p++;
    for (let i = p; i < points.length; i++) {
      const s = Math.max(points[i].at.getTime(), from);
      const e = Math.min(i + 1 < points.length ? points[i + 1].at.getTime() : end, to);
      if (points[i].at.getTime() >= to) break;
      if (e <= s) continue;
      const m = (e - s) / 60_000;
      covered += m;
      switch (points[i].status) {
        case 'major_outage': minutes.major += m; break;
        case 'partial_outage': minutes.partial += m; break;
        case 'degraded_performance': minutes.degraded += m; break;
        case 'under_maintenance': minutes.maintenance += m; break;
        default: break;
      }
    }
    observed += covered;
    down += minutes.major + PARTIAL_OUTAGE_WEIGHT * minutes.partial;
    const level: DayLevel =
      covered === 0 ? 'nodata'
      : minutes.major >= 1 ? 'major'
      : minutes.partial >= 1 ? 'partial'
      : minutes.degraded >= 1 ? 'degraded'
      : minutes.maintenance >= 1 ? 'maintenance'
      : 'ok';
    result.push({
      date: grid.dates[d],
      level,
      minutes: {
        major: Math.round(minutes.major),
        partial: Math.round(minutes.partial),
        degraded: Math.round(minutes.degraded),
        maintenance: Math.round(minutes.maintenance),
      },
    });
  }
  const percent = observed > 0 ? Math.max(0, 100 * (1 - down / observed)) : null;
  return { days: result, percent };
}

/** "99.95 %" with the precision a status page shows; never rounds a bad day up to 100. */
export function formatPercent(percent: number | null): string {
  if (percent === null) return 'sin datos';
  const floored = Math.floor(percent * 100) / 100;
  return `${floored.toFixed(2)} %`;
}
