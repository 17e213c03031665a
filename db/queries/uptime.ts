import { gte } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { DAY, startOfZonedDay } from '../domain/time.ts';
import { dayGrid, uptimeFromEvents, type StatusPoint, type Uptime } from '../domain/uptime.ts';
import { componentStatusEvents } from '../schema/index.ts';

/** Uptime of every component over the last `days` local days, from its status events. */
export function componentUptimes(db: Db, componentIds: string[], now: Date, days = 90): Map<string, Uptime> {
  const windowStart = new Date(startOfZonedDay(now).getTime() - (days - 1) * DAY - DAY);
  // Plain SQL: this runs on every rendering of the status page, over every event of 90 days,
  // and the query builder's per-row mapping cost more than the query.
  const inWindow = db.$client.prepare(
    `SELECT component_id, at, status FROM component_status_events WHERE at >= ? ORDER BY at, id`,
  ).raw().all(windowStart.getTime()) as Array<[string, number, StatusPoint['status']]>;
  const before = db.$client.prepare(
    `SELECT e.status, e.at FROM component_status_events e WHERE e.component_id = ? AND e.at < ? ORDER BY e.at DESC, e.id DESC LIMIT 1`,
  );
  const byComponent = new Map<string, StatusPoint[]>();
  for (const id of componentIds) {
    const last = before.get(id, windowStart.getTime()) as { status: StatusPoint['status']; at: number } | undefined;
    byComponent.set(id, last ? [{ at: new Date(last.at), status: last.status }] : []);
  }
  for (const [componentId, at, status] of inWindow) byComponent.get(componentId)?.push({ at: new Date(at), status });
  const grid = dayGrid(now, days);
  const result = new Map<string, Uptime>();
  for (const [id, points] of byComponent) result.set(id, uptimeFromEvents(points, now, days, grid));
  return result;
}
