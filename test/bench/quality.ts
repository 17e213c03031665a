// `npm run bench:quality`: 100 series (component × metric) with one sample a minute
// for 30 days, pushed through POST /api/v1/quality as SOMNET's scripts would (10,000 samples a
// request, the clock moved a day at a time, raw minutes aged out after 14 days as the worker
// does), then each number next to a reference measured in the same run:
// - ingest rate, next to bare prepared INSERTs of the same rows (no JSON, no checks, no hourly
//   aggregates: the floor of any implementation storing these rows);
// - database growth per day and per sample, before and after the 14-day ageing;
// - one pull pass storing a minute for 100 series;
// - render time of /calidad, /calidad/:area, its .json and .csv, next to `/` from the same database.
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt } from '../../api/build.ts';
import { createApp } from '../../api/app.ts';
import { loadSite } from '../../api/server.ts';
import { openDatabase } from '#db/client.ts';
import { createApiToken } from '#db/commands/tokens.ts';
import { recordPull, replaceQualitySources } from '#db/commands/quality.ts';
import { qualitySettingsRow } from '#db/queries/index.ts';
import { seedBenchCatalogue } from './seed.ts';

const SERIES = 100;
const DAYS = Number(process.env.BENCH_DAYS ?? 30);
const BATCH = 10_000;
const DAY_MINUTES = 1440;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
async function timed(runs: number, fn: () => unknown | Promise<unknown>) {
  const times: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const t = performance.now();
    await fn();
    if (i >= 2) times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), min: times[0] };
}
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const n = (v: number) => Math.round(v).toLocaleString('es-MX');

await ensureBuilt();
const dir = mkdtempSync(join(tmpdir(), 'somnet-bench-quality-'));
const dbPath = join(dir, 'somnet.db');
const db = openDatabase(dbPath);
const end = Math.floor(Date.now() / 60_000);
const start = end - DAYS * DAY_MINUTES;
seedBenchCatalogue(db, new Date(start * 60_000 - 86_400_000));
let clock = new Date(start * 60_000);
const config = { port: 0, host: '127.0.0.1', databasePath: dbPath, publicUrl: 'https://status.somnet.com.mx' };
const { app } = createApp({ db, config, now: () => clock });
const { token } = createApiToken(db, 'bench', clock);
const components = (
  db.$client.prepare("SELECT slug FROM components WHERE slug LIKE 'zona-%' ORDER BY rowid").pluck().all() as string[]
).slice(0, Math.ceil(SERIES / 3));
const series = components
  .flatMap((component) => (['latency_ms', 'jitter_ms', 'loss_pct'] as const).map((metric) => ({ component, metric })))
  .slice(0, SERIES);
