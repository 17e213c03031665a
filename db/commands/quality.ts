// Network quality, the writes: samples pushed by the NOC's scripts
// (POST /api/v1/quality) and pulled from Prometheus by the worker, the Prometheus mapping and
// the thresholds (replaced as whole documents), the ageing of raw minutes into hourly
// aggregates, and the thresholds' alerts, which go through the alert intake like any other.
import { z } from 'zod';
import type { Db } from '../client.ts';
import { qualityMetrics, type QualityMetric } from '../enums.ts';
import {
  FUTURE_TOLERANCE_MS,
  HOURLY_RETENTION_DAYS,
  hourlyAggregate,
  hourOfMinute,
  MAX_PUSH_SAMPLES,
  MINUTE_MS,
  minuteOf,
  minuteOfPromPoint,
  RAW_RETENTION_MINUTES,
  sourceKey,
  thresholdFingerprint,
  thresholdSeverities,
  thresholdStatistics,
  thresholdVerdict,
  valueProblem,
  type QualitySource,
  type QualityThreshold,
  type ThresholdRule,
} from '../domain/quality.ts';
import { componentCatalogue, findInCatalogue, resolveRef, type Catalogue } from '../queries/catalog.ts';
import { forgetThirtyDayFigures, qualitySettingsRow, type PrometheusSeries } from '../queries/quality.ts';
import { noteChange, recordAudit } from './audit.ts';
import { CommandError, unknownRefs, type FieldError } from './errors.ts';
import { receiveGenericAlert } from './alerts/index.ts';
import { LIMITS, parseInput, ref, text } from './input.ts';
import { runCommand, type CommandContext } from './transaction.ts';

// ---------------------------------------------------------------------------------------------
// Writing samples: one path for the push and the pull.

interface SeriesSamples {
  componentId: string;
  metric: QualityMetric;
  /** [minute, value]; a later value for the same minute replaces an earlier one. */
  samples: Array<[number, number]>;
}

interface IngestOrigin {
  source: 'prometheus' | 'push';
  actor: string;
  now: Date;
}

function seriesIdFor(db: Db, componentId: string, metric: QualityMetric): number {
  const sqlite = db.$client;
  sqlite
    .prepare('INSERT INTO quality_series (component_id, metric) VALUES (?, ?) ON CONFLICT DO NOTHING')
    .run(componentId, metric);
  return sqlite
    .prepare('SELECT id FROM quality_series WHERE component_id = ? AND metric = ?')
    .pluck()
    .get(componentId, metric) as number;
}

/** Recomputes the hourly aggregate of each (series, hour) from its raw minutes. */
function refreshHours(db: Db, touched: Map<number, Set<number>>): void {
  const sqlite = db.$client;
  const read = sqlite
    .prepare('SELECT value FROM quality_samples WHERE series_id = ? AND minute >= ? AND minute < ?')
    .pluck();
  const upsert = sqlite.prepare(
    `INSERT INTO quality_hourly (series_id, hour, p50, p95, max, minutes) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (series_id, hour) DO UPDATE SET p50 = excluded.p50, p95 = excluded.p95, max = excluded.max, minutes = excluded.minutes`,
  );
  const remove = sqlite.prepare('DELETE FROM quality_hourly WHERE series_id = ? AND hour = ?');
  for (const [seriesId, hours] of touched) {
    for (const hour of hours) {
      const agg = hourlyAggregate(read.all(seriesId, hour * 60, hour * 60 + 60) as number[]);
      if (agg) upsert.run(seriesId, hour, agg.p50, agg.p95, agg.max, agg.minutes);
      else remove.run(seriesId, hour);
    }
  }
}

/**
 * Stores samples (replacing any value already stored for the same series and minute), keeps the
 * hourly aggregates of the hours they fall in current, and logs the ingest with the areas whose
 * last hour it changed: the publisher republishes those areas' pages. Call inside a command.
 */
