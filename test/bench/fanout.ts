// `npm run bench:fanout`: an incident update that notifies BENCH_RECIPIENTS (11,600) email
// subscribers, against the real server (a forked process, as `npm start` runs it), while two
// clients keep asking for `GET /`. Prints, for each of BENCH_ROUNDS (3) updates: the notifying
// POST (reference: the same POST with deliver_notifications false, same run), the p99 and the
// longest `GET /` while the fan-out runs (reference: the same readers with nothing else running),
// how long until every recipient has its outbox row, and the server's CPU time for it. First, in
// this process on a copy of the database: the thread CPU of the notifying command and of each
// slice expanded after it (load-independent). BENCH_CPU_PROF=<dir> writes the server's CPU profile.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ensureBuilt } from '../../api/build.ts';
import { openDatabase } from '#db/client.ts';
import { createApiToken } from '#db/commands/tokens.ts';
import { createIncident, publishIncidentUpdate } from '#db/commands/incidents.ts';
import { systemActor } from '#db/commands/audit.ts';
import { seedDemoCatalogue } from '#db/seed.ts';
import { newSecrets } from '#db/subscriptions/tokens.ts';
import { freePort } from '../support/nginx.ts';
import { startSettings } from './startSettings.ts';
import '#db/notifications/channels.ts';

const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 11_600);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PUBLIC_URL = 'https://status.somnet.com.mx';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const median = (xs: number[]) => percentile(xs, 50);

await ensureBuilt();
console.log(
  `bench:fanout — ${new Date().toISOString()}, ${RECIPIENTS.toLocaleString('es-MX')} suscriptores, carga ${load()}`,
);
const work = mkdtempSync(join(tmpdir(), 'somnet-fanout-bench-'));
const dbPath = join(work, 'somnet.db');
const setup = openDatabase(dbPath);
const now = new Date();
seedDemoCatalogue(setup, now);
const token = createApiToken(setup, 'bench', now).token;
const incident = createIncident(
  setup,
  { name: 'Corte de fibra troncal', status: 'investigating', body: 'Revisando.', deliverNotifications: false },
  { now, actor: systemActor },
);
{
  const ids = newSecrets(RECIPIENTS);
  const insert = setup.$client.prepare(
    "INSERT INTO subscribers (id, channel, address, kind, all_components, confirmed_at, created_at, updated_at) VALUES (?, 'email', ?, 'public', 1, ?, ?, ?)",
  );
  const at = now.getTime();
  setup.$client.transaction(() => {
    for (let i = 0; i < RECIPIENTS; i++) insert.run(ids[i].slice(0, 12), `escala${i}@cliente${i % 997}.mx`, at, at, at);
  })();
}
setup.$client.close();

// In this process, on a copy: the CPU time of the notifying command itself (what the POST waits
// for) and of each slice expanded after it (what a request may wait behind), thread CPU so the
// machine's load does not count.
{
  const copy = join(work, 'copia.db');
  copyFileSync(dbPath, copy);
  const db = openDatabase(copy);
  const cpu = () => process.threadCpuUsage().user / 1000 + process.threadCpuUsage().system / 1000;
  const ctx = () => ({ now: new Date(), actor: systemActor });
  let t = cpu();
  publishIncidentUpdate(
    db,
    incident.id,
    { status: 'investigating', body: 'Sin avisos.', deliverNotifications: false },
    ctx(),
  );
  const silent = cpu() - t;
  t = cpu();
  publishIncidentUpdate(db, incident.id, { status: 'identified', body: 'Con avisos.' }, ctx());
  const notifying = cpu() - t;
  const slices: number[] = [];
  // Absent on a server whose command writes every row itself (before the durable fan-out).
  const fanout = await import('#db/outbox/fanout.ts').catch(() => null);
  for (;;) {
    if (!fanout) break;
    t = cpu();
    if (!fanout.expandFanOutSlice(db)) break;
    slices.push(cpu() - t);
  }
  const rows = db.$client.prepare("SELECT count(*) FROM outbox_messages WHERE kind = 'incident.updated'").pluck().get();
  console.log(
    `  CPU del comando que avisa: ${notifying.toFixed(0)} ms (ref.: la misma actualización sin avisos ${silent.toFixed(0)} ms); ` +
      (slices.length
        ? `después, ${slices.length} tandas: mediana ${percentile(slices, 50).toFixed(1)} ms, p99 ${percentile(slices, 99).toFixed(1)} ms, máx. ${Math.max(...slices).toFixed(1)} ms de CPU cada una, ${slices.reduce((a, b) => a + b, 0).toFixed(0)} ms en total; `
        : '') +
      `${rows} filas; carga ${load()}`,
  );
  db.$client.close();
}

