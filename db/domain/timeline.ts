// The one rule that turns a component's status changes into its timeline. Every change has two
// times: when it was recorded and when it took effect (an incident's declared start, an alert's
// `startsAt`, a resolution's `resolved_at`). A change says "from my effective time on, the status
// is X", so a change recorded later overrides what earlier records said about the same period:
// an incident posted at 01:56 that says the cut began at 00:48 makes 00:48–01:56 an outage, even
// though the site said "Operativo" then. Uptime bars, /disponibilidad, its CSV and JSON, the
// per-service statement, the billing report and the unexplained-fault notice all read this.
import type { ComponentStatus } from '../enums.ts';
import { isFault } from './rollup.ts';

/** One point of a timeline: from `at` on (until the next point), the component had `status`. */
export interface StatusPoint {
  at: Date;
  status: ComponentStatus;
}

/** A recorded status change: what it says and from when. */
export interface StatusStatement {
  effectiveAt: number;
  status: ComponentStatus;
}

/**
 * The timeline from status changes given in the order they were recorded: each one replaces
 * whatever the timeline said from its effective time on. `initial` is the status in force before
 * the first of them (from the records before a window), when known. Consecutive points with the
 * same status are merged, so a timeline's last point says since when the current status holds.
 */
export function timelineFromStatements(
  statements: Iterable<StatusStatement>,
  initial?: StatusPoint | null,
): StatusPoint[] {
  const points: StatusPoint[] = initial ? [{ at: initial.at, status: initial.status }] : [];
  for (const s of statements) {
    while (points.length > 0 && points[points.length - 1].at.getTime() >= s.effectiveAt) points.pop();
    if (points.length > 0 && points[points.length - 1].status === s.status) continue;
    points.push({ at: new Date(s.effectiveAt), status: s.status });
  }
  return points;
}

/** The status a timeline gives at instant `t`, or null before its first point. */
export function statusAt(points: readonly StatusPoint[], t: number): ComponentStatus | null {
  let found: ComponentStatus | null = null;
  for (const p of points) {
    if (p.at.getTime() > t) break;
    found = p.status;
  }
  return found;
}

/**
 * Since when the component has been at fault without a break (degraded, partial or total outage,
 * in any succession), or null when its last point is not a fault: the minute "Nuestro monitoreo
 * detectó una falla … a las 14:05" names.
 */
export function faultSince(points: readonly StatusPoint[]): Date | null {
  let since: Date | null = null;
  for (let i = points.length - 1; i >= 0 && isFault(points[i].status); i--) since = points[i].at;
  return since;
}
