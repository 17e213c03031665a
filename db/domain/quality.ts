// Network quality's rules, without the database: how a set of minute values becomes the figures
// every page, JSON and CSV show (nearest-rank percentiles), which minute a value describes, how
// long raw minutes and hourly aggregates are kept, the word a customer reads, and when a
// threshold the NOC set holds.
import type { QualityMetric } from '../enums.ts';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
/** Raw minutes are kept 14 days; a push older than that is refused (it would be dropped at once). */
export const RAW_RETENTION_DAYS = 14;
export const RAW_RETENTION_MINUTES = RAW_RETENTION_DAYS * 24 * 60;
/** Hourly aggregates are kept 13 months (counted as 396 days: 13 × 30.4, rounded up). */
export const HOURLY_RETENTION_DAYS = 396;
/** A pushed sample may be stamped up to a minute ahead of our clock (clocks drift), not more. */
export const FUTURE_TOLERANCE_MS = 60_000;
/** Samples in one POST /api/v1/quality. */
export const MAX_PUSH_SAMPLES = 10_000;

/** Unix minute of an instant (the minute that contains it). */
export const minuteOf = (t: Date | number): number => Math.floor((typeof t === 'number' ? t : t.getTime()) / MINUTE_MS);
export const hourOfMinute = (minute: number): number => Math.floor(minute / 60);
export const minuteDate = (minute: number): Date => new Date(minute * MINUTE_MS);

/**
 * The nearest-rank percentile (the value at rank ⌈p/100 × n⌉ of the sorted values): always one of
 * the measured values, never an interpolation. `sorted` must be ascending; null when empty.
 */
export function nearestRank(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

export interface Summary {
  p50: number | null;
  p95: number | null;
  max: number | null;
  /** How many minute values went into it (one per minute with data). */
  samples: number;
}

export const EMPTY_SUMMARY: Summary = { p50: null, p95: null, max: null, samples: 0 };

/** p50, p95 (nearest rank), max and count of some minute values (any order). */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return EMPTY_SUMMARY;
  const sorted = Float64Array.from(values).sort();
  const list = sorted as unknown as number[];
  return {
    p50: nearestRank(list, 50),
    p95: nearestRank(list, 95),
    max: sorted[sorted.length - 1],
    samples: values.length,
  };
}

export interface HourlyAggregate {
  p50: number;
  p95: number;
  max: number;
  minutes: number;
}

/** Minute values → one aggregate (the hourly row); null without values. */
export function hourlyAggregate(values: readonly number[]): HourlyAggregate | null {
  const s = summarize(values);
  return s.samples === 0 ? null : { p50: s.p50!, p95: s.p95!, max: s.max!, minutes: s.samples };
}

/**
 * The minute a Prometheus point describes: `query_range` evaluates the expression at each step
 * time t from what was scraped up to t, so the point at t speaks of the minute that ends at t.
 */
export const minuteOfPromPoint = (unixSeconds: number): number => Math.round(unixSeconds / 60) - 1;

/** Whether a value can be stored for a metric (the push refuses the rest; the pull leaves a gap). */
export function valueProblem(metric: QualityMetric, value: number): string | null {
  if (!Number.isFinite(value)) return 'El valor debe ser un número finito.';
  if (value < 0) return 'El valor no puede ser negativo.';
  if (metric === 'loss_pct' && value > 100) return 'La pérdida es un porcentaje: de 0 a 100.';
  return null;
}

// ---------------------------------------------------------------------------------------------
// What a customer reads.

export type QualityWord = 'normal' | 'slower' | 'unsteady' | 'loss' | 'no_data' | 'no_reference';

export const qualityWordLabels: Record<QualityWord, string> = {
  normal: 'Normal',
  slower: 'Más lenta de lo habitual',
  unsteady: 'Más variable de lo habitual',
  loss: 'Con pérdidas',
  no_data: 'Sin datos',
  no_reference: 'Sin referencia aún',
};

/** Loss at or above this median over the last hour reads «Con pérdidas». */
export const LOSS_WORD_PCT = 1;
/** Latency or jitter reads worse than usual above this multiple of the 30-day typical value… */
export const SLOWER_FACTOR = 1.5;
/** …and at least this many milliseconds above it (3 ms against a typical 2 ms is not news). */
export const SLOWER_MARGIN_MS: Record<Exclude<QualityMetric, 'loss_pct'>, number> = { latency_ms: 10, jitter_ms: 5 };
/** A 30-day typical value needs at least this many hours with data. */
export const MIN_REFERENCE_MINUTES = 24 * 60;