function writeSamples(db: Db, batches: SeriesSamples[], origin: IngestOrigin, catalogue: Catalogue): number {
  const sqlite = db.$client;
  const upsert = sqlite.prepare(
    'INSERT INTO quality_samples (series_id, minute, value) VALUES (?, ?, ?) ON CONFLICT (series_id, minute) DO UPDATE SET value = excluded.value',
  );
  const touched = new Map<number, Set<number>>();
  const recentAreas = new Set<string>();
  const recentFrom = minuteOf(origin.now) - 60;
  let count = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const batch of batches) {
    if (batch.samples.length === 0) continue;
    const seriesId = seriesIdFor(db, batch.componentId, batch.metric);
    let hours = touched.get(seriesId);
    if (!hours) touched.set(seriesId, (hours = new Set()));
    for (const [minute, value] of batch.samples) {
      upsert.run(seriesId, minute, value);
      hours.add(hourOfMinute(minute));
      count++;
      if (minute < first) first = minute;
      if (minute > last) last = minute;
      if (minute >= recentFrom) {
        const groupId = catalogue.byId.get(batch.componentId)?.groupId;
        if (groupId) recentAreas.add(groupId);
      }
    }
  }
  if (count === 0) return 0;
  refreshHours(db, touched);
  const currentHour = hourOfMinute(minuteOf(origin.now));
  if ([...touched.values()].some((hours) => [...hours].some((h) => h < currentHour))) forgetThirtyDayFigures();
  sqlite
    .prepare(
      'INSERT INTO quality_ingests (at, source, actor, samples, first_minute, last_minute, recent_area_ids) VALUES (?, ?, ?, ?, ?, ?, ?)',
    )
    .run(origin.now.getTime(), origin.source, origin.actor, count, first, last, JSON.stringify([...recentAreas]));
  // Pages in memory are dropped; the publisher reads the ingest log and republishes the areas
  // whose last hour changed (a backfill of older minutes waits for the five-minute republish).
  noteChange(db, 'quality');
  return count;
}

// ---------------------------------------------------------------------------------------------
// POST /api/v1/quality.

const metricEnum = z.enum(qualityMetrics, { error: 'La métrica es latency_ms, jitter_ms o loss_pct.' });

export const qualityPushInput = z.strictObject({
  series: z
    .array(
      z.strictObject({
        component: ref,
        metric: metricEnum,
        // Each sample is checked below, with the metric and the clock at hand.
        samples: z.array(z.unknown(), { error: 'Envíe «samples» como una lista de ["fecha ISO 8601", valor].' }),
      }),
      { error: 'Envíe «series» como una lista.' },
    )
    .min(1, 'La lista «series» está vacía.'),
});
export type QualityPush = z.input<typeof qualityPushInput>;

const OFFSET_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const TIMESTAMP_MESSAGE = 'Debe ser una fecha y hora ISO 8601 con zona (Z o ±hh:mm), p. ej. 2026-12-07T10:00:00-06:00.';
/** A refusal names at most this many fields (a bad export can have 10,000 bad samples). */
const MAX_FIELD_ERRORS = 50;

/**
 * Samples pushed by a script (SmokePing export, Zabbix, anything). All or nothing: every sample
 * is checked before one is written, and a refusal names each bad one by its path
 * (`series.0.samples.12.1`). Re-sending a minute replaces its value.
 */
