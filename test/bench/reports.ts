// `npm run bench:reports`: the 12-month availability report over 50 components and 10,000
// status events (target: "well under a second", so the page renders on demand), each number next to a reference measured in
// the same run on the same machine:
// - availabilityReport (queries + the availability rule, 12 months × 50 components), next to the
//   bare read of the same rows (the floor of any implementation reading these events);
// - the whole page /disponibilidad/AAAA-MM rendered (queries + Astro + gzip/brotli), next to `/`
//   rendered from the same database (the page every publish renders first);
// - the CSV of one month.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt } from '../../api/build.ts';
import { loadSite } from '../../api/server.ts';
import { availabilityCsv } from '../../api/render/availability.ts';
import { openDatabase, type Db } from '#db/client.ts';
import { zonedMonthKey } from '#db/domain/time.ts';
import { availabilityReport, shiftMonth } from '#db/queries/index.ts';
import { newId } from '#db/ids.ts';
import { seedBenchCatalogue } from './seed.ts';

const EVENTS = 10_000;
const DAY = 86_400_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function timed(runs: number, fn: () => unknown | Promise<unknown>): Promise<{ p50: number; min: number }> {
  const times: number[] = [];
  for (let i = 0; i < runs + 3; i++) {
    const t = performance.now();
    await fn();
    if (i >= 3) times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), min: times[0] };
}

/**
 * 50 components created a year ago; 10,000 status changes spread over the 12 months (outages of
 * 5–120 minutes, each followed by the return to Operativo), 200 incidents linked to them and 60
 * maintenance windows (a third of them emergencies) in progress at some point.
 */
