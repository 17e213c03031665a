import { slaByImpact, type IncidentImpact } from '../enums.ts';
import { zonedMidnight, zonedParts } from './time.ts';

// Business hours for the manual's "4 horas hábiles" (section 1.3): Monday to Friday,
// 09:00–18:00 in America/Mexico_City. Public holidays are not counted as closed (the manual
// does not list them).
export const BUSINESS_OPEN_HOUR = 9;
export const BUSINESS_CLOSE_HOUR = 18;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The instant `minutes` business minutes after `start`. */
export function addBusinessMinutes(start: Date, minutes: number): Date {
  let cursor = start.getTime();
  let remaining = minutes * MINUTE;
  // A working week holds 45 h, so this ends within a few iterations per week of budget.
  for (let guard = 0; guard < 10_000; guard++) {
    const p = zonedParts(new Date(cursor));
    const midnight = zonedMidnight(p.year, p.month, p.day).getTime();
    const weekday = new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay();
    const nextMidnight = zonedMidnight(p.year, p.month, p.day + 1).getTime();
    if (weekday >= 1 && weekday <= 5) {
      const open = midnight + BUSINESS_OPEN_HOUR * HOUR;
      const close = midnight + BUSINESS_CLOSE_HOUR * HOUR;
      if (cursor < open) cursor = open;
      if (cursor < close) {
        const available = close - cursor;
        if (remaining <= available) return new Date(cursor + remaining);
        remaining -= available;
      }
    }
    cursor = nextMidnight;
  }
  throw new Error('addBusinessMinutes: presupuesto fuera de rango');
}

export interface SlaState {
  /** When the next public update is due; null for impacts without a commitment. */
  dueAt: Date | null;
  overdue: boolean;
  /** Time since the last public update. */
  elapsedMs: number;
  label: string;
}

/** Measures the time since an incident's last public update against its criticality's SLA. */
export function slaState(impact: IncidentImpact, lastUpdateAt: Date, now: Date): SlaState {
  const sla = slaByImpact[impact];
  const elapsedMs = Math.max(0, now.getTime() - lastUpdateAt.getTime());
  if (sla.minutes === null) return { dueAt: null, overdue: false, elapsedMs, label: sla.label };
  const dueAt = sla.businessHours
    ? addBusinessMinutes(lastUpdateAt, sla.minutes)
    : new Date(lastUpdateAt.getTime() + sla.minutes * MINUTE);
  return { dueAt, overdue: now.getTime() > dueAt.getTime(), elapsedMs, label: sla.label };
}