let rng = 11;
const rand = () => (rng = (rng * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const valueOf = (metric: string, minute: number) =>
  metric === 'loss_pct'
    ? rand() < 0.03
      ? Math.round(rand() * 50) / 10
      : 0
    : Math.round(((metric === 'latency_ms' ? 8 : 3) + rand() * 4 + Math.sin(minute / 240) * 2) * 100) / 100;

const size = () => {
  db.$client.pragma('wal_checkpoint(TRUNCATE)');
  return statSync(dbPath).size;
};
const emptySize = size();
console.log(
  `Base de datos: ${components.length} componentes × 3 métricas = ${series.length} series, ${DAYS} días de un valor por minuto (${n(series.length * DAYS * DAY_MINUTES)} muestras).`,
);

// 1. Ingest through the API, a day at a time.
let ingestMs = 0;
let sent = 0;
let sizeAt14 = 0;
for (let day = 0; day < DAYS; day++) {
  const from = start + day * DAY_MINUTES;
  clock = new Date((from + DAY_MINUTES) * 60_000 + 30_000);
  const bodies: string[] = [];
  let body: Array<{ component: string; metric: string; samples: Array<[string, number]> }> = [];
  let inBody = 0;
  for (const s of series) {
    let samples: Array<[string, number]> = [];
    for (let m = from; m < from + DAY_MINUTES; m++) {
      samples.push([new Date(m * 60_000).toISOString(), valueOf(s.metric, m)]);
      if (inBody + samples.length === BATCH) {
        body.push({ ...s, samples });
        bodies.push(JSON.stringify({ series: body }));
        body = [];
        inBody = 0;
        samples = [];
      }
    }
    if (samples.length) {
      body.push({ ...s, samples });
      inBody += samples.length;
    }
  }
  if (inBody) bodies.push(JSON.stringify({ series: body }));
  const t = performance.now();
  for (const b of bodies) {
    const res = await app.request('/api/v1/quality', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: b,
    });
    if (res.status !== 200) throw new Error(`POST /api/v1/quality: ${res.status} ${await res.text()}`);
    sent += ((await res.json()) as { accepted: number }).accepted;
  }
  ingestMs += performance.now() - t;
  // The worker's hourly ageing, once a day here (the same work, in larger steps).
  const { ageQualityData } = await import('#db/commands/quality.ts');
  const ta = performance.now();
  ageQualityData(db, clock);
  ingestMs += performance.now() - ta;
  if (day === 13) sizeAt14 = size();
}
const finalSize = size();
const rate = sent / (ingestMs / 1000);

// The reference: the same number of rows per request by bare prepared INSERTs, one transaction per 10,000.
const refDb = openDatabase(join(dir, 'reference.db'));
refDb.$client.exec(
  'CREATE TABLE bare (series_id INTEGER, minute INTEGER, value REAL, PRIMARY KEY (series_id, minute)) WITHOUT ROWID',
);
const insert = refDb.$client.prepare('INSERT INTO bare (series_id, minute, value) VALUES (?, ?, ?)');
const refRows = series.length * DAY_MINUTES * 2;
const tr = performance.now();
for (let done = 0; done < refRows; done += BATCH) {
  refDb.$client.transaction(() => {
    for (let i = done; i < Math.min(done + BATCH, refRows); i++)
      insert.run(i % series.length, start + Math.floor(i / series.length), valueOf('latency_ms', i));
  })();
}
const refRate = refRows / ((performance.now() - tr) / 1000);
console.log(
  `\nIngesta por POST /api/v1/quality (${n(sent)} muestras en envíos de ${n(BATCH)}, con agregados horarios y envejecimiento):`,
);
console.log(
  `  ${n(rate)} muestras/s (${(ingestMs / 1000).toFixed(1)} s en total; un día de 100 series: ${(ingestMs / DAYS / 1000).toFixed(2)} s)`,
);
console.log(
  `  referencia: INSERT preparados sin JSON, sin validar ni agregar: ${n(refRate)} filas/s (la ingesta cuesta ${(refRate / rate).toFixed(1)}× esa escritura)`,
);
console.log(
  `  en producción llegan ${series.length} muestras por minuto: ${((series.length / rate) * 1000).toFixed(1)} ms de trabajo por minuto.`,
);

// 2. Growth.
const rows = db.$client
  .prepare('SELECT (SELECT count(*) FROM quality_samples) AS raw, (SELECT count(*) FROM quality_hourly) AS hourly')
  .get() as { raw: number; hourly: number };
console.log(`\nCrecimiento de la base (tras checkpoint del WAL):`);
if (sizeAt14)
  console.log(
    `  vacía ${mb(emptySize)}; a los 14 días ${mb(sizeAt14)} (${((sizeAt14 - emptySize) / (14 * series.length * DAY_MINUTES)).toFixed(1)} bytes por muestra, con su agregado horario)`,
  );
console.log(
  `  a los ${DAYS} días ${mb(finalSize)}: ${n(rows.raw)} minutos (14 días) + ${n(rows.hourly)} filas horarias; lo que queda fijo con 14 días de minutos`,
);
const hourlyPerDay = series.length * 24;
console.log(
  `  cada día más solo suma ${n(hourlyPerDay)} filas horarias; 13 meses de agregados ≈ ${n(hourlyPerDay * 396)} filas`,
);

// 3. One pull pass: a minute for 100 series.
replaceQualitySources(
  db,
  {
    sources: components.map((component) => ({
      component,
      metrics: { latency_ms: 'x', jitter_ms: 'y', loss_pct: 'z' },
    })),
  },
  { now: clock, actor: { kind: 'cli', name: 'bench' } },
);
const sources = qualitySettingsRow(db).sources;
let pullMinute = end;
const pull = await timed(20, () => {
  pullMinute++;
  clock = new Date((pullMinute + 1) * 60_000 + 10_000);
  // What the worker stores after one pass: every expression's minute, in one transaction.
  recordPull(
    db,
    sources.flatMap((source) =>
      (['latency_ms', 'jitter_ms', 'loss_pct'] as const).map((metric) => ({
        source,
        metric,
        outcome: {
          ok: true as const,
          fromMinute: pullMinute,
          toMinute: pullMinute + 1,
          series: [{ metric: {}, values: [[(pullMinute + 1) * 60, '9.5']] as Array<[number, string]> }],
        },
      })),
    ),
    clock,
  );
});
console.log(
  `\nUna pasada del trabajador (un minuto de ${sources.length * 3} series, una transacción): p50 ${pull.p50.toFixed(1)} ms`,
);

// 4. Pages, next to `/`.
clock = new Date((pullMinute + 1) * 60_000 + 20_000);
const { renderPublic } = await loadSite({ db, config, now: () => clock });
const area = 'zona-1';
const home = await timed(15, () => renderPublic('/', { fresh: true }));
const results: Array<[string, { p50: number; min: number }, number]> = [];
for (const path of ['/calidad', `/calidad/${area}`, `/calidad/${area}.json`, `/calidad/${area}.csv`]) {
  const t = await timed(15, () => renderPublic(path, { fresh: true }));
  results.push([path, t, (await renderPublic(path))?.body.length ?? 0]);
}
console.log(`\nRenderizar (consultas + Astro o JSON/CSV + gzip/brotli), 15 veces cada una, p50:`);
for (const [path, t, bytes] of results)
  console.log(
    `  ${path.padEnd(22)} ${t.p50.toFixed(1).padStart(7)} ms (mín ${t.min.toFixed(1)} ms, ${n(bytes)} bytes) = ${(t.p50 / home.p50).toFixed(1)}× /`,
  );
console.log(`  referencia: / de la misma base: p50 ${home.p50.toFixed(1)} ms`);
db.$client.close();
process.exit(0);
