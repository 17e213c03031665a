// Network quality, the reads: what /calidad, /calidad/:area (and its JSON and CSV),
// the zone, service and self-diagnosis pages, the console and the API show. Every figure comes
// from the rules of db/domain/quality.ts; a minute without a row is a gap, never a value.
import type { Db } from '../client.ts';
import { qualityMetrics, type QualityMetric } from '../enums.ts';
import {
  BUCKET_MINUTES,
  buckets,
  EMPTY_SUMMARY,
  minuteDate,
  minuteOf,
  qualityWord,
  summarize,
  type Bucket,
  type QualitySource,
  type QualityThreshold,
  type QualityWord,
  type Summary,
} from '../domain/quality.ts';
import { componentCatalogue, type Catalogue, type ComponentView, type GroupView } from './catalog.ts';

/** One series of a Prometheus `matrix` result: its labels and `[unixSeconds, "value"]` points. */
export interface PrometheusSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

export interface QualitySettings {
  sources: QualitySource[];
  thresholds: QualityThreshold[];
  sourcesUpdatedAt: Date | null;
  sourcesUpdatedBy: string | null;
  thresholdsUpdatedAt: Date | null;
  thresholdsUpdatedBy: string | null;
}

export function qualitySettingsRow(db: Db): QualitySettings {
  const row = db.$client.prepare('SELECT * FROM quality_settings WHERE id = 1').get() as
    | {
        sources: string;
        thresholds: string;
        sources_updated_at: number | null;
        sources_updated_by: string | null;
        thresholds_updated_at: number | null;
        thresholds_updated_by: string | null;
      }
    | undefined;
  if (!row)
    return {
      sources: [],
      thresholds: [],
      sourcesUpdatedAt: null,
      sourcesUpdatedBy: null,
      thresholdsUpdatedAt: null,
      thresholdsUpdatedBy: null,
    };
  return {
    sources: JSON.parse(row.sources),
    thresholds: JSON.parse(row.thresholds),
    sourcesUpdatedAt: row.sources_updated_at === null ? null : new Date(row.sources_updated_at),
    sourcesUpdatedBy: row.sources_updated_by,
    thresholdsUpdatedAt: row.thresholds_updated_at === null ? null : new Date(row.thresholds_updated_at),
    thresholdsUpdatedBy: row.thresholds_updated_by,
  };
}

/** The mapping as the API shows it: slugs, not ids (an entry whose target was deleted is left out). */
export type QualitySourceEntry = { component?: string; area?: string; metrics: QualitySource['metrics'] };

export function qualitySourcesDocument(db: Db, catalogue: Catalogue = componentCatalogue(db)): QualitySourceEntry[] {
  return qualitySettingsRow(db).sources.flatMap((s): QualitySourceEntry[] => {
    if (s.target.kind === 'component') {
      const c = catalogue.byId.get(s.target.id);
      return c ? [{ component: c.slug, metrics: s.metrics }] : [];
    }
    const g = catalogue.groups.find((x) => x.id === s.target.id);
    return g ? [{ area: g.slug, metrics: s.metrics }] : [];
  });
}

export function qualityThresholdsDocument(db: Db, catalogue: Catalogue = componentCatalogue(db)) {
  return qualitySettingsRow(db).thresholds.flatMap((t) => {
    const g = catalogue.groups.find((x) => x.id === t.areaId);
    return g ? [{ area: g.slug, minutes: t.minutes, severity: t.severity, rules: t.rules }] : [];
  });
}

export interface PullStateView {
  key: string;
  coveredUntil: Date | null;
  lastSuccessAt: Date | null;
  lastErrorAt: Date | null;
  lastError: string | null;
  lastSeries: number | null;
}

export function qualityPullStates(db: Db): Map<string, PullStateView> {
  const rows = db.$client.prepare('SELECT * FROM quality_pull_state').all() as Array<{
    key: string;
    covered_until: number | null;
    last_success_at: number | null;
    last_error_at: number | null;
    last_error: string | null;
    last_series: number | null;
  }>;
  const date = (v: number | null) => (v === null ? null : new Date(v));
  return new Map(
    rows.map((r) => [
      r.key,
      {
        key: r.key,
        coveredUntil: r.covered_until === null ? null : minuteDate(r.covered_until),
        lastSuccessAt: date(r.last_success_at),
        lastErrorAt: date(r.last_error_at),
        lastError: r.last_error,
        lastSeries: r.last_series,
      },
    ]),
  );
}