const port = await freePort();
const settings = startSettings();
const child = fork(join(import.meta.dirname, 'scaleServer.ts'), [], {
  execArgv: [
    '--expose-gc',
    ...settings.flags,
    ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
  ],
  env: { ...process.env, ...settings.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: dbPath, PUBLIC_URL },
  stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
});
const base = `http://127.0.0.1:${port}`;
const cpuMs = async () => {
  child.send('memory');
  const [m] = await once(child, 'message');
  return (m as { cpuMs: number }).cpuMs;
};
const post = (path: string, body: unknown) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const reader = new Database(dbPath, { readonly: true });
const rowsOf = reader.prepare("SELECT count(*) FROM outbox_messages WHERE kind = 'incident.updated'").pluck();

try {
  for (;;) {
    if (
      await fetch(`${base}/`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (child.exitCode !== null) throw new Error('el servidor terminó al arrancar');
    await new Promise((r) => setTimeout(r, 50));
  }
  /** Two clients reading `GET /` until `until()` says stop; their latencies. */
  const readers = async (until: () => boolean) => {
    const latencies: number[] = [];
    const one = async () => {
      while (!until()) {
        const t = performance.now();
        await (await fetch(`${base}/`)).arrayBuffer();
        latencies.push(performance.now() - t);
      }
    };
    await Promise.all([one(), one()]);
    return latencies;
  };
  await new Promise((r) => setTimeout(r, 1500));
  const quietUntil = performance.now() + 2000;
  const quiet = await readers(() => performance.now() > quietUntil);
  console.log(
    `  ref.: GET / en calma: p99 ${percentile(quiet, 99).toFixed(1)} ms, máx. ${Math.max(...quiet).toFixed(1)} ms`,
  );

  const results: Array<{ silent: number; posted: number; p99: number; max: number; rows: number; cpu: number }> = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // Reference: the same kind of POST, recorded without notices.
    let t = performance.now();
    const silent = await post(`/api/v1/incidents/${incident.id}/updates`, {
      status: 'investigating',
      body: `Seguimos revisando (${round}).`,
      deliver_notifications: false,
    });
    if (silent.status !== 201) throw new Error(`la actualización sin avisos respondió ${silent.status}`);
    const silentMs = performance.now() - t;
    await new Promise((r) => setTimeout(r, 500));

    const before = rowsOf.get() as number;
    const cpu0 = await cpuMs();
    let complete = false;
    let rowsMs = NaN;
    const reading = readers(() => complete);
    await new Promise((r) => setTimeout(r, 300));
    t = performance.now();
    const res = await post(`/api/v1/incidents/${incident.id}/updates`, {
      status: 'identified',
      body: `Aviso a todos los suscriptores (${round}): la cuadrilla llegó al sitio.`,
    });
    const postedMs = performance.now() - t;
    if (res.status !== 201) throw new Error(`la actualización con avisos respondió ${res.status}`);
    const deadline = performance.now() + 120_000;
    while ((rowsOf.get() as number) - before < RECIPIENTS) {
      if (performance.now() > deadline) throw new Error('las filas no se escribieron en 2 minutos');
      await new Promise((r) => setTimeout(r, 10));
    }
    rowsMs = performance.now() - t;
    const cpu = (await cpuMs()) - cpu0;
    complete = true;
    const during = await reading;
    results.push({
      silent: silentMs,
      posted: postedMs,
      p99: percentile(during, 99),
      max: Math.max(...during),
      rows: rowsMs,
      cpu,
    });
    console.log(
      `  ronda ${round}: POST con avisos ${postedMs.toFixed(0)} ms (ref.: sin avisos ${silentMs.toFixed(0)} ms); ` +
        `GET / mientras: p99 ${percentile(during, 99).toFixed(1)} ms, máx. ${Math.max(...during).toFixed(1)} ms (${during.length} lecturas); ` +
        `todas las filas a los ${rowsMs.toFixed(0)} ms; CPU del servidor ${cpu.toFixed(0)} ms; carga ${load()}`,
    );
    await new Promise((r) => setTimeout(r, 1000));
  }
  console.log(
    `  mediana: POST ${median(results.map((r) => r.posted)).toFixed(0)} ms (ref. ${median(results.map((r) => r.silent)).toFixed(0)} ms), ` +
      `p99 GET / ${median(results.map((r) => r.p99)).toFixed(1)} ms (ref. en calma ${percentile(quiet, 99).toFixed(1)} ms), ` +
      `máx. GET / ${median(results.map((r) => r.max)).toFixed(1)} ms, filas completas ${median(results.map((r) => r.rows)).toFixed(0)} ms, ` +
      `CPU ${median(results.map((r) => r.cpu)).toFixed(0)} ms`,
  );
} finally {
  reader.close();
  if (child.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  rmSync(work, { recursive: true, force: true });
}