function seed(db: Db, now: number): void {
  const start = new Date(now - 366 * DAY);
  seedBenchCatalogue(db, start);
  const ids = db.$client.prepare('SELECT id FROM components ORDER BY id').pluck().all() as string[];
  let rng = 7;
  const rand = () => (rng = (rng * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const insertEvent = db.$client.prepare(
    `INSERT INTO component_status_events (component_id, previous_status, status, at, cause_kind) VALUES (?, ?, ?, ?, 'manual')`,
  );
  const statuses = ['major_outage', 'partial_outage', 'degraded_performance', 'under_maintenance'] as const;
  const insertIncident = db.$client.prepare(
    `INSERT INTO incidents (id, name, status, impact, started_at, resolved_at, created_at, updated_at) VALUES (?, ?, 'resolved', 'critical', ?, ?, ?, ?)`,
  );
  const linkIncident = db.$client.prepare('INSERT INTO incident_components (incident_id, component_id) VALUES (?, ?)');
  const insertWindow = db.$client
    .prepare(`INSERT INTO maintenances (id, name, body, status, impact_kind, auto_transition, emergency, low_impact_window, scheduled_for, scheduled_until, started_at, completed_at, created_at, updated_at)
    VALUES (?, ?, 'Prueba', 'completed', 'outage', 1, ?, 1, ?, ?, ?, ?, ?, ?)`);
  const linkWindow = db.$client.prepare(
    'INSERT INTO maintenance_components (maintenance_id, component_id) VALUES (?, ?)',
  );
  db.$client.transaction(() => {
    // Pairs of events: the change and the return to Operativo.
    for (let i = 0; i < EVENTS / 2; i++) {
      const component = ids[Math.floor(rand() * ids.length)];
      const at = start.getTime() + DAY + Math.floor(rand() * 364 * DAY);
      const status = statuses[Math.floor(rand() * statuses.length)];
      const end = at + (5 + Math.floor(rand() * 115)) * 60_000;
      insertEvent.run(component, 'operational', status, at);
      insertEvent.run(component, status, 'operational', end);
      if (i % 25 === 0 && status !== 'under_maintenance') {
        const id = newId();
        insertIncident.run(id, `Incidente de prueba ${i}`, at, end, at, end);
        linkIncident.run(id, component);
      }
      if (i % 83 === 0) {
        const id = newId();
        insertWindow.run(
          id,
          `Mantenimiento de prueba ${i}`,
          i % 3 === 0 ? 1 : 0,
          at,
          end,
          at,
          end,
          at - (i % 3 === 0 ? DAY : 5 * DAY),
          end,
        );
        linkWindow.run(id, component);
      }
    }
  })();
}

await ensureBuilt();
const dbPath = join(mkdtempSync(join(tmpdir(), 'somnet-bench-reports-')), 'somnet.db');
const now = Date.now();
const t0 = performance.now();
const db = openDatabase(dbPath);
seed(db, now);
const counts = db.$client
  .prepare(
    `SELECT (SELECT count(*) FROM components) AS components, (SELECT count(*) FROM component_status_events) AS events,
  (SELECT count(*) FROM incidents) AS incidents, (SELECT count(*) FROM maintenances) AS maintenances`,
  )
  .get() as Record<string, number>;
console.log(
  `Base de datos: ${counts.components} componentes, ${counts.events.toLocaleString('es-MX')} eventos de estado, ${counts.incidents} incidentes, ${counts.maintenances} mantenimientos en 12 meses (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
);

// The last complete month, with the 11 before it: a year of figures.
const month = shiftMonth(zonedMonthKey(new Date(now)), -1);
const nowDate = new Date(now);
const report = availabilityReport(db, month, nowDate);
console.log(
  `Informe de ${month}: ${report.months.length} meses, disponibilidad de la red ${report.month.network.percent?.toFixed(4)} %`,
);

// 1. The report itself next to the bare read of the same rows.
const firstMonth = shiftMonth(month, -11);
const floorSql = db.$client.prepare(
  'SELECT component_id, at, status FROM component_status_events WHERE at >= ? ORDER BY at, id',
);
const from = now - 366 * DAY;
const bare = await timed(30, () => floorSql.raw().all(from));
const rule = await timed(30, () => availabilityReport(db, month, nowDate));
console.log(
  `\navailabilityReport, 12 meses (${firstMonth} a ${month}) × 50 componentes, 30 veces: p50 ${rule.p50.toFixed(1)} ms, mín ${rule.min.toFixed(1)} ms`,
);
console.log(
  `  referencia: leer las mismas ${counts.events.toLocaleString('es-MX')} filas sin calcular nada: p50 ${bare.p50.toFixed(1)} ms (el informe cuesta ${(rule.p50 / bare.p50).toFixed(1)}× esa lectura)`,
);

// 2. The whole page next to `/`, both rendered fresh from the same database.
const { renderPublic } = await loadSite({
  db,
  config: { port: 0, host: '127.0.0.1', databasePath: dbPath, publicUrl: 'https://status.somnet.com.mx' },
});
const page = await timed(20, () => renderPublic(`/disponibilidad/${month}`, { fresh: true }));
const home = await timed(20, () => renderPublic('/', { fresh: true }));
const bytes = (await renderPublic(`/disponibilidad/${month}`))?.body.length ?? 0;
console.log(
  `\nRenderizar /disponibilidad/${month} (consultas + Astro + gzip/brotli), 20 veces: p50 ${page.p50.toFixed(1)} ms, mín ${page.min.toFixed(1)} ms, ${bytes.toLocaleString('es-MX')} bytes`,
);
console.log(
  `  referencia: renderizar / de la misma base: p50 ${home.p50.toFixed(1)} ms (la página mensual cuesta ${(page.p50 / home.p50).toFixed(1)}× /)`,
);

// 3. One month's CSV.
const csv = await timed(30, () => availabilityCsv(availabilityReport(db, month, nowDate, { months: 1 }).month));
console.log(`\nCSV del mes (informe de 1 mes + csv-stringify), 30 veces: p50 ${csv.p50.toFixed(1)} ms`);

const target = 1000;
console.log(
  `\nMeta: el informe de 12 meses muy por debajo de 1 s → página ${page.p50.toFixed(0)} ms: ${page.p50 < target / 4 ? 'CUMPLE' : page.p50 < target ? 'CUMPLE (justo)' : 'NO CUMPLE'}`,
);
db.$client.close();
process.exit(0);
