// /calidad, /calidad/:area and its .json and .csv over three days of pushed minutes: every
// percentile checked against the test's own nearest-rank computation from the values it sent,
// gaps drawn and written as «sin datos» (never a value), the words a customer reads, the exact
// JSON shape, a CSV a spreadsheet cannot be tricked by, and the links from the other pages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { startTestServer } from '../support/server.ts';
import { testClock } from '../support/db.ts';
import { pushHistory } from './fixtures.ts';
import { inventory } from '../services/fixtures.ts';

const clock = testClock('2026-12-07T16:42:30Z'); // 10:42:30 in Mexico City
const NOW_MINUTE = Math.floor(Date.parse('2026-12-07T16:42:00Z') / 60_000);
let s: Awaited<ReturnType<typeof startTestServer>>;

// A small deterministic generator: the test knows every value it sent.
let seed = 42;
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const sent = new Map<string, Map<number, number>>();
/** Minutes without a sample: 3 h ago for 47 min (a gap inside the 24-hour chart), and 2 days ago for 3 h. */
const isGap = (m: number) =>
  (m >= NOW_MINUTE - 180 && m < NOW_MINUTE - 133) || (m >= NOW_MINUTE - 2880 && m < NOW_MINUTE - 2700);

function value(minute: number, component: string, metric: string): number | null {
  if (isGap(minute)) return null;
  const lastHour = minute >= NOW_MINUTE - 60;
  let v: number;
  if (metric === 'loss_pct')
    v = component === 'metepec-inalambrico' && lastHour ? 2 + Math.floor(random() * 3) : random() < 0.05 ? 1 : 0;
  else if (metric === 'jitter_ms') v = Math.round(random() * 40) / 10;
  else v = Math.round((8 + random() * 6 + (component === 'metepec-inalambrico' && lastHour ? 40 : 0)) * 100) / 100;
  const key = `${component}/${metric}`;
  if (!sent.has(key)) sent.set(key, new Map());
  sent.get(key)!.set(minute, v);
  return v;
}

/** The nearest-rank percentile as the test computes it: sort, take the ⌈p·n⌉-th. */
function rank(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((p / 100) * sorted.length) - 1];
}
const valuesBetween = (key: string, from: number, to: number) =>
  [...sent.get(key)!].filter(([m]) => m >= from && m < to).map(([, v]) => v);

beforeAll(async () => {
  s = await startTestServer({ now: clock.now });
  await pushHistory({
    db: s.db,
    post: async (body) => (await s.api('POST', '/api/v1/quality', body)).status,
    setClock: clock.set,
    series: ['metepec-fibra', 'metepec-inalambrico'].flatMap((component) =>
      (['latency_ms', 'jitter_ms', 'loss_pct'] as const).map((metric) => ({ component, metric })),
    ),
    from: new Date((NOW_MINUTE - 3 * 1440) * 60_000),
    to: new Date(NOW_MINUTE * 60_000),
    value,
  });
  clock.set('2026-12-07T16:42:30Z');
  const put = await s.api('PUT', '/api/v1/services', inventory);
  expect(put.status).toBe(200);
}, 120_000);

afterAll(async () => {
  await s?.close();
});

type Figures = { p50: number | null; p95: number | null; max: number | null; samples: number };
type AreaJson = {
  area: { slug: string; name: string };
  generated_at: string;
  components: Array<{
    id: string;
    slug: string;
    name: string;
    metrics: Record<
      string,
      { last_hour: Figures; last_30_days: Figures; series_24h: Array<[string, number | null, number | null]> }
    >;
  }>;
};