export function pushQualitySamples(db: Db, raw: QualityPush, ctx: CommandContext): { samples: number; series: number } {
  const input = parseInput(qualityPushInput, raw, { message: 'El envío de calidad no es válido; no se guardó nada.' });
  const total = input.series.reduce((n, s) => n + s.samples.length, 0);
  if (total > MAX_PUSH_SAMPLES)
    throw new CommandError(
      422,
      'validation_failed',
      `Hasta ${MAX_PUSH_SAMPLES.toLocaleString('es-MX')} muestras por envío (recibimos ${total.toLocaleString('es-MX')}); divídalas en varios envíos.`,
      [{ path: 'series', message: `Hasta ${MAX_PUSH_SAMPLES.toLocaleString('es-MX')} muestras por envío.` }],
    );
  const catalogue = componentCatalogue(db);
  const nowMs = ctx.now.getTime();
  const oldest = minuteOf(ctx.now) - RAW_RETENTION_MINUTES;
  const problems: FieldError[] = [];
  const unknown: Array<{ path: string; ref: string; message: string }> = [];
  const batches: SeriesSamples[] = [];
  let problemCount = 0;
  const problem = (path: string, message: string) => {
    problemCount++;
    if (problems.length < MAX_FIELD_ERRORS) problems.push({ path, message });
  };
  input.series.forEach((series, i) => {
    const found = resolveRef(catalogue, series.component, `series.${i}.component`, 'component');
    if (found.unknown) unknown.push(found.unknown);
    const samples: Array<[number, number]> = [];
    series.samples.forEach((sample, j) => {
      const at = `series.${i}.samples.${j}`;
      if (!Array.isArray(sample) || sample.length !== 2) {
        problem(at, 'Cada muestra es ["fecha ISO 8601 con zona", valor].');
        return;
      }
      const [stamp, value] = sample as [unknown, unknown];
      let minute: number | null = null;
      if (typeof stamp !== 'string' || !OFFSET_TIMESTAMP.test(stamp) || Number.isNaN(Date.parse(stamp))) {
        problem(`${at}.0`, TIMESTAMP_MESSAGE);
      } else {
        const t = Date.parse(stamp);
        if (t > nowMs + FUTURE_TOLERANCE_MS)
          problem(`${at}.0`, 'La fecha está en el futuro (más de 1 minuto adelante).');
        else if (minuteOf(t) < oldest)
          problem(`${at}.0`, 'La fecha es de hace más de 14 días: los minutos se guardan 14 días.');
        else minute = minuteOf(t);
      }
      if (typeof value !== 'number') problem(`${at}.1`, 'El valor debe ser un número.');
      else {
        const bad = valueProblem(series.metric, value);
        if (bad) problem(`${at}.1`, bad);
        else if (minute !== null) samples.push([minute, value]);
      }
    });
    if (found.entry?.kind === 'component')
      batches.push({ componentId: found.entry.component.id, metric: series.metric, samples });
  });
  if (unknown.length > 0 && problemCount === 0) throw unknownRefs(unknown);
  if (unknown.length > 0 || problemCount > 0) {
    const fields = [...unknown.map(({ path, message }) => ({ path, message })), ...problems];
    const more = problemCount - problems.length;
    throw new CommandError(
      422,
      'validation_failed',
      `El envío de calidad no es válido; no se guardó nada.${more > 0 ? ` (Se muestran ${problems.length} problemas de ${problemCount}.)` : ''}`,
      fields,
    );
  }
  return runCommand(db, () => {
    const written = writeSamples(db, batches, { source: 'push', actor: ctx.actor.name, now: ctx.now }, catalogue);
    return { samples: written, series: batches.length };
  });
}

// ---------------------------------------------------------------------------------------------
// The pull worker's results (api/workers/quality.ts fetches; this stores).

export type PullOutcome =
  | { ok: true; fromMinute: number; toMinute: number; series: PrometheusSeries[] }
  | { ok: false; error: string; prometheusDown: boolean };

export interface PullResult {
  source: QualitySource;
  metric: QualityMetric;
  outcome: PullOutcome;
}