/**
 * The word beside one metric of one area and technology: the last hour's median against its own
 * 30-day typical (median) value. Table of cases in test/quality/domain.test.ts.
 */
export function qualityWord(
  metric: QualityMetric,
  lastHour: Pick<Summary, 'p50' | 'samples'>,
  typical: Pick<Summary, 'p50' | 'samples'>,
): QualityWord {
  if (lastHour.p50 === null || lastHour.samples === 0) return 'no_data';
  if (metric === 'loss_pct') return lastHour.p50 >= LOSS_WORD_PCT ? 'loss' : 'normal';
  if (typical.p50 === null || typical.samples < MIN_REFERENCE_MINUTES) return 'no_reference';
  const worse = lastHour.p50 > typical.p50 * SLOWER_FACTOR && lastHour.p50 - typical.p50 >= SLOWER_MARGIN_MS[metric];
  if (!worse) return 'normal';
  return metric === 'latency_ms' ? 'slower' : 'unsteady';
}

/** A value as pages show it: "12.3 ms", "0.5 %", "—" without data. */
const oneDecimal = new Intl.NumberFormat('es-MX', { minimumFractionDigits: 0, maximumFractionDigits: 1 });
const noDecimals = new Intl.NumberFormat('es-MX', { maximumFractionDigits: 0 });

export function formatQualityValue(metric: QualityMetric, value: number | null): string {
  if (value === null) return '—';
  const n = (value >= 100 ? noDecimals : oneDecimal).format(value);
  return metric === 'loss_pct' ? `${n} %` : `${n} ms`;
}

// ---------------------------------------------------------------------------------------------
// The 24-hour chart: 5-minute buckets.

export const BUCKET_MINUTES = 5;

export interface Bucket {
  /** First minute of the bucket. */
  minute: number;
  p50: number | null;
  p95: number | null;
  samples: number;
}

/**
 * Minute values (ascending by minute) in consecutive buckets of `size` minutes from `from`
 * (inclusive) to `to` (exclusive), each with its own nearest-rank p50/p95; a bucket without
 * values is a gap (null), never a zero.
 */
export function buckets(
  rows: ReadonlyArray<{ minute: number; value: number }>,
  from: number,
  to: number,
  size = BUCKET_MINUTES,
): Bucket[] {
  const out: Bucket[] = [];
  let i = 0;
  for (let start = from; start < to; start += size) {
    const values: number[] = [];
    while (i < rows.length && rows[i].minute < start) i++;
    while (i < rows.length && rows[i].minute < start + size && rows[i].minute < to) values.push(rows[i++].value);
    const s = summarize(values);
    out.push({ minute: start, p50: s.p50, p95: s.p95, samples: s.samples });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Thresholds (optional, per area): an alert through the existing intake.

export const thresholdStatistics = ['p50', 'p95', 'max'] as const;
export type ThresholdStatistic = (typeof thresholdStatistics)[number];
export const thresholdSeverities = ['warning', 'major', 'critical'] as const;
export type ThresholdSeverity = (typeof thresholdSeverities)[number];

export interface ThresholdRule {
  metric: QualityMetric;
  statistic: ThresholdStatistic;
  above: number;
}

/** As stored: the area by id. */
export interface QualityThreshold {
  areaId: string;
  /** The window the statistic is computed over, in minutes. */
  minutes: number;
  severity: ThresholdSeverity;
  rules: ThresholdRule[];
}

/** At least half the window's minutes must have data for a verdict; with fewer, nothing changes. */
export function thresholdVerdict(
  rule: ThresholdRule,
  windowMinutes: number,
  values: readonly number[],
): { holds: boolean; value: number } | null {
  if (values.length === 0 || values.length * 2 < windowMinutes) return null;
  const s = summarize(values);
  const value = rule.statistic === 'p50' ? s.p50! : rule.statistic === 'p95' ? s.p95! : s.max!;
  return { holds: value > rule.above, value };
}

/** The alert's id in the intake (source `quality`): stable per component, metric and statistic. */
export const thresholdFingerprint = (componentSlug: string, rule: Pick<ThresholdRule, 'metric' | 'statistic'>) =>
  `${componentSlug}:${rule.metric}:${rule.statistic}`;

// ---------------------------------------------------------------------------------------------
// The Prometheus mapping.

/** As stored: a component or an area (whose series carry a `component` label) with an expression per metric. */
export interface QualitySource {
  target: { kind: 'component' | 'group'; id: string };
  metrics: Partial<Record<QualityMetric, string>>;
}

/** The pull state's key for one expression. */
export const sourceKey = (targetId: string, metric: QualityMetric) => `${targetId}:${metric}`;
