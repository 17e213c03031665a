import type { Statement } from 'better-sqlite3';
import type { Db } from '../client.ts';
import { DAY, startOfZonedDay, zonedDateKey } from '../domain/time.ts';
import { statementCacheOf } from '../statementCache.ts';

export interface IncidentRefOfDay {
  id: string;
  name: string;
}

/**
 * Each incident open at some point since a day (`resolved_at` on or after it) that started before
 * an instant, with each component it touches: oldest first (as recorded, for equal starts).
 */
const INCIDENT_DAY_ROWS = `SELECT i.id, i.name, i.started_at, i.resolved_at, c.component_id
  FROM incidents i JOIN incident_components c ON c.incident_id = i.id
  WHERE i.started_at < ? AND (i.resolved_at IS NULL OR i.resolved_at >= ?)
  ORDER BY i.started_at, i.rowid`;

const incidentDayRows = (db: Db): Statement =>
  (statementCacheOf(db)?.statement(INCIDENT_DAY_ROWS, 'arrays') ?? db.$client.prepare(INCIDENT_DAY_ROWS)).raw();

/**
 * The incidents behind each day of the 90-day bars: per component, per local date
 * ("2026-11-26"), the incidents that touched it and were open at some point that day, oldest
 * first. Two light queries (no updates are loaded): the bars' per-day detail links to them.
 */
export function incidentsByComponentDay(
  db: Db,
  componentIds: readonly string[],
  now: Date,
  days = 90,
): Map<string, Map<string, IncidentRefOfDay[]>> {
  // The first local day of the bars (the same days as dayGrid in db/domain/uptime.ts).
  const from = new Date(startOfZonedDay(now).getTime() - (days - 1) * DAY);
  const result = new Map<string, Map<string, IncidentRefOfDay[]>>();
  if (componentIds.length === 0) return result;
  // Plain SQL, one query: this runs on every rendering of `/` (a third of its reads), and the
  // query builder's per-row mapping and a second query for the links cost more than the rows.
  const rows = incidentDayRows(db).all(now.getTime(), from.getTime()) as Array<
    [id: string, name: string, startedAt: number, resolvedAt: number | null, componentId: string]
  >;
  const wanted = new Set(componentIds);
  const HALF_DAY = 12 * 3600_000;
  let datesOf: { id: string; dates: Set<string> } | undefined;
  for (const [id, name, startedAt, resolvedAt, componentId] of rows) {
    if (!wanted.has(componentId)) continue;
    if (datesOf?.id !== id) {
      const start = Math.max(startedAt, from.getTime());
      const end = Math.min(resolvedAt ?? now.getTime(), now.getTime());
      // Every local date from the start's to the end's (days are 23–25 h at most, so half-day
      // steps never skip one).
      const dates = new Set<string>([zonedDateKey(new Date(start))]);
      for (let t = start; t < end; t += HALF_DAY) dates.add(zonedDateKey(new Date(t)));
      dates.add(zonedDateKey(new Date(end)));
      datesOf = { id, dates };
    }
    let days = result.get(componentId);
    if (!days) result.set(componentId, (days = new Map()));
    const ref = { id, name };
    for (const date of datesOf.dates) {
      const list = days.get(date);
      if (list) list.push(ref);
      else days.set(date, [ref]);
    }
  }
  return result;
}
