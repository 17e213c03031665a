import { TIME_ZONE } from '../enums.ts';

const MINUTE = 60_000;
export const DAY = 24 * 60 * MINUTE;

const dateTimeFormat = new Intl.DateTimeFormat('es-MX', {
  timeZone: TIME_ZONE,
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});
const dateFormat = new Intl.DateTimeFormat('es-MX', {
  timeZone: TIME_ZONE,
  day: 'numeric',
  month: 'long',
  year: 'numeric',
});
const timeFormat = new Intl.DateTimeFormat('es-MX', {
  timeZone: TIME_ZONE,
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});
const monthFormat = new Intl.DateTimeFormat('es-MX', { timeZone: 'UTC', month: 'long', year: 'numeric' });
const shortMonthFormat = new Intl.DateTimeFormat('es-MX', { timeZone: 'UTC', month: 'short' });
const partsFormat = new Intl.DateTimeFormat('en-US', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

/** The zone's name as shown next to every time on the site and in emails. */
export const ZONE_LABEL = 'hora del centro de México';

/** "26 nov 2026, 14:05" in America/Mexico_City. */
export function formatDateTime(d: Date): string {
  return dateTimeFormat.format(d).replace(/\s+/g, ' ');
}
/** A window as every notice states it: "2 dic 2026, 00:00 – 2 dic 2026, 02:00 (hora del centro de México)". */
export function formatWindow(from: Date, until: Date): string {
  return `${formatDateTime(from)} – ${formatDateTime(until)} (${ZONE_LABEL})`;
}
/**
 * Intl's answer per local day (formatDate) and per local minute (formatTime), kept: `/` formats
 * the same 90 days for each of 50 components' bars and Intl formatting was a tenth of its render.
 */
const formatted = { dates: new Map<number, string>(), times: new Map<number, string>() };

function formattedOnce(cache: Map<number, string>, unit: number, d: Date, format: Intl.DateTimeFormat): string {
  const t = d.getTime();
  if (!Number.isFinite(t)) return format.format(d);
  const key = Math.floor((t + offsetMsAt(t)) / unit);
  let text = cache.get(key);
  if (text === undefined) {
    if (cache.size >= 10_000) cache.clear();
    cache.set(key, (text = format.format(d)));
  }
  return text;
}

/** "26 de noviembre de 2026" in America/Mexico_City. */
export function formatDate(d: Date): string {
  return formattedOnce(formatted.dates, DAY, d, dateFormat);
}
/** "14:05" in America/Mexico_City. */
export function formatTime(d: Date): string {
  return formattedOnce(formatted.times, MINUTE, d, timeFormat);
}
/** A quarter hour in ms: figures for a period in progress are refreshed at least this often. */
export const FIGURE_REFRESH_MS = 15 * MINUTE;

/**
 * The instant figures for a period in progress count up to: the last quarter hour, or the last
 * status change when that is later (`lastChange`). Every renderer of a figure (Node on request,
 * the publisher on a change or on the quarter hour) gets the same instant from the same data, so
 * a published copy is byte-equal to what Node serves, and an outage is counted whole as soon as
 * the change that ends it is recorded. Every such figure states it (`formatAsOf`).
 */
export function figuresAsOf(now: Date, lastChange: Date | null): Date {
  const quarter = Math.floor(now.getTime() / FIGURE_REFRESH_MS) * FIGURE_REFRESH_MS;
  const last = lastChange && lastChange.getTime() <= now.getTime() ? lastChange.getTime() : 0;
  return new Date(Math.max(quarter, last));
}
/** "al 7 dic 2026, 14:05, hora del centro de México": what a figure in progress counts up to. */
export function formatAsOf(d: Date): string {
  return `al ${formatDateTime(d)}, ${ZONE_LABEL}`;
}
/** "2026-12-07T14:05:00-06:00": an instant as Mexico City wall time with its offset (CSV cells). */
export function formatLocalIso(d: Date): string {
  const p = zonedParts(d);
  const two = (n: number) => String(n).padStart(2, '0');
  const offset = zoneOffsetMinutes(d);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${p.year}-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}:${two(p.second)}${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}
/** "noviembre de 2026" for a month key "2026-11". */
export function formatMonth(key: string): string {
  const [y, m] = key.split('-').map(Number);
  return monthFormat.format(new Date(Date.UTC(y, m - 1, 15)));
}

/** "nov 26" for "2026-11": chart labels. */
export function formatMonthShort(key: string): string {
  const [y, m] = key.split('-').map(Number);
  return `${shortMonthFormat.format(new Date(Date.UTC(y, m - 1, 15))).replace('.', '')} ${String(y).slice(2)}`;
}

function intlParts(d: Date): {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
} {
  const p: Record<string, number> = {};
  for (const part of partsFormat.formatToParts(d)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return {
    year: p.year,
    month: p.month,
    day: p.day,
    hour: p.hour === 24 ? 0 : p.hour,
    minute: p.minute,
    second: p.second,
  };
}

const QUARTER_HOUR = 15 * MINUTE;
const offsets = new Map<number, number>();

/**
 * The zone's offset from UTC at instant `t`, in ms. An offset changes only at a transition,
 * and transitions fall on whole quarter hours of UTC, so one Intl call per quarter hour serves
 * every instant in it: Intl formatting was the largest cost of rendering the status page
 * (90 days × 50 components of uptime bars).
 */
function offsetMsAt(t: number): number {
  const bucket = Math.floor(t / QUARTER_HOUR);
  let offset = offsets.get(bucket);
  if (offset === undefined) {
    const start = bucket * QUARTER_HOUR;
    const p = intlParts(new Date(start));
    offset = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - start;
    if (offsets.size >= 100_000) offsets.clear();
    offsets.set(bucket, offset);
  }
  return offset;
}

/** Wall-clock parts of an instant in America/Mexico_City. */
export function zonedParts(d: Date): {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
} {
  const local = new Date(d.getTime() + offsetMsAt(d.getTime()));
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
  };
}

/** Offset of the zone from UTC at that instant, in minutes (−360 for UTC−6). */
export function zoneOffsetMinutes(d: Date): number {
  return Math.round(offsetMsAt(d.getTime()) / MINUTE);
}

/** The UTC instant at which the local day containing `d` begins. */
export function startOfZonedDay(d: Date): Date {
  const p = zonedParts(d);
  const guess = Date.UTC(p.year, p.month - 1, p.day);
  return new Date(guess - zoneOffsetMinutes(new Date(guess)) * MINUTE);
}

/** The UTC instant of local midnight starting the given calendar date. */
export function zonedMidnight(year: number, month: number, day: number): Date {
  const guess = Date.UTC(year, month - 1, day);
  return new Date(guess - zoneOffsetMinutes(new Date(guess)) * MINUTE);
}

/** "2026-11-26" for the local calendar day of `d`. */
export function zonedDateKey(d: Date): string {
  const p = zonedParts(d);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** "2026-11" for the local month of `d`. */
export function zonedMonthKey(d: Date): string {
  return zonedDateKey(d).slice(0, 7);
}

/** "3 h 12 min" — durations on incident pages. */
export function formatDuration(ms: number): string {
  const totalMinutes = Math.max(0, Math.round(ms / MINUTE));
  const days = Math.floor(totalMinutes / 1440);
  const hours = Math.floor((totalMinutes % 1440) / 60);
  const minutes = totalMinutes % 60;
  const parts: string[] = [];
  if (days) parts.push(`${days} d`);
  if (hours) parts.push(`${hours} h`);
  if (minutes || parts.length === 0) parts.push(`${minutes} min`);
  return parts.join(' ');
}

/** "2026-12-07T10:05:00-06:00": an instant in RFC 3339 with America/Mexico_City's offset (machine-readable files). */
export function zonedIso(d: Date): string {
  const offset = zoneOffsetMinutes(d);
  const local = new Date(d.getTime() + offset * MINUTE);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local.toISOString().slice(0, 19)}${sign}${hh}:${mm}`;
}
