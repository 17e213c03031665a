// The families of published pages that exist once per object: which members exist, which a
// change touched, and which change with time alone. A route names its family with `each`
// (api/publish/routes.ts); a new family is one more entry here.
import type { Db } from '#db/client.ts';
import { EARLIEST_EVENT } from '#db/commands/input.ts';
import { MAX_SCHEDULE_AHEAD_YEARS } from '#db/domain/maintenance.ts';
import { zonedMonthKey } from '#db/domain/time.ts';
import {
  areaSlugs,
  availabilityMonthRange,
  pagesNamingComponents,
  catalogueSlugs,
  firstIncidentStart,
  incidentFootprint,
  incidentIds,
  maintenanceFootprint,
  maintenanceIds,
  maintenanceSpan,
  openMaintenanceIds,
  qualityAreaSlugsByIds,
  shiftMonth,
  slugsOfComponents,
  openIncidentIdsTouching,
  unresolvedIncidentIds,
} from '#db/queries/index.ts';
import { renamesAny, type Change } from './changes.ts';

/** The incidents and maintenances whose pages name a component the change renamed. */
function namingPages(change: Change, db: Db): { incidents: string[]; maintenances: string[] } {
  if (!renamesAny(change)) return { incidents: [], maintenances: [] };
  return pagesNamingComponents(db, [...change.renamedComponents]);
}

export interface Collection {
  /** Every member: the value of the route's `:param`. */
  all(db: Db, now: Date): string[];
  /** Members whose pages a change touched (`everything` is handled by the caller). */
  touched(change: Change, db: Db, now: Date): string[];
  /** Members whose pages change with time alone: re-published by the clock. */
  timely(db: Db, now: Date): string[];
  /** How often the clock re-publishes the timely members: every minute unless it says otherwise. */
  refresh?: 'minute' | 'quarter-hour';
  /**
   * Every member's page states the quarter hour its figures count to (figuresAsOf): all of them
   * are re-published on each quarter-hour tick, beside the timely ones every minute.
   */
  quarterHourFigures?: boolean;
}

/**
 * The months a month family may publish: from 2000-01 (no incident is older: db/commands/input.ts
 * `EARLIEST_EVENT`) to two years ahead (no window is scheduled further: db/domain/maintenance.ts).
 * Data written before those rules (a window in 2099, an incident in the year 1000) is served by
 * Node on demand, never published month by month: a year-9999 window once started a publish of
 * ~95,000 months that never finished.
 */
function monthBounds(now: Date): { earliest: string; latest: string } {
  return {
    earliest: zonedMonthKey(EARLIEST_EVENT),
    latest: shiftMonth(zonedMonthKey(now), 12 * MAX_SCHEDULE_AHEAD_YEARS),
  };
}

/** "2026-09" … "2026-12": every month from `from` to `to`, both included, within `monthBounds`. */
function monthRange(from: string, to: string, now: Date): string[] {
  const { earliest, latest } = monthBounds(now);
  const months: string[] = [];
  // A month key of a year before 1000 is not even four digits: it is before 2000 all the same.
  const start = /^\d{4}-\d{2}$/.test(from) && from >= earliest ? from : earliest;
  for (let m = start; m <= to && m <= latest; m = shiftMonth(m, 1)) months.push(m);
  return months;
}

function monthsOf(windows: Array<{ from: Date; until: Date }>, now: Date): string[] {
  return [...new Set(windows.flatMap((w) => monthRange(zonedMonthKey(w.from), zonedMonthKey(w.until), now)))];
}

const incidents: Collection = {
  all: (db) => incidentIds(db),
  // An open incident's page shows its components' current status: a status change republishes it.
  touched: (change, db) => [
    ...new Set([
      ...change.incidents,
      ...namingPages(change, db).incidents,
      ...openIncidentIdsTouching(db, [...change.components]),
    ]),
  ],
  // Open incidents show how long ago the last update was and whether the ETA has passed.
  timely: (db) => unresolvedIncidentIds(db),
};

const maintenances: Collection = {
  all: (db) => maintenanceIds(db),
  touched: (change, db) => [...new Set([...change.maintenances, ...namingPages(change, db).maintenances])],
  timely: (db) => openMaintenanceIds(db),
};

/** Incident history by month: from the first incident's month to the current one, as its pager links. */
const historyMonths: Collection = {
  all: (db, now) => {
    const first = firstIncidentStart(db);
    const current = zonedMonthKey(now);
    return monthRange(first && first.getTime() < now.getTime() ? zonedMonthKey(first) : current, current, now);
  },
  touched: (change, db, now) => {
    if (renamesAny(change)) return historyMonths.all(db, now);
    const { earliest } = monthBounds(now);
    const started = incidentFootprint(db, [...change.incidents]).startedAt.map(zonedMonthKey);
    return [...new Set([...started.filter((m) => /^\d{4}-\d{2}$/.test(m) && m >= earliest), zonedMonthKey(now)])];
  },
  // At the turn of a month the previous month gains its "next" link.
  timely: (db, now) => historyMonths.all(db, now).filter((m) => m >= shiftMonth(zonedMonthKey(now), -1)),
};

