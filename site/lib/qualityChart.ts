// The geometry and words of one server-drawn quality chart (p50 and p95 over time): lines broken
// wherever a period has no data, each such run drawn as a shaded band labelled «sin datos» —
// never a line through it, never a zero — plus the text alternative and the table rows.
import type { QualityMetric } from '#db/enums.ts';
import { formatQualityValue } from '#db/domain/quality.ts';
import { zonedDateKey, zonedParts } from '#db/domain/time.ts';

export interface ChartPoint {
  start: Date;
  end: Date;
  p50: number | null;
  p95: number | null;
}

export const CHART = { width: 600, height: 230, left: 74, right: 10, top: 26, bottom: 30 } as const;

const SHORT_MONTHS = ['ene', 'feb', 'mar', 'abr', 'may', 'jun', 'jul', 'ago', 'sep', 'oct', 'nov', 'dic'];
const two = (n: number) => String(n).padStart(2, '0');
/** "14:05" in Mexico City. */
export const hhmm = (d: Date) => {
  const p = zonedParts(d);
  return `${two(p.hour)}:${two(p.minute)}`;
};
/** "7 dic" in Mexico City. */
export const dayOnly = (d: Date) => dayLabel(d);
/** "7 dic, 14:05" in Mexico City. */
export const dayTime = (d: Date) => {
  const p = zonedParts(d);
  return `${p.day} ${SHORT_MONTHS[p.month - 1]}, ${two(p.hour)}:${two(p.minute)}`;
};
const dayLabel = (d: Date) => {
  const p = zonedParts(d);
  return `${p.day} ${SHORT_MONTHS[p.month - 1]}`;
};