function upsertPullState(
  db: Db,
  key: string,
  patch: { coveredUntil?: number; success?: Date; error?: { at: Date; message: string } | null; series?: number },
): void {
  const sqlite = db.$client;
  sqlite.prepare('INSERT INTO quality_pull_state (key) VALUES (?) ON CONFLICT DO NOTHING').run(key);
  if (patch.coveredUntil !== undefined)
    sqlite.prepare('UPDATE quality_pull_state SET covered_until = ? WHERE key = ?').run(patch.coveredUntil, key);
  if (patch.success)
    sqlite.prepare('UPDATE quality_pull_state SET last_success_at = ? WHERE key = ?').run(patch.success.getTime(), key);
  if (patch.series !== undefined)
    sqlite.prepare('UPDATE quality_pull_state SET last_series = ? WHERE key = ?').run(patch.series, key);
  if (patch.error === null)
    sqlite.prepare('UPDATE quality_pull_state SET last_error = NULL, last_error_at = NULL WHERE key = ?').run(key);
  else if (patch.error)
    sqlite
      .prepare('UPDATE quality_pull_state SET last_error = ?, last_error_at = ? WHERE key = ?')
      .run(patch.error.message.slice(0, 1000), patch.error.at.getTime(), key);
}

/** Where the worker starts for an expression it never asked about: the last 24 hours. */
export const FIRST_PULL_MINUTES = 24 * 60;

/**
 * What Prometheus answered for each expression: its points become samples (NaN, negative or
 * impossible values are left as gaps, never stored as zeros), an area's series go to the
 * component named by their `component` label, and each expression's state (how far covered,
 * last success, last error) is kept for the NOC. A Prometheus that did not answer changes no
 * sample: its minutes stay gaps until it answers and the worker asks again from where it stopped.
 */
export function recordPull(db: Db, results: PullResult[], now: Date): { samples: number } {
  return runCommand(db, () => {
    const catalogue = componentCatalogue(db);
    const batches: SeriesSamples[] = [];
    let prometheusDown: string | null = null;
    let prometheusAnswered = false;
    for (const { source, metric, outcome } of results) {
      const key = sourceKey(source.target.id, metric);
      if (!outcome.ok) {
        upsertPullState(db, key, { error: { at: now, message: outcome.error } });
        if (outcome.prometheusDown) prometheusDown = outcome.error;
        else prometheusAnswered = true;
        continue;
      }
      prometheusAnswered = true;
      const notes: string[] = [];
      const byComponent = new Map<string, Array<[number, number]>>();
      const place = (componentId: string, values: PrometheusSeries['values']) => {
        let list = byComponent.get(componentId);
        if (!list) byComponent.set(componentId, (list = []));
        let skipped = 0;
        for (const [t, v] of values) {
          const value = Number(v);
          const minute = minuteOfPromPoint(t);
          if (minute < outcome.fromMinute || minute >= outcome.toMinute) continue;
          if (valueProblem(metric, value)) skipped++;
          else list.push([minute, value]);
        }
        if (skipped > 0)
          notes.push(`${skipped} puntos no válidos (NaN, negativos o fuera de rango) quedaron sin datos.`);
      };
      if (source.target.kind === 'component') {
        if (outcome.series.length > 1)
          notes.push(
            `La expresión devolvió ${outcome.series.length} series; se espera una por componente (agréguelas, p. ej. con avg() o max()). No se guardó nada.`,
          );
        else if (outcome.series.length === 1) place(source.target.id, outcome.series[0].values);
      } else {
        const area = catalogue.groups.find((g) => g.id === source.target.id);
        for (const s of outcome.series) {
          const label = s.metric.component ?? '';
          const found = label ? findInCatalogue(catalogue, label, 'component') : null;
          if (!found || found.kind !== 'component' || found.component.groupId !== area?.id) {
            notes.push(
              label
                ? `Una serie con component="${label}" no es un componente de ${area?.name ?? 'la zona'}; se ignoró.`
                : 'Una serie sin etiqueta «component» se ignoró: en una zona, cada serie nombra su componente.',
            );
            continue;
          }
          place(found.component.id, s.values);
        }
      }
      for (const [componentId, samples] of byComponent) batches.push({ componentId, metric, samples });
      upsertPullState(db, key, {
        coveredUntil: outcome.toMinute,
        success: now,
        series: outcome.series.length,
        error: notes.length ? { at: now, message: [...new Set(notes)].join(' ') } : null,
      });
    }
    if (prometheusDown) upsertPullState(db, 'prometheus', { error: { at: now, message: prometheusDown } });
    else if (prometheusAnswered) upsertPullState(db, 'prometheus', { success: now, error: null });
    const samples = writeSamples(db, batches, { source: 'prometheus', actor: 'prometheus', now }, catalogue);
    // Pull state is the NOC's: it changes nothing public unless samples were written.
    noteChange(db, samples > 0 ? 'quality' : 'quality_state');
    return { samples };
  });
}