/** Maintenance calendar by month: every month with a window, the current one and the next (its pager). */
const calendarMonths: Collection = {
  all: (db, now) => {
    const span = maintenanceSpan(db);
    const current = zonedMonthKey(now);
    const from = span && zonedMonthKey(span.first) < current ? zonedMonthKey(span.first) : current;
    const last =
      span && zonedMonthKey(span.last) > shiftMonth(current, 1) ? zonedMonthKey(span.last) : shiftMonth(current, 1);
    return monthRange(from, last, now);
  },
  touched: (change, db, now) =>
    renamesAny(change)
      ? calendarMonths.all(db, now)
      : monthsOf(maintenanceFootprint(db, [...change.maintenances]).windows, now),
  // "Today" is marked in the current month's grid (and unmarked in the previous one).
  timely: (db, now) =>
    calendarMonths
      .all(db, now)
      .filter((m) => m >= shiftMonth(zonedMonthKey(now), -1) && m <= shiftMonth(zonedMonthKey(now), 1)),
};

/**
 * Availability by month (/disponibilidad/2026-11 and its .csv): every month since the first
 * status event. A write changes the current month (status events are written as they happen)
 * and the months of the incidents and windows it touched (names, links, reports); the clock
 * changes the current month (its figures count up to the minute they are computed, which they
 * state) every quarter hour and, at the turn of a month, the one before.
 */
const availabilityMonths: Collection = {
  all: (db, now) => {
    const { first, current } = availabilityMonthRange(db, now);
    return monthRange(first, current, now);
  },
  touched: (change, db, now) => {
    if (renamesAny(change)) return availabilityMonths.all(db, now);
    const { first, current } = availabilityMonthRange(db, now);
    const months = new Set([current]);
    for (const at of incidentFootprint(db, [...change.incidents]).startedAt) months.add(zonedMonthKey(at));
    for (const m of monthsOf(maintenanceFootprint(db, [...change.maintenances]).windows, now)) months.add(m);
    const { earliest } = monthBounds(now);
    return [...months].filter((m) => /^\d{4}-\d{2}$/.test(m) && m >= first && m >= earliest && m <= current);
  },
  timely: (db, now) => availabilityMonths.all(db, now).filter((m) => m >= shiftMonth(zonedMonthKey(now), -1)),
  refresh: 'quarter-hour',
};

/** Components and areas by slug: their feeds, badges and calendars. */
const catalogue: Collection = {
  all: (db) => catalogueSlugs(db),
  touched: (change, db) =>
    renamesAny(change)
      ? catalogueSlugs(db)
      : slugsOfComponents(db, [
          ...change.components,
          ...incidentFootprint(db, [...change.incidents]).componentIds,
          ...maintenanceFootprint(db, [...change.maintenances]).componentIds,
        ]),
  timely: () => [],
};

/** Areas by slug: their pages (/zonas/:slug), which show what affects the area now. */
const areas: Collection = {
  all: (db) => areaSlugs(db),
  touched: (change, db, now) => {
    if (renamesAny(change)) return areaSlugs(db);
    const all = new Set(areaSlugs(db));
    return catalogue.touched(change, db, now).filter((slug) => all.has(slug));
  },
  // An area with an open incident shows how long ago it was updated and whether the ETA passed.
  timely: (db) => {
    const all = new Set(areaSlugs(db));
    return slugsOfComponents(db, incidentFootprint(db, unresolvedIncidentIds(db)).componentIds).filter((slug) =>
      all.has(slug),
    );
  },
  // Its bars state the quarter hour today's figures count to.
  quarterHourFigures: true,
};

/**
 * Network quality by area (/calidad/:slug, its .json and .csv) and the one overview (/calidad,
 * the member ''): republished when an ingest changes an area's last hour, and every five minutes
 * (on the clock's tick of minutes 0, 5, 10…), which moves the last hour and the charts along and
 * shows a silent probe as a growing gap.
 */
const everyFiveMinutes = (now: Date) => Math.floor(now.getTime() / 60_000) % 5 === 0;
const qualityAreas: Collection = {
  all: (db) => areaSlugs(db),
  touched: (change, db) => (renamesAny(change) ? areaSlugs(db) : qualityAreaSlugsByIds(db, [...change.qualityAreas])),
  timely: (db, now) => (everyFiveMinutes(now) ? areaSlugs(db) : []),
};
const qualityOverview: Collection = {
  all: () => [''],
  touched: (change) => (change.qualityAreas.size > 0 || renamesAny(change) ? [''] : []),
  timely: (_db, now) => (everyFiveMinutes(now) ? [''] : []),
};

export const collections = {
  incidents,
  maintenances,
  historyMonths,
  calendarMonths,
  availabilityMonths,
  catalogue,
  areas,
  qualityAreas,
  qualityOverview,
} satisfies Record<string, Collection>;
export type CollectionName = keyof typeof collections;