/** Where the pull worker of one expression starts next: its covered minute, or null when never asked. */
export function pullCoveredUntil(db: Db, key: string): number | null {
  const v = db.$client.prepare('SELECT covered_until FROM quality_pull_state WHERE key = ?').pluck().get(key);
  return typeof v === 'number' ? v : null;
}

/** The last ingests (who sent what and when), newest first: the console shows them. */
export function recentQualityIngests(db: Db, limit = 10) {
  return (
    db.$client
      .prepare(
        'SELECT at, source, actor, samples, first_minute, last_minute FROM quality_ingests ORDER BY id DESC LIMIT ?',
      )
      .all(limit) as Array<{
      at: number;
      source: 'prometheus' | 'push';
      actor: string;
      samples: number;
      first_minute: number;
      last_minute: number;
    }>
  ).map((r) => ({
    at: new Date(r.at),
    source: r.source,
    actor: r.actor,
    samples: r.samples,
    from: minuteDate(r.first_minute),
    until: minuteDate(r.last_minute + 1),
  }));
}

// ---------------------------------------------------------------------------------------------
// The public figures.

export interface MetricFigures {
  metric: QualityMetric;
  /** The 60 minutes before `computedTo`. */
  lastHour: Summary;
  /** The 720 hours up to `computedTo`, from the hourly aggregates. */
  last30Days: Summary;
  word: QualityWord;
}

export interface MetricSeries extends MetricFigures {
  /** 288 five-minute buckets of the last 24 hours; null p50/p95 = no data. */
  series24h: Bucket[];
  /** 720 hours of the last 30 days; null = no data. */
  series30d: Array<{ hour: number; p50: number | null; p95: number | null; minutes: number }>;
}

export interface ComponentQuality<M extends MetricFigures = MetricFigures> {
  component: ComponentView;
  metrics: Record<QualityMetric, M>;
}

export interface AreaQualitySummary<M extends MetricFigures = MetricFigures> {
  area: GroupView;
  components: Array<ComponentQuality<M>>;
}

/** The minute the figures are computed to (exclusive): the current minute, not yet complete. */
function computedMinute(now: Date): number {
  return minuteOf(now);
}

/** Components whose quality is published: those with samples stored or an expression mapped to them. */
function measuredComponentIds(db: Db, catalogue: Catalogue): Set<string> {
  const ids = new Set(db.$client.prepare('SELECT DISTINCT component_id FROM quality_series').pluck().all() as string[]);
  for (const s of qualitySettingsRow(db).sources) {
    if (s.target.kind === 'component') ids.add(s.target.id);
    else for (const c of catalogue.groups.find((g) => g.id === s.target.id)?.components ?? []) ids.add(c.id);
  }
  return ids;
}

interface SeriesRow {
  id: number;
  componentId: string;
  metric: QualityMetric;
}

function seriesRows(db: Db, componentIds: string[]): SeriesRow[] {
  if (componentIds.length === 0) return [];
  return db.$client
    .prepare(
      `SELECT id, component_id AS componentId, metric FROM quality_series WHERE component_id IN (${componentIds.map(() => '?').join(',')})`,
    )
    .all(...componentIds) as SeriesRow[];
}

/**
 * A long period's figures from its hourly aggregates (the raw minutes of 30 days are not kept):
 * p50 and p95 are the nearest-rank percentiles of the hourly p50s and p95s, each hour weighted by
 * its minutes with data — the first hour, in ascending order of the value, at which the running
 * count of minutes reaches ⌈p/100 × total⌉ — and max and samples are exact. The pages state this.
 * Computed in SQLite (a window sum over at most 720 rows per series): reading 720 rows per series
 * into JavaScript made /calidad slow with every area measured.
 */
