// Network quality per area as files (/calidad/:area.json and .csv): pure functions over the view
// model the page renders (db/queries/quality.ts), so the page, the JSON and the CSV never differ.
import { csvDocument } from './csv.ts';
import { qualityMetrics, type QualityMetric } from '#db/enums.ts';
import { HOUR_MS, minuteDate, type Summary } from '#db/domain/quality.ts';
import { zonedIso } from '#db/domain/time.ts';
import type { Db } from '#db/client.ts';
import { sourceKey } from '#db/domain/quality.ts';
import {
  componentCatalogue,
  qualityPullStates,
  qualitySettingsRow,
  type AreaQuality,
  type MetricSeries,
} from '#db/queries/index.ts';

const summaryJson = (s: Summary) => ({ p50: s.p50, p95: s.p95, max: s.max, samples: s.samples });

/** Exactly the shape integrators were promised (docs/quality.md); `null` where there is no data. Times in America/Mexico_City's offset. */
export function qualityJson(view: AreaQuality) {
  return {
    area: { slug: view.area.slug, name: view.area.name },
    generated_at: zonedIso(view.computedTo),
    components: view.components.map(({ component, metrics }) => ({
      id: component.id,
      slug: component.slug,
      name: component.name,
      metrics: Object.fromEntries(
        qualityMetrics.map((metric) => {
          const m = metrics[metric];
          return [
            metric,
            {
              last_hour: summaryJson(m.lastHour),
              last_30_days: summaryJson(m.last30Days),
              series_24h: m.series24h.map((b) => [zonedIso(minuteDate(b.minute)), b.p50, b.p95]),
            },
          ];
        }),
      ) as Record<QualityMetric, unknown>,
    })),
  };
}

export const QUALITY_CSV_COLUMNS = [
  'zona',
  'servicio',
  'servicio_slug',
  'metrica',
  'periodo',
  'desde',
  'hasta',
  'p50',
  'p95',
  'max',
  'minutos_con_datos',
] as const;

/**
 * One row per component, metric and period: the last hour and the last 30 days (the page's
 * figures), then the 24-hour chart's five-minute buckets and the 30-day chart's hours. A period
 * without data has empty figures (never zeros). UTF-8 with BOM, CRLF, like the availability CSV.
 */
export function qualityCsv(view: AreaQuality): string {
  const records: Array<Array<string | number | null>> = [];
  const num = (v: number | null) => (v === null ? '' : String(Math.round(v * 1000) / 1000));
  for (const { component, metrics } of view.components) {
    const head = [view.area.name, component.name, component.slug];
    for (const metric of qualityMetrics) {
      const m: MetricSeries = metrics[metric];
      const lastHourFrom = new Date(view.computedTo.getTime() - HOUR_MS);
      const row = (
        period: string,
        from: Date,
        to: Date,
        p50: number | null,
        p95: number | null,
        max: number | null,
        n: number,
      ) => records.push([...head, metric, period, zonedIso(from), zonedIso(to), num(p50), num(p95), num(max), n]);
      row(
        'ultima_hora',
        lastHourFrom,
        view.computedTo,
        m.lastHour.p50,
        m.lastHour.p95,
        m.lastHour.max,
        m.lastHour.samples,
      );
      row(
        'ultimos_30_dias',
        view.from30d,
        view.to30d,
        m.last30Days.p50,
        m.last30Days.p95,
        m.last30Days.max,
        m.last30Days.samples,
      );
      for (const b of m.series24h)
        row('5_minutos', minuteDate(b.minute), minuteDate(b.minute + 5), b.p50, b.p95, null, b.samples);
      for (const h of m.series30d)
        row('hora', minuteDate(h.hour * 60), minuteDate(h.hour * 60 + 60), h.p50, h.p95, null, h.minutes);
    }
  }
  return csvDocument(QUALITY_CSV_COLUMNS, records, { quoteText: true });
}

/** A URL as the NOC may see it: without the user and password it may carry. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** GET /api/v1/quality/sources' read-only `status`: Prometheus itself and each expression, as the pull worker last found them. */
export function qualitySourcesStatus(db: Db, prometheusUrl: string | undefined) {
  const states = qualityPullStates(db);
  const catalogue = componentCatalogue(db);
  const server = states.get('prometheus');
  return {
    prometheus: {
      url: prometheusUrl ? redactedUrl(prometheusUrl) : null,
      last_success_at: iso(server?.lastSuccessAt ?? null),
      last_error_at: iso(server?.lastErrorAt ?? null),
      last_error: server?.lastError ?? null,
    },
    expressions: qualitySettingsRow(db).sources.flatMap((s) => {
      const target =
        s.target.kind === 'component'
          ? { component: catalogue.byId.get(s.target.id)?.slug }
          : { area: catalogue.groups.find((g) => g.id === s.target.id)?.slug };
      return qualityMetrics
        .filter((m) => s.metrics[m] !== undefined)
        .map((metric) => {
          const st = states.get(sourceKey(s.target.id, metric));
          return {
            ...target,
            metric,
            covered_until: iso(st?.coveredUntil ?? null),
            last_success_at: iso(st?.lastSuccessAt ?? null),
            last_error_at: iso(st?.lastErrorAt ?? null),
            last_error: st?.lastError ?? null,
            series: st?.lastSeries ?? null,
          };
        });
    }),
  };
}
