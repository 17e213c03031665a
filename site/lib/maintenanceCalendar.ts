// The month view of /mantenimiento: which days a window touches, in Monday-first weeks, by the
// calendar of America/Mexico_City. Pure: a month key and windows in, weeks out.
import { zonedMidnight } from '#db/domain/time.ts';

/** Monday-first column headings: abbreviation and full name (for <abbr title>). */
export const WEEKDAYS: ReadonlyArray<readonly [string, string]> = [
  ['lun', 'lunes'],
  ['mar', 'martes'],
  ['mié', 'miércoles'],
  ['jue', 'jueves'],
  ['vie', 'viernes'],
  ['sáb', 'sábado'],
  ['dom', 'domingo'],
];

/** The instants a month covers in Mexico City: [its first midnight, the next month's). */
export function monthRange(month: string): { start: Date; end: Date; days: number } {
  const [year, mon] = month.split('-').map(Number);
  const days = new Date(Date.UTC(year, mon, 0)).getUTCDate();
  return { start: zonedMidnight(year, mon, 1), end: zonedMidnight(year, mon, days + 1), days };
}

export interface MonthDay<T> {
  day: number;
  /** Windows overlapping the local day, in the order given. */
  items: T[];
}

/**
 * The month as weeks of seven cells (null outside the month). A window shows on every local day
 * it overlaps: one from 23:00 to 01:00 shows on both days.
 */
export function monthWeeks<T extends { scheduledFor: Date; scheduledUntil: Date }>(
  month: string,
  windows: readonly T[],
): Array<Array<MonthDay<T> | null>> {
  const [year, mon] = month.split('-').map(Number);
  const { days } = monthRange(month);
  // A calendar date's weekday does not depend on the time zone.
  const leading = (new Date(Date.UTC(year, mon - 1, 1)).getUTCDay() + 6) % 7;
  const cells: Array<MonthDay<T> | null> = Array.from({ length: leading }, () => null);
  for (let day = 1; day <= days; day++) {
    const from = zonedMidnight(year, mon, day).getTime();
    const to = zonedMidnight(year, mon, day + 1).getTime();
    cells.push({
      day,
      items: windows.filter((m) => m.scheduledFor.getTime() < to && m.scheduledUntil.getTime() > from),
    });
  }
  while (cells.length % 7) cells.push(null);
  return Array.from({ length: cells.length / 7 }, (_, i) => cells.slice(i * 7, i * 7 + 7));
}