// ---------------------------------------------------------------------------------------------
// The Prometheus mapping: GET|PUT /api/v1/quality/sources.

const promql = text({
  min: 1,
  max: 4_000,
  label: 'La expresión PromQL',
  required: 'Escriba la expresión PromQL, p. ej. probe_icmp_duration_seconds{phase="rtt"} * 1000.',
  multiline: true,
});

export const qualitySourcesInput = z.strictObject({
  sources: z
    .array(
      z
        .strictObject({
          component: ref.optional(),
          area: ref.optional(),
          metrics: z
            .strictObject({ latency_ms: promql.optional(), jitter_ms: promql.optional(), loss_pct: promql.optional() })
            .refine((m) => Object.values(m).some((v) => v !== undefined), 'Indique al menos una métrica.'),
        })
        .refine((s) => (s.component === undefined) !== (s.area === undefined), {
          message: 'Indique «component» o «area» (uno de los dos).',
          path: ['component'],
        }),
      { error: 'Envíe «sources» como una lista.' },
    )
    .max(LIMITS.refs, `Hasta ${LIMITS.refs} fuentes.`),
  /** GET's read-only `status`, accepted back and ignored, so a document can be read, edited and put. */
  status: z.unknown().optional(),
});
export type QualitySourcesDocument = z.input<typeof qualitySourcesInput>;

function ensureSettingsRow(db: Db): void {
  db.$client
    .prepare("INSERT INTO quality_settings (id, sources, thresholds) VALUES (1, '[]', '[]') ON CONFLICT DO NOTHING")
    .run();
}

/**
 * Replaces the whole mapping. A component or area named twice, or a component named both on its
 * own and through its area for the same metric, is refused: one expression feeds one series.
 */
export function replaceQualitySources(db: Db, raw: QualitySourcesDocument, ctx: CommandContext): QualitySource[] {
  const input = parseInput(qualitySourcesInput, raw);
  const catalogue = componentCatalogue(db);
  const unknown: Array<{ path: string; ref: string; message: string }> = [];
  const problems: FieldError[] = [];
  const sources: QualitySource[] = [];
  const owner = new Map<string, string>(); // `${componentId}:${metric}` → where it was given
  input.sources.forEach((s, i) => {
    const kind = s.component !== undefined ? 'component' : 'group';
    const given = (s.component ?? s.area)!;
    const path = `sources.${i}.${kind === 'component' ? 'component' : 'area'}`;
    const found = resolveRef(catalogue, given, path, kind);
    if (found.unknown) {
      unknown.push(found.unknown);
      return;
    }
    const entry = found.entry;
    const id = entry.kind === 'component' ? entry.component.id : entry.group.id;
    const covered = entry.kind === 'component' ? [entry.component.id] : entry.group.components.map((c) => c.id);
    const metrics: QualitySource['metrics'] = {};
    for (const metric of qualityMetrics) {
      const expr = s.metrics[metric];
      if (expr === undefined) continue;
      metrics[metric] = expr;
      for (const componentId of covered) {
        const k = `${componentId}:${metric}`;
        const earlier = owner.get(k);
        if (earlier !== undefined) {
          const name = catalogue.byId.get(componentId)?.fullName ?? componentId;
          problems.push({
            path: `sources.${i}.metrics.${metric}`,
            message: `${name} ya tiene ${metric} en ${earlier}: una sola expresión por componente y métrica.`,
          });
          break;
        }
        owner.set(k, `sources.${i}`);
      }
    }
    sources.push({ target: { kind: entry.kind, id }, metrics });
  });
  if (unknown.length > 0 && problems.length === 0) throw unknownRefs(unknown, 'unknown_component');
  if (unknown.length + problems.length > 0)
    throw new CommandError(422, 'validation_failed', 'Algunos campos no son válidos.', [...unknown, ...problems]);
  return runCommand(db, () => {
    ensureSettingsRow(db);
    db.$client
      .prepare('UPDATE quality_settings SET sources = ?, sources_updated_at = ?, sources_updated_by = ? WHERE id = 1')
      .run(JSON.stringify(sources), ctx.now.getTime(), ctx.actor.name);
    recordAudit(db, ctx.actor, 'quality_sources.replace', { type: 'quality_sources', id: null }, ctx.now, {
      sources: sources.length,
    });
    return sources;
  });
}

