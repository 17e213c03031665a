import type { Db } from '../client.ts';
import { DAY, startOfZonedDay } from '../domain/time.ts';
import { dayGrid, uptimeFromEvents, type Uptime } from '../domain/uptime.ts';
import { availabilityAsOf, maintenanceSpansByComponent, statusTimelines } from './availability.ts';

/**
 * Uptime of every component over the last `days` local days, from its status events and the
 * maintenance windows that touched it: the availability rule of /disponibilidad, per day, up to
 * the same instant as its figures (figuresAsOf).
 */
export function componentUptimes(db: Db, componentIds: string[], at: Date, days = 90): Map<string, Uptime> {
  // Up to the instant these components' figures count to: a change elsewhere leaves them as they are.
  const now = availabilityAsOf(db, at, componentIds);
  const windowStart = new Date(startOfZonedDay(now).getTime() - (days - 1) * DAY - DAY);
  const end = new Date(now.getTime() + 1);
  const timelines = statusTimelines(db, componentIds, windowStart, end);
  const spans = maintenanceSpansByComponent(db, componentIds, windowStart, end, now);
  const grid = dayGrid(now, days);
  const result = new Map<string, Uptime>();
  for (const [id, points] of timelines) result.set(id, uptimeFromEvents(points, now, days, grid, spans.get(id)));
  return result;
}
