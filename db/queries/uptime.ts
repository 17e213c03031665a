import { gte } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { DAY, startOfZonedDay } from '../domain/time.ts';
import { uptimeFromEvents, type StatusPoint, type Uptime } from '../domain/uptime.ts';
import { componentStatusEvents } from '../schema/index.ts';

/** Uptime of every component over the last `days` local days, from its status events. */
export function componentUptimes(db: Db, componentIds: string[], now: Date, days = 90): Map<string, Uptime> {
  const windowStart = new Date(startOfZonedDay(now).getTime() - (days - 1) * DAY - DAY);
  const inWindow = db.select({ componentId: componentStatusEvents.componentId, at: componentStatusEvents.at, status: componentStatusEvents.status })
    .from(componentStatusEvents)
    .where(gte(componentStatusEvents.at, windowStart))
    .orderBy(componentStatusEvents.at, componentStatusEvents.id).all();
  const before = db.$client.prepare(
    `SELECT e.status, e.at FROM component_status_events e WHERE e.component_id = ? AND e.at < ? ORDER BY e.at DESC, e.id DESC LIMIT 1`,
  );
  const byComponent = new Map<string, StatusPoint[]>();
  for (const id of componentIds) {
    const last = before.get(id, windowStart.getTime()) as { status: StatusPoint['status']; at: number } | undefined;
    byComponent.set(id, last ? [{ at: new Date(last.at), status: last.status }] : []);
  }
  for (const e of inWindow) byComponent.get(e.componentId)?.push({ at: e.at, status: e.status });
  const result = new Map<string, Uptime>();
  for (const [id, points] of byComponent) result.set(id, uptimeFromEvents(points, now, days));
  return result;
}