// ---------------------------------------------------------------------------------------------
// Thresholds: GET|PUT /api/v1/quality/thresholds.

export const qualityThresholdsInput = z.strictObject({
  thresholds: z
    .array(
      z.strictObject({
        area: ref,
        minutes: z
          .number({ error: 'La ventana es un número de minutos, de 5 a 180.' })
          .int('La ventana es un número entero de minutos.')
          .min(5, 'La ventana es de 5 a 180 minutos.')
          .max(180, 'La ventana es de 5 a 180 minutos.')
          .default(10),
        severity: z
          .enum(thresholdSeverities, { error: 'La severidad es warning, major o critical.' })
          .default('warning'),
        rules: z
          .array(
            z
              .strictObject({
                metric: metricEnum,
                statistic: z.enum(thresholdStatistics, { error: 'La estadística es p50, p95 o max.' }).default('p95'),
                above: z
                  .number({ error: 'El límite es un número.' })
                  .min(0, 'El límite no puede ser negativo.')
                  .max(1_000_000, 'El límite es demasiado grande.'),
              })
              .refine((r) => r.metric !== 'loss_pct' || r.above < 100, {
                message: 'La pérdida es un porcentaje: el límite va de 0 a 100 (sin llegar a 100).',
                path: ['above'],
              }),
          )
          .min(1, 'Indique al menos una regla.')
          .max(9, 'Hasta 9 reglas por zona.'),
      }),
      { error: 'Envíe «thresholds» como una lista.' },
    )
    .max(LIMITS.refs, `Hasta ${LIMITS.refs} zonas.`),
});
export type QualityThresholdsDocument = z.input<typeof qualityThresholdsInput>;

export function replaceQualityThresholds(
  db: Db,
  raw: QualityThresholdsDocument,
  ctx: CommandContext,
): QualityThreshold[] {
  const input = parseInput(qualityThresholdsInput, raw);
  const catalogue = componentCatalogue(db);
  const unknown: Array<{ path: string; ref: string; message: string }> = [];
  const problems: FieldError[] = [];
  const seen = new Map<string, number>();
  const thresholds: QualityThreshold[] = [];
  input.thresholds.forEach((t, i) => {
    const found = resolveRef(catalogue, t.area, `thresholds.${i}.area`, 'group');
    if (found.unknown) {
      unknown.push(found.unknown);
      return;
    }
    const areaId = found.entry.kind === 'group' ? found.entry.group.id : '';
    if (seen.has(areaId)) {
      problems.push({
        path: `thresholds.${i}.area`,
        message: `La zona ya tiene umbrales en thresholds.${seen.get(areaId)}.`,
      });
      return;
    }
    seen.set(areaId, i);
    thresholds.push({ areaId, minutes: t.minutes, severity: t.severity, rules: t.rules });
  });
  if (unknown.length > 0 && problems.length === 0) throw unknownRefs(unknown, 'unknown_area');
  if (unknown.length + problems.length > 0)
    throw new CommandError(422, 'validation_failed', 'Algunos campos no son válidos.', [...unknown, ...problems]);
  return runCommand(db, () => {
    ensureSettingsRow(db);
    db.$client
      .prepare(
        'UPDATE quality_settings SET thresholds = ?, thresholds_updated_at = ?, thresholds_updated_by = ? WHERE id = 1',
      )
      .run(JSON.stringify(thresholds), ctx.now.getTime(), ctx.actor.name);
    recordAudit(db, ctx.actor, 'quality_thresholds.replace', { type: 'quality_thresholds', id: null }, ctx.now, {
      areas: thresholds.length,
    });
    return thresholds;
  });
}

