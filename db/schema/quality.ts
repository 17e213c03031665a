// Network quality (manual 3.2): latency, jitter and loss per component, one value per series and
// minute for 14 days, hourly aggregates for 13 months. The two sample tables are WITHOUT ROWID
// (added by hand to the migration: drizzle-kit has no option for it): the primary key is the
// row, so a minute costs its key and one REAL, not a key plus a rowid plus an index.
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { qualityIngestSources, qualityMetrics } from '../enums.ts';
import { components } from './catalog.ts';

/** The NOC's settings, one row: the Prometheus mapping and the thresholds, as JSON documents with catalogue ids. */
export const qualitySettings = sqliteTable('quality_settings', {
  id: integer('id').primaryKey(),
  /** JSON `QualitySource[]` (db/domain/quality.ts). */
  sources: text('sources').notNull(),
  /** JSON `QualityThreshold[]`. */
  thresholds: text('thresholds').notNull(),
  sourcesUpdatedAt: integer('sources_updated_at', { mode: 'timestamp_ms' }),
  sourcesUpdatedBy: text('sources_updated_by'),
  thresholdsUpdatedAt: integer('thresholds_updated_at', { mode: 'timestamp_ms' }),
  thresholdsUpdatedBy: text('thresholds_updated_by'),
});

/** One measured series: a component and a metric. Samples and aggregates key on its small integer id. */
export const qualitySeries = sqliteTable(
  'quality_series',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    componentId: text('component_id')
      .notNull()
      .references(() => components.id, { onDelete: 'cascade' }),
    metric: text('metric', { enum: qualityMetrics }).notNull(),
  },
  (t) => [uniqueIndex('quality_series_component_metric').on(t.componentId, t.metric)],
);

/**
 * One value per series and minute (`minute` = Unix time in minutes, the minute the value
 * describes). A minute without a row is a gap: nothing is ever stored for "no data".
 */
export const qualitySamples = sqliteTable(
  'quality_samples',
  {
    seriesId: integer('series_id')
      .notNull()
      .references(() => qualitySeries.id, { onDelete: 'cascade' }),
    minute: integer('minute').notNull(),
    value: real('value').notNull(),
  },
  (t) => [primaryKey({ columns: [t.seriesId, t.minute] })],
);

/**
 * Per series and hour (`hour` = Unix time in hours): nearest-rank p50 and p95, max, and how many
 * minutes had a value (one value per series-minute, so that is also the sample count). Kept up
 * to date as samples arrive, so an hour is aggregated before its raw minutes age out.
 */
export const qualityHourly = sqliteTable(
  'quality_hourly',
  {
    seriesId: integer('series_id')
      .notNull()
      .references(() => qualitySeries.id, { onDelete: 'cascade' }),
    hour: integer('hour').notNull(),
    p50: real('p50').notNull(),
    p95: real('p95').notNull(),
    max: real('max').notNull(),
    minutes: integer('minutes').notNull(),
  },
  (t) => [primaryKey({ columns: [t.seriesId, t.hour] })],
);

/**
 * Every ingest that wrote samples: who, how much, and which areas' last hour it changed. The
 * publisher follows this log (like the audit log) to republish those areas' pages. Kept 14 days.
 */
export const qualityIngests = sqliteTable(
  'quality_ingests',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
    source: text('source', { enum: qualityIngestSources }).notNull(),
    /** The API token's name, or "prometheus". */
    actor: text('actor').notNull(),
    samples: integer('samples').notNull(),
    firstMinute: integer('first_minute').notNull(),
    lastMinute: integer('last_minute').notNull(),
    /** JSON array of the area (group) ids whose last hour this ingest changed. */
    recentAreaIds: text('recent_area_ids').notNull(),
  },
  (t) => [index('quality_ingests_at_idx').on(t.at)],
);

/**
 * The pull worker's state per source key (`<target id>:<metric>`, and `prometheus` for the server
 * itself): how far the minutes are covered, the last success and the last error, for the NOC.
 */
export const qualityPullState = sqliteTable('quality_pull_state', {
  key: text('key').primaryKey(),
  /** First minute not yet asked for (exclusive end of what was covered). */
  coveredUntil: integer('covered_until'),
  lastSuccessAt: integer('last_success_at', { mode: 'timestamp_ms' }),
  lastErrorAt: integer('last_error_at', { mode: 'timestamp_ms' }),
  lastError: text('last_error'),
  /** Series the expression returned on the last success. */
  lastSeries: integer('last_series'),
});

/** A threshold alert currently firing (sent to the alert intake as source `quality`). */
export const qualityThresholdAlerts = sqliteTable('quality_threshold_alerts', {
  fingerprint: text('fingerprint').primaryKey(),
  componentId: text('component_id')
    .notNull()
    .references(() => components.id, { onDelete: 'cascade' }),
  since: integer('since', { mode: 'timestamp_ms' }).notNull(),
  value: real('value').notNull(),
});