const THIRTY_DAYS_SQL = `
  WITH h AS (SELECT p50, p95, max, minutes FROM quality_hourly WHERE series_id = ? AND hour > ? AND hour <= ?),
       t AS (SELECT sum(minutes) AS total, max(max) AS top FROM h)
  SELECT
    (SELECT p50 FROM (SELECT p50, sum(minutes) OVER (ORDER BY p50 ROWS UNBOUNDED PRECEDING) AS seen FROM h)
      WHERE seen >= (50 * t.total + 99) / 100 ORDER BY seen LIMIT 1) AS p50,
    (SELECT p95 FROM (SELECT p95, sum(minutes) OVER (ORDER BY p95 ROWS UNBOUNDED PRECEDING) AS seen FROM h)
      WHERE seen >= (95 * t.total + 99) / 100 ORDER BY seen LIMIT 1) AS p95,
    t.top AS max, coalesce(t.total, 0) AS samples
  FROM t`;

/**
 * The last 30 days are the 720 complete hours before the hour of minute `m`: (first, last] as
 * hour numbers. Complete hours only, so the figure changes once an hour (or when a push rewrites
 * an older hour) and can be kept: /calidad reads it for every measured series.
 */
function thirtyDayRange(m: number): [number, number] {
  const lastHour = Math.floor(m / 60) - 1;
  return [lastHour - 720, lastHour];
}

const thirtyDayMemo = new Map<string, Summary>();
let hourlyEpoch = 0;

/** A push or pull rewrote a complete hour: the kept 30-day figures are stale (db/commands/quality.ts calls this). */
export function forgetThirtyDayFigures(): void {
  hourlyEpoch++;
  thirtyDayMemo.clear();
}

function thirtyDayFigures(db: Db, seriesId: number, m: number): Summary {
  const range = thirtyDayRange(m);
  // The database file too: tests and `npm run export` open several in one process.
  const key = `${db.$client.name}:${seriesId}:${range[1]}:${hourlyEpoch}`;
  let figures = thirtyDayMemo.get(key);
  if (!figures) {
    figures = db.$client.prepare(THIRTY_DAYS_SQL).get(seriesId, ...range) as Summary;
    if (thirtyDayMemo.size >= 10_000) thirtyDayMemo.clear();
    thirtyDayMemo.set(key, figures);
  }
  return figures;
}

function figures(db: Db, series: SeriesRow | undefined, metric: QualityMetric, m: number): MetricFigures {
  if (!series)
    return {
      metric,
      lastHour: EMPTY_SUMMARY,
      last30Days: EMPTY_SUMMARY,
      word: qualityWord(metric, EMPTY_SUMMARY, EMPTY_SUMMARY),
    };
  const lastHourValues = db.$client
    .prepare('SELECT value FROM quality_samples WHERE series_id = ? AND minute >= ? AND minute < ?')
    .pluck()
    .all(series.id, m - 60, m) as number[];
  const lastHour = summarize(lastHourValues);
  const last30Days = thirtyDayFigures(db, series.id, m);
  return { metric, lastHour, last30Days, word: qualityWord(metric, lastHour, last30Days) };
}

/** Every hourly aggregate of the last 30 days, as [hour, p50, p95, minutes] (the 30-day chart). */
function thirtyDayHours(db: Db, seriesId: number, m: number): Array<[number, number, number, number]> {
  return db.$client
    .prepare(
      'SELECT hour, p50, p95, minutes FROM quality_hourly WHERE series_id = ? AND hour > ? AND hour <= ? ORDER BY hour',
    )
    .raw()
    .all(seriesId, ...thirtyDayRange(m)) as Array<[number, number, number, number]>;
}

function summaries<M extends MetricFigures>(
  db: Db,
  catalogue: Catalogue,
  now: Date,
  areaFilter: (g: GroupView) => boolean,
  metricView: (series: SeriesRow | undefined, metric: QualityMetric, m: number) => M,
): Array<AreaQualitySummary<M>> {
  const measured = measuredComponentIds(db, catalogue);
  const m = computedMinute(now);
  const out: Array<AreaQualitySummary<M>> = [];
  for (const area of catalogue.groups.filter(areaFilter)) {
    const components = area.components.filter((c) => measured.has(c.id));
    const rows = seriesRows(
      db,
      components.map((c) => c.id),
    );
    out.push({
      area,
      components: components.map((component) => ({
        component,
        metrics: Object.fromEntries(
          qualityMetrics.map((metric) => [
            metric,
            metricView(
              rows.find((r) => r.componentId === component.id && r.metric === metric),
              metric,
              m,
            ),
          ]),
        ) as Record<QualityMetric, M>,
      })),
    });
  }
  return out;
}