const statisticWords: Record<ThresholdRule['statistic'], string> = { p50: 'mediana', p95: 'p95', max: 'máximo' };
const metricWords: Record<QualityMetric, string> = { latency_ms: 'latencia', jitter_ms: 'jitter', loss_pct: 'pérdida' };
const unit = (metric: QualityMetric, v: number) => `${Math.round(v * 10) / 10}${metric === 'loss_pct' ? ' %' : ' ms'}`;

/**
 * Evaluates every threshold over its window ending at the current minute. A rule that starts
 * holding sends a firing alert to the intake (source `quality`, id `<component>:<metric>:<statistic>`),
 * one that stops holding its resolution; from there status, damping, maintenance suppression
 * and drafts follow the NOC's alert rules. A window with too few minutes of data changes nothing.
 */
export function evaluateQualityThresholds(db: Db, now: Date): { fired: number; resolved: number } {
  const settings = qualitySettingsRow(db);
  if (settings.thresholds.length === 0 && !hasFiringThresholdAlerts(db)) return { fired: 0, resolved: 0 };
  const catalogue = componentCatalogue(db);
  const current = minuteOf(now);
  const values = db.$client.prepare(
    `SELECT s.value FROM quality_samples s JOIN quality_series q ON q.id = s.series_id
     WHERE q.component_id = ? AND q.metric = ? AND s.minute >= ? AND s.minute < ?`,
  );
  const firing = new Map(
    (
      db.$client
        .prepare('SELECT fingerprint, component_id AS componentId FROM quality_threshold_alerts')
        .all() as Array<{
        fingerprint: string;
        componentId: string;
      }>
    ).map((r) => [r.fingerprint, r.componentId]),
  );
  type Change = {
    fingerprint: string;
    componentId: string;
    firing: boolean;
    text: string;
    value: number;
    severity: string;
    area: string;
    rule: ThresholdRule;
    minutes: number;
  };
  const changes: Change[] = [];
  const stillConfigured = new Set<string>();
  for (const t of settings.thresholds) {
    const area = catalogue.groups.find((g) => g.id === t.areaId);
    if (!area) continue;
    for (const component of area.components) {
      for (const rule of t.rules) {
        const fingerprint = thresholdFingerprint(component.slug, rule);
        stillConfigured.add(fingerprint);
        const list = values.pluck().all(component.id, rule.metric, current - t.minutes, current) as number[];
        const verdict = thresholdVerdict(rule, t.minutes, list);
        if (!verdict) continue;
        const was = firing.has(fingerprint);
        if (verdict.holds === was) continue;
        const what = `${statisticWords[rule.statistic]} de ${metricWords[rule.metric]} en ${component.fullName}`;
        const text = verdict.holds
          ? `${what[0].toUpperCase()}${what.slice(1)}: ${unit(rule.metric, verdict.value)} en los últimos ${t.minutes} minutos (límite ${unit(rule.metric, rule.above)}).`
          : `${what[0].toUpperCase()}${what.slice(1)} de vuelta bajo el límite: ${unit(rule.metric, verdict.value)} (límite ${unit(rule.metric, rule.above)}).`;
        changes.push({
          fingerprint,
          componentId: component.id,
          firing: verdict.holds,
          text,
          value: verdict.value,
          severity: t.severity,
          area: area.slug,
          rule,
          minutes: t.minutes,
        });
      }
    }
  }
  // A threshold the NOC removed resolves its alert.
  for (const [fingerprint, componentId] of firing) {
    if (stillConfigured.has(fingerprint)) continue;
    const [, metric, statistic] = fingerprint.split(':');
    changes.push({
      fingerprint,
      componentId,
      firing: false,
      text: 'El umbral de calidad se retiró.',
      value: 0,
      severity: 'warning',
      area: catalogue.byId.get(componentId)?.groupId ?? '',
      rule: { metric: metric as QualityMetric, statistic: statistic as ThresholdRule['statistic'], above: 0 },
      minutes: 0,
    });
  }
  if (changes.length === 0) return { fired: 0, resolved: 0 };
  return runCommand(db, () => {
    let fired = 0;
    let resolved = 0;
    for (const c of changes) {
      const component = catalogue.byId.get(c.componentId);
      if (!component) continue;
      const alert = {
        source: 'quality',
        id: c.fingerprint,
        status: c.firing ? ('firing' as const) : ('resolved' as const),
        component: component.slug,
        severity: c.severity,
        summary: c.text,
        ...(c.firing ? { startedAt: now } : { endedAt: now }),
        labels: {
          metric: c.rule.metric,
          statistic: c.rule.statistic,
          area: c.area,
          window_minutes: String(c.minutes),
        },
      };
      receiveGenericAlert(db, alert, JSON.stringify({ ...alert, value: c.value }), { now, ownSource: 'quality' });
      if (c.firing) {
        db.$client
          .prepare('INSERT INTO quality_threshold_alerts (fingerprint, component_id, since, value) VALUES (?, ?, ?, ?)')
          .run(c.fingerprint, c.componentId, now.getTime(), c.value);
        fired++;
      } else {
        db.$client.prepare('DELETE FROM quality_threshold_alerts WHERE fingerprint = ?').run(c.fingerprint);
        resolved++;
      }
    }
    return { fired, resolved };
  });
}