/** A round top for the scale: 1, 2, 2.5, 5 × 10ⁿ at or above `v`. */
function niceCeil(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export interface ChartModel {
  yMax: number;
  yTicks: Array<{ y: number; label: string }>;
  xTicks: Array<{ x: number; label: string }>;
  p50Paths: string[];
  p95Paths: string[];
  p50Dots: Array<{ x: number; y: number }>;
  p95Dots: Array<{ x: number; y: number }>;
  /** Each run without data; `label` is where its «sin datos» goes (above the band), null when it would overlap the previous one. */
  gaps: Array<{ x: number; width: number; from: Date; to: Date; label: number | null }>;
  /** The chart in words (its text alternative). */
  description: string;
  /** Table rows: one per period with data, one per run of periods without (`table: 'periods'`). */
  rows: Array<{ from: Date; to: Date; p50: string; p95: string; gap: boolean }>;
  /** Table rows by local day (`table: 'days'`): the range of the periods' medians, the highest p95, periods without data. */
  days: Array<{ day: Date; p50Low: string; p50High: string; p95High: string; missing: number; periods: number }>;
  empty: boolean;
}

export function chartModel(
  points: readonly ChartPoint[],
  options: { metric: QualityMetric; from: Date; to: Date; ticks: 'hours' | 'days'; periodLabel: string },
): ChartModel {
  const { width, height, left, right, top, bottom } = CHART;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const t0 = options.from.getTime();
  const span = options.to.getTime() - t0;
  const x = (d: Date) => left + ((d.getTime() - t0) / span) * plotW;
  const known95 = points.flatMap((p) => (p.p95 === null ? [] : [p.p95]));
  const known50 = points.flatMap((p) => (p.p50 === null ? [] : [p.p50]));
  const yMax = niceCeil(Math.max(options.metric === 'loss_pct' ? 1 : 5, ...known95, ...known50));
  const y = (v: number) => top + plotH - (v / yMax) * plotH;
  const yTicks = [0, yMax / 2, yMax].map((v) => ({ y: y(v), label: formatQualityValue(options.metric, v) }));

  const xTicks: ChartModel['xTicks'] = [];
  const step = options.ticks === 'hours' ? 6 * 3_600_000 : 7 * 86_400_000;
  // Ticks on local whole hours (every 6) or local midnights (every 7 days), from the right edge back.
  for (let t = options.to.getTime(); t >= t0; t -= step) {
    const d = new Date(t);
    const p = zonedParts(d);
    const aligned =
      options.ticks === 'hours'
        ? new Date(t - (p.minute * 60_000 + p.second * 1000 + (p.hour % 6) * 3_600_000))
        : new Date(t - ((p.hour * 60 + p.minute) * 60_000 + p.second * 1000));
    if (aligned.getTime() < t0) break;
    xTicks.unshift({ x: x(aligned), label: options.ticks === 'hours' ? hhmm(aligned) : dayLabel(aligned) });
  }

  const segments = (key: 'p50' | 'p95') => {
    const paths: string[] = [];
    const dots: Array<{ x: number; y: number }> = [];
    let run: Array<[number, number]> = [];
    const flush = () => {
      if (run.length === 1) dots.push({ x: run[0][0], y: run[0][1] });
      else if (run.length > 1)
        paths.push(run.map(([px, py], i) => `${i ? 'L' : 'M'}${px.toFixed(1)} ${py.toFixed(1)}`).join(''));
      run = [];
    };
    for (const p of points) {
      const v = p[key];
      if (v === null) flush();
      else run.push([(x(p.start) + x(p.end)) / 2, y(v)]);
    }
    flush();
    return { paths, dots };
  };
  const s50 = segments('p50');
  const s95 = segments('p95');

  const gaps: ChartModel['gaps'] = [];
  const rows: ChartModel['rows'] = [];
  let gapStart: ChartPoint | null = null;
  let gapEnd: ChartPoint | null = null;
  const closeGap = () => {
    if (!gapStart || !gapEnd) return;
    const gx = x(gapStart.start);
    const gw = Math.max(2, x(gapEnd.end) - gx);
    // «sin datos» is about 70 units wide at the chart's font size: centred over the band, kept
    // inside the plot, and left out only where it would overlap the previous gap's label.
    const centre = Math.min(Math.max(gx + gw / 2, left + 36), width - right - 36);
    const previous = gaps.findLast((g) => g.label !== null)?.label;
    const label = previous !== undefined && previous !== null && centre - previous < 76 ? null : centre;
    gaps.push({ x: gx, width: gw, from: gapStart.start, to: gapEnd.end, label });
    rows.push({ from: gapStart.start, to: gapEnd.end, p50: 'sin datos', p95: 'sin datos', gap: true });
    gapStart = gapEnd = null;
  };
  for (const p of points) {
    if (p.p50 === null) {
      gapStart ??= p;
      gapEnd = p;
      continue;
    }
    closeGap();
    rows.push({
      from: p.start,
      to: p.end,
      p50: formatQualityValue(options.metric, p.p50),
      p95: formatQualityValue(options.metric, p.p95),
      gap: false,
    });
  }
  closeGap();

  const days: ChartModel['days'] = [];
  const byDay = new Map<string, ChartPoint[]>();
  for (const p of points) {
    const key = zonedDateKey(p.start);
    let list = byDay.get(key);
    if (!list) byDay.set(key, (list = []));
    list.push(p);
  }
  for (const list of byDay.values()) {
    const p50s = list.flatMap((p) => (p.p50 === null ? [] : [p.p50]));
    const p95s = list.flatMap((p) => (p.p95 === null ? [] : [p.p95]));
    const f = (v: number | null) => (v === null ? 'sin datos' : formatQualityValue(options.metric, v));
    days.push({
      day: list[0].start,
      p50Low: f(p50s.length ? Math.min(...p50s) : null),
      p50High: f(p50s.length ? Math.max(...p50s) : null),
      p95High: f(p95s.length ? Math.max(...p95s) : null),
      missing: list.length - p50s.length,
      periods: list.length,
    });
  }

  const missing = points.filter((p) => p.p50 === null).length;
  const empty = known50.length === 0;
  const fmt = (v: number) => formatQualityValue(options.metric, v);
  const description = empty
    ? `Sin datos en todo el periodo (${options.periodLabel}).`
    : `${options.periodLabel}: la mediana fue de ${fmt(Math.min(...known50))} a ${fmt(Math.max(...known50))} y el p95 llegó a ${fmt(Math.max(...known95))}. ` +
      (missing === 0
        ? 'Hay datos en todos los intervalos.'
        : `Sin datos en ${missing} de ${points.length} intervalos (${gaps.length === 1 ? 'un tramo' : `${gaps.length} tramos`}).`);
  return {
    yMax,
    yTicks,
    xTicks,
    p50Paths: s50.paths,
    p95Paths: s95.paths,
    p50Dots: s50.dots,
    p95Dots: s95.dots,
    gaps,
    description,
    rows,
    days,
    empty,
  };
}
