import type { Db } from '../client.ts';
import { zonedMidnight, zonedMonthKey } from '../domain/time.ts';
import { firstIncidentStart, incidentsStartedBetween, type IncidentView } from './incidents.ts';

export interface MonthHistory {
  month: string;
  incidents: IncidentView[];
  /** Neighbouring months, null past the first incident or beyond the current month. */
  previous: string | null;
  next: string | null;
}

export function isMonthKey(value: string): boolean {
  const m = /^(\d{4})-(\d{2})$/.exec(value);
  return !!m && Number(m[2]) >= 1 && Number(m[2]) <= 12 && Number(m[1]) >= 2000 && Number(m[1]) <= 2100;
}

export function shiftMonth(key: string, delta: number): string {
  const [y, m] = key.split('-').map(Number);
  const d = new Date(Date.UTC(y, m - 1 + delta, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** [from, to) of a local calendar month, "2026-11". */
export function monthBounds(month: string): { from: Date; to: Date } {
  const [y, m] = month.split('-').map(Number);
  const [ny, nm] = shiftMonth(month, 1).split('-').map(Number);
  return { from: zonedMidnight(y, m, 1), to: zonedMidnight(ny, nm, 1) };
}

/** Incidents that began in a local calendar month ("2026-11"), for /historial. */
export function monthHistory(db: Db, month: string, now: Date): MonthHistory {
  const { from, to } = monthBounds(month);
  const next = shiftMonth(month, 1);
  const first = firstIncidentStart(db);
  const current = zonedMonthKey(now);
  const previous = shiftMonth(month, -1);
  return {
    month,
    incidents: incidentsStartedBetween(db, from, to),
    previous: first && previous >= zonedMonthKey(first) ? previous : null,
    next: next <= current ? next : null,
  };
}