function hasFiringThresholdAlerts(db: Db): boolean {
  return db.$client.prepare('SELECT 1 FROM quality_threshold_alerts LIMIT 1').get() !== undefined;
}

// ---------------------------------------------------------------------------------------------
// Ageing.

/**
 * Drops raw minutes older than 14 days (their hours were aggregated as they arrived; an hour that
 * somehow lacks its aggregate gets it first), hourly aggregates older than 13 months and ingest
 * log rows older than 14 days. One series at a time through the primary key, so each delete is a
 * range, never a scan of the whole table.
 */
export function ageQualityData(db: Db, now: Date): { minutes: number; hours: number } {
  const sqlite = db.$client;
  const cutoff = minuteOf(now) - RAW_RETENTION_MINUTES;
  const hourCutoff = Math.floor(now.getTime() / (60 * MINUTE_MS)) - HOURLY_RETENTION_DAYS * 24;
  const series = sqlite.prepare('SELECT id FROM quality_series').pluck().all() as number[];
  const oldHours = sqlite
    .prepare(
      `SELECT DISTINCT minute / 60 FROM quality_samples WHERE series_id = ? AND minute < ?
       AND minute / 60 NOT IN (SELECT hour FROM quality_hourly WHERE series_id = ?)`,
    )
    .pluck();
  const dropMinutes = sqlite.prepare('DELETE FROM quality_samples WHERE series_id = ? AND minute < ?');
  const dropHours = sqlite.prepare('DELETE FROM quality_hourly WHERE series_id = ? AND hour < ?');
  return runCommand(db, () => {
    let minutes = 0;
    let hours = 0;
    for (const id of series) {
      const missing = oldHours.all(id, cutoff, id) as number[];
      if (missing.length) refreshHours(db, new Map([[id, new Set(missing)]]));
      minutes += dropMinutes.run(id, cutoff).changes;
      hours += dropHours.run(id, hourCutoff).changes;
    }
    sqlite.prepare('DELETE FROM quality_ingests WHERE at < ?').run(now.getTime() - RAW_RETENTION_MINUTES * MINUTE_MS);
    noteChange(db, 'quality_state');
    return { minutes, hours };
  });
}
