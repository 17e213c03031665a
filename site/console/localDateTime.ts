// `<input type="datetime-local">` values read and written as America/Mexico_City wall time.
// Free of Node imports: the console pages and the browser script of the maintenance form share it.
import { zonedMidnight, zonedParts } from '#db/domain/time.ts';

/** A `<input type="datetime-local">` value read as America/Mexico_City wall time. */
export function parseLocalDateTime(value: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi] = m.map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59) return null;
  return new Date(zonedMidnight(y, mo, d).getTime() + (h * 60 + mi) * 60_000);
}

/** The inverse: a Date as a datetime-local value in America/Mexico_City. */
export function toLocalDateTimeValue(d: Date | null | undefined): string {
  if (!d) return '';
  const p = zonedParts(d);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}`;
}
