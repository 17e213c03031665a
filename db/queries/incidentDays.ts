import { and, gte, inArray, isNull, lt, or } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { DAY, startOfZonedDay, zonedDateKey } from '../domain/time.ts';
import { incidentComponents, incidents } from '../schema/index.ts';
import { chunked } from './batch.ts';

export interface IncidentRefOfDay {
  id: string;
  name: string;
}

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
  const rows = db
    .select({
      id: incidents.id,
      name: incidents.name,
      startedAt: incidents.startedAt,
      resolvedAt: incidents.resolvedAt,
    })
    .from(incidents)
    .where(and(lt(incidents.startedAt, now), or(isNull(incidents.resolvedAt), gte(incidents.resolvedAt, from))))
    .all()
    .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  if (rows.length === 0) return result;
  const wanted = new Set(componentIds);
  const links = chunked(
    rows.map((r) => r.id),
    (part) => db.select().from(incidentComponents).where(inArray(incidentComponents.incidentId, part)).all(),
  );
  const byIncident = new Map<string, string[]>();
  for (const l of links)
    if (wanted.has(l.componentId))
      byIncident.set(l.incidentId, [...(byIncident.get(l.incidentId) ?? []), l.componentId]);
  const HALF_DAY = 12 * 3600_000;
  for (const r of rows) {
    const components = byIncident.get(r.id);
    if (!components) continue;
    const start = Math.max(r.startedAt.getTime(), from.getTime());
    const end = Math.min((r.resolvedAt ?? now).getTime(), now.getTime());
    // Every local date from the start's to the end's (days are 23–25 h at most, so half-day
    // steps never skip one).
    const dates = new Set<string>([zonedDateKey(new Date(start))]);
    for (let t = start; t < end; t += HALF_DAY) dates.add(zonedDateKey(new Date(t)));
    dates.add(zonedDateKey(new Date(end)));
    for (const componentId of components) {
      let days = result.get(componentId);
      if (!days) result.set(componentId, (days = new Map()));
      for (const date of dates) days.set(date, [...(days.get(date) ?? []), { id: r.id, name: r.name }]);
    }
  }
  return result;
}