export interface QualityOverview {
  /** The minute the figures are computed to (the last hour ends here). */
  computedTo: Date;
  /** Areas with at least one measured component. */
  areas: AreaQualitySummary[];
}

/** /calidad: per area and technology, the last hour against the 30-day typical value. */
export function qualityOverview(db: Db, now: Date): QualityOverview {
  const catalogue = componentCatalogue(db);
  const areas = summaries(
    db,
    catalogue,
    now,
    () => true,
    (series, metric, m) => figures(db, series, metric, m),
  );
  return { computedTo: minuteDate(computedMinute(now)), areas: areas.filter((a) => a.components.length > 0) };
}

export interface AreaQuality extends AreaQualitySummary<MetricSeries> {
  computedTo: Date;
  /** The 24-hour chart: five-minute buckets from `from24h` to `to24h` (exclusive). */
  from24h: Date;
  to24h: Date;
  /** The 30-day chart: hours from `from30d` to `to30d` (exclusive; the last one may be in progress). */
  from30d: Date;
  to30d: Date;
}

/** /calidad/:area (and its .json and .csv): the figures plus the 24-hour and 30-day series. */
export function areaQuality(db: Db, slug: string, now: Date): AreaQuality | null {
  const catalogue = componentCatalogue(db);
  if (!catalogue.groups.some((g) => g.slug === slug)) return null;
  const m = computedMinute(now);
  const to24 = Math.floor(m / BUCKET_MINUTES) * BUCKET_MINUTES;
  const from24 = to24 - 24 * 60;
  const lastHour = thirtyDayRange(m)[1];
  const [area] = summaries(
    db,
    catalogue,
    now,
    (g) => g.slug === slug,
    (series, metric, minute): MetricSeries => {
      const base = figures(db, series, metric, minute);
      const rows = series
        ? (db.$client
            .prepare(
              'SELECT minute, value FROM quality_samples WHERE series_id = ? AND minute >= ? AND minute < ? ORDER BY minute',
            )
            .all(series.id, from24, to24) as Array<{ minute: number; value: number }>)
        : [];
      const hourly = new Map(series ? thirtyDayHours(db, series.id, minute).map((h) => [h[0], h]) : []);
      const series30d = [];
      for (let h = lastHour - 719; h <= lastHour; h++) {
        const row = hourly.get(h);
        series30d.push({ hour: h, p50: row?.[1] ?? null, p95: row?.[2] ?? null, minutes: row?.[3] ?? 0 });
      }
      return { ...base, series24h: buckets(rows, from24, to24), series30d };
    },
  );
  return {
    ...area,
    computedTo: minuteDate(m),
    from24h: minuteDate(from24),
    to24h: minuteDate(to24),
    from30d: minuteDate((lastHour - 719) * 60),
    to30d: minuteDate((lastHour + 1) * 60),
  };
}

/** Area slugs with a quality page worth republishing on a clock tick: every area (the pages exist for all). */
export function qualityAreaSlugsByIds(db: Db, ids: string[]): string[] {
  if (ids.length === 0) return [];
  return db.$client
    .prepare(`SELECT slug FROM component_groups WHERE id IN (${ids.map(() => '?').join(',')})`)
    .pluck()
    .all(...ids) as string[];
}

/** The one-line state of a component's quality for the service and self-diagnosis pages; null when not measured. */
export function componentQuality(
  db: Db,
  componentId: string,
  now: Date,
): (ComponentQuality & { area: GroupView; computedTo: Date }) | null {
  const catalogue = componentCatalogue(db);
  const component = catalogue.byId.get(componentId);
  const area = catalogue.groups.find((g) => g.id === component?.groupId);
  if (!component || !area || !measuredComponentIds(db, catalogue).has(componentId)) return null;
  const m = computedMinute(now);
  const rows = seriesRows(db, [componentId]);
  return {
    component,
    area,
    computedTo: minuteDate(m),
    metrics: Object.fromEntries(
      qualityMetrics.map((metric) => [
        metric,
        figures(
          db,
          rows.find((r) => r.metric === metric),
          metric,
          m,
        ),
      ]),
    ) as Record<QualityMetric, MetricFigures>,
  };
}