describe('/calidad/:area.json', () => {
  it('has exactly the issue’s shape, with nulls where there is no data', async () => {
    const res = await fetch(`${s.url}/calidad/metepec.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const json = (await res.json()) as AreaJson;
    expect(Object.keys(json)).toEqual(['area', 'generated_at', 'components']);
    expect(json.area).toEqual({ slug: 'metepec', name: 'Metepec' });
    expect(json.generated_at).toBe('2026-12-07T10:42:00-06:00');
    expect(json.components.map((c) => c.slug)).toEqual(['metepec-fibra', 'metepec-inalambrico']);
    for (const c of json.components) {
      expect(Object.keys(c)).toEqual(['id', 'slug', 'name', 'metrics']);
      expect(Object.keys(c.metrics)).toEqual(['latency_ms', 'jitter_ms', 'loss_pct']);
      for (const m of Object.values(c.metrics)) {
        expect(Object.keys(m)).toEqual(['last_hour', 'last_30_days', 'series_24h']);
        expect(Object.keys(m.last_hour)).toEqual(['p50', 'p95', 'max', 'samples']);
        expect(m.series_24h).toHaveLength(288);
      }
    }
    // An area nobody measures: no components, and a 404 for one that does not exist.
    expect(((await (await fetch(`${s.url}/calidad/lerma.json`)).json()) as AreaJson).components).toEqual([]);
    expect((await fetch(`${s.url}/calidad/atlantida.json`)).status).toBe(404);
  });
});

describe('/calidad and /calidad/:area', () => {
  it('shows each area and technology with its word, its 30-day typical value and the method', async () => {
    const html = await (await fetch(`${s.url}/calidad`)).text();
    const card = (slug: string) => new RegExp(`id="calidad-${slug}"[\\s\\S]*?</article>`).exec(html)![0];
    expect(card('metepec-fibra').match(/qw-(\w+)/g)).toEqual(['qw-normal', 'qw-normal', 'qw-normal']);
    expect(card('metepec-inalambrico')).toContain('Más lenta de lo habitual');
    expect(card('metepec-inalambrico')).toContain('Con pérdidas');
    expect(card('metepec-inalambrico')).toContain('típico en 30 días');
    expect(html).toContain('desde el nodo central de SOMNET hasta el equipo de cada zona, cada minuto');
    expect(html).toContain('método del rango más cercano');
    // The minute it is computed to, named in Mexico City time.
    expect(html).toMatch(/7 dic 2026,? 10:42 \(hora del centro de México\)/);
    // Only measured areas are listed.
    expect(html).not.toContain('id="calidad-lerma"');
  });

  it('draws each chart on the server with a text alternative and a table, gaps as «sin datos»', async () => {
    const res = await fetch(`${s.url}/calidad/metepec`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toMatch(/<script/);
    const charts = html.match(/<svg[^>]*role="img"[^>]*aria-labelledby="([^"]+)"/g) ?? [];
    expect(charts).toHaveLength(12); // 2 components × 3 metrics × (24 h + 30 days)
    expect(html).toMatch(
      /<desc id="metepec-fibra-latency_ms-24h-d">Últimas 24 horas[^<]*Sin datos en \d+ de 288 intervalos \(un tramo\)/,
    );
    // The gap is a shaded band labelled «sin datos», and a table row saying so.
    const chart = /<figure class="quality-chart">[\s\S]*?<\/figure>/.exec(
      html.slice(html.indexOf('metepec-fibra-latency_ms-24h')),
    )![0];
    expect(chart).toMatch(/<rect[^>]*class="gap"/);
    expect(chart).toMatch(/class="gap-label"[^>]*>\s*sin datos\s*</);
    expect(chart).toMatch(/<td colspan="2">sin datos<\/td>/);
    expect(html).toContain('Últimas 24 horas');
    expect(html).toContain('Últimos 30 días');
    expect(html).toContain('href="/calidad/metepec.json"');
    expect(html).toContain('href="/calidad/metepec.csv"');
    expect((await fetch(`${s.url}/calidad/atlantida`)).status).toBe(404);
    const empty = await (await fetch(`${s.url}/calidad/lerma`)).text();
    expect(empty).toContain('Aún no publicamos mediciones de calidad en Lerma');
  });

  it('writes the same figures as CSV, every text quoted and no cell a formula', async () => {
    const patch = await s.api('PATCH', '/api/v1/components/metepec-inalambrico', {
      name: '=HYPERLINK("http://x.example","y")',
    });
    expect(patch.status).toBe(200);
    const res = await fetch(`${s.url}/calidad/metepec.csv`);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="somnet-calidad-metepec.csv"');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // UTF-8 BOM, for spreadsheets
    const text = bytes.subarray(3).toString('utf8');
    const rows = parse(text, { columns: true }) as Array<Record<string, string>>;
    const json = (await (await fetch(`${s.url}/calidad/metepec.json`)).json()) as AreaJson;
    const hour = rows.find(
      (r) => r.servicio_slug === 'metepec-fibra' && r.metrica === 'latency_ms' && r.periodo === 'ultima_hora',
    )!;
    const lh = json.components[0].metrics.latency_ms.last_hour;
    expect(Number(hour.p50)).toBeCloseTo(lh.p50!, 3);
    expect(Number(hour.minutos_con_datos)).toBe(lh.samples);
    // A gap is an empty figure, not a zero.
    const gap = rows.find(
      (r) => r.servicio_slug === 'metepec-fibra' && r.periodo === '5_minutos' && r.minutos_con_datos === '0',
    )!;
    expect([gap.p50, gap.p95]).toEqual(['', '']);
    const renamed = rows.find((r) => r.servicio_slug === 'metepec-inalambrico')!;
    expect(renamed.servicio).toBe(`'=HYPERLINK("http://x.example","y")`);
    expect(text).toContain(`"'=HYPERLINK(""http://x.example"",""y"")"`);
    await s.api('PATCH', '/api/v1/components/metepec-inalambrico', { name: 'Inalámbrico (microondas)' });
  });
});

describe('links to the quality pages', () => {
  it('from the area page, the service page and the self-diagnosis when the link is slow', async () => {
    expect(await (await fetch(`${s.url}/zonas/metepec`)).text()).toContain('href="/calidad/metepec"');
    const service = await (await fetch(`${s.url}/mi-servicio/SOM-12345`)).text();
    expect(service).toContain('href="/calidad/metepec#metepec-fibra"');
    expect(service).toContain('Calidad de la red de su servicio');
    const slow = await (
      await fetch(`${s.url}/autodiagnostico?zona=metepec&reinicio=si&leds=normal&cable=lento`)
    ).text();
    expect(slow).toContain('href="/calidad/metepec"');
    expect(slow).toContain('Más lenta de lo habitual');
    const notSlow = await (
      await fetch(`${s.url}/autodiagnostico?zona=metepec&reinicio=si&leds=normal&cable=falla`)
    ).text();
    expect(notSlow).not.toContain('href="/calidad/metepec"');
  });
});

describe('/calidad/:area.json figures', () => {
  it('computes every percentile by nearest rank, as the test does from what it sent', async () => {
    const json = (await (await fetch(`${s.url}/calidad/metepec.json`)).json()) as AreaJson;
    for (const c of json.components) {
      for (const [metric, m] of Object.entries(c.metrics)) {
        const key = `${c.slug}/${metric}`;
        const hour = valuesBetween(key, NOW_MINUTE - 60, NOW_MINUTE);
        expect(m.last_hour, key).toEqual({
          p50: rank(hour, 50),
          p95: rank(hour, 95),
          max: Math.max(...hour),
          samples: hour.length,
        });
        // Each five-minute bucket of the last 24 hours; a bucket without samples is null, never 0.
        const to = Math.floor(NOW_MINUTE / 5) * 5;
        m.series_24h.forEach(([iso, p50, p95], i) => {
          const from = to - 1440 + i * 5;
          expect(Date.parse(iso)).toBe(from * 60_000);
          const values = valuesBetween(key, from, from + 5);
          expect([p50, p95], `${key} ${iso}`).toEqual([rank(values, 50), rank(values, 95)]);
        });
        // 30 days from the hourly aggregates: the hourly p50s and p95s, each hour weighted by its minutes.
        // The 720 complete hours before the current one.
        const lastHour = Math.floor(NOW_MINUTE / 60) - 1;
        const hours: Array<{ p50: number; p95: number; n: number }> = [];
        for (let h = lastHour - 719; h <= lastHour; h++) {
          const v = valuesBetween(key, h * 60, h * 60 + 60);
          if (v.length) hours.push({ p50: rank(v, 50)!, p95: rank(v, 95)!, n: v.length });
        }
        const weighted = (k: 'p50' | 'p95', p: number) => {
          const expanded = hours.flatMap((h) => Array(h.n).fill(h[k]) as number[]);
          return rank(expanded, p);
        };
        const all = valuesBetween(key, (lastHour - 719) * 60, (lastHour + 1) * 60);
        expect(m.last_30_days, key).toEqual({
          p50: weighted('p50', 50),
          p95: weighted('p95', 95),
          max: Math.max(...all),
          samples: all.length,
        });
      }
    }
    // The gap 3 h ago: the five-minute buckets it covers whole are null (the test counts them itself).
    const to = Math.floor(NOW_MINUTE / 5) * 5;
    let empty = 0;
    for (let from = to - 1440; from < to; from += 5)
      if (valuesBetween('metepec-fibra/latency_ms', from, from + 5).length === 0) empty++;
    expect(empty).toBeGreaterThan(0);
    const fibra = json.components[0].metrics.latency_ms.series_24h;
    expect(fibra.filter(([, p50]) => p50 === null)).toHaveLength(empty);
  });
});
