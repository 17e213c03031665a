// `npm run bench:alerts`: how long from an alert to the component's new status on `/`, with the
// real Debian prometheus-alertmanager in front of the real server (its own process), on the
// benchmark database (50 components, 1,000 incidents). Reference, measured in the same run: the
// same Alertmanager-shaped payload POSTed straight to the intake endpoint (our part alone).
// Target: under 1 s after Alertmanager sends it (an outage is on the page before the customer reloads).
//
// Then the storm: one Alertmanager group of 5,000 new alerts POSTed straight to the intake while a
// client keeps asking for the cached `/`, and the identical group sent again (Alertmanager does
// every group_interval). Printed: the intake time, the p99 of `/` during it next to the p99 of
// `/` on the quiet server just before (the reference), and the resend's time.
// Targets: p99 of `/` during the intake < 100 ms; 5,000 new alerts applied < 3 s; resend < 300 ms.
// BENCH_SLOWEST=1 also lists the storm's slowest requests of `/` and when each was sent.
import { spawn, type ChildProcess } from 'node:child_process';
import { startSettings } from './startSettings.ts';
import { mkdtempSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ensureBuilt } from '../../api/build.ts';
import { projectRoot } from '../../api/paths.ts';
import { openDatabase } from '#db/client.ts';
import { createApiToken } from '#db/commands/tokens.ts';
import { startAlertmanager, statusOnPage, waitUntil } from '../support/alertmanager.ts';
import { alertmanagerPayload } from '../alerts/payloads.ts';
import { seedBenchDatabase } from './seed.ts';
import { freePort } from '../support/ports.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
// Components of the demo catalogue the rounds cycle through (area slug, component name on `/`).
const TARGETS = [
  ['toluca', 'toluca-fibra', 'Fibra óptica'],
  ['metepec', 'metepec-inalambrico', 'Inalámbrico (microondas)'],
  ['lerma', 'lerma-fibra', 'Fibra óptica'],
  ['zinacantepec', 'zinacantepec-inalambrico', 'Inalámbrico (microondas)'],
  ['san-mateo-atenco', 'san-mateo-atenco-fibra', 'Fibra óptica'],
] as const;

await ensureBuilt();
const dir = mkdtempSync(join(tmpdir(), 'somnet-bench-alerts-'));
const dbPath = join(dir, 'somnet.db');
seedBenchDatabase(dbPath);
const setup = openDatabase(dbPath);
const { token } = createApiToken(setup, 'bench-alertmanager', new Date());
setup.$client.close();
// The bench reads when each webhook arrived from the server's own database (read-only).
const reader = new Database(dbPath, { readonly: true });
const receivedAt = (like: string) =>
  reader
    .prepare(
      'SELECT received_at FROM alert_deliveries JOIN alert_delivery_bodies ON delivery_id = id WHERE body LIKE ? ORDER BY id DESC LIMIT 1',
    )
    .pluck()
    .get(like);
// What a resend would change if it wrote anything: its alerts' rows and its delivery's count.
const alertState = reader.prepare(
  `SELECT (SELECT count(*) FROM alerts) AS alerts, (SELECT max(last_received_at) FROM alerts) AS seen,
          (SELECT sum(times_received) FROM alert_deliveries) AS received`,
);

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
// BENCH_SERVER_ARGS: extra Node flags for the server (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
const serverArgs = (process.env.BENCH_SERVER_ARGS ?? '').split(/\s+/).filter(Boolean);
// The server runs with npm start's flags and environment defaults (test/bench/startSettings.ts).
const settings = startSettings();
const server: ChildProcess = spawn(
  process.execPath,
  [...settings.flags, ...serverArgs, join(projectRoot, 'api', 'start.ts')],
  {
    env: { ...process.env, ...settings.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: dbPath },
    stdio: 'ignore',
  },
);
const page = async () => (await fetch(`${base}/`)).text();
await waitUntil(
  () =>
    fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    ),
  30_000,
  'el servidor responde /healthz',
);
console.log(
  `Carga al empezar: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
// BENCH_ROUNDS=0 measures the storm alone (no Alertmanager process).
const am =
  ROUNDS > 0
    ? await startAlertmanager({
        webhookUrl: `${base}/api/v1/alerts/alertmanager`,
        token,
        groupBy: ['alertname', 'round'],
      })
    : undefined;

/** Clients asking for `/` at once while the storm is measured (more samples for a p99 that means something). */
const PAGE_CLIENTS = Number(process.env.BENCH_PAGE_CLIENTS ?? 4);

/**
 * BENCH_SLOWEST=1: the storm's eight slowest requests of `/`, each with when it was sent, in ms
 * after the group was (and when the intake answered): which moment of the intake holds them.
 */
const slowLog: Array<[sentAt: number, ms: number]> = [];
const marks: { sent?: number; answered?: number } = {};
/** `PAGE_CLIENTS` clients each asking for `/` one request after another until `until` resolves; the latency of each. */
async function pageLatencies(until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.finally(() => (done = true));
  const out: number[] = [];
  const client = async () => {
    while (!done) {
      const t0 = performance.now();
      await page();
      out.push(performance.now() - t0);
      if (process.env.BENCH_SLOWEST) slowLog.push([t0, performance.now() - t0]);
    }
  };
  await Promise.all(Array.from({ length: PAGE_CLIENTS }, client));
  return out;
}
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(0.99 * xs.length))];

/**
 * The server's longest event-loop block since the last call, from its own /metrics (prom-client's
 * `nodejs_eventloop_lag_max_seconds`, a monitorEventLoopDelay histogram reset at each scrape), in ms.
 */
async function longestBlockMs(): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = /^nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})? (\S+)/m.exec(text);
  return line ? Number(line[1]) * 1000 : NaN;
}

/** CPU time the server process has used (user + system), in ms, from /proc (NaN elsewhere). */
function serverCpuMs(): number {
  try {
    const fields = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
  } catch {
    return NaN;
  }
}

/** A measured stretch: `/` latencies while `work` runs, the server's longest block and CPU during it. */
async function measured<T>(work: () => Promise<T>) {
  await longestBlockMs();
  const cpu0 = serverCpuMs();
  const t0 = performance.now();
  const running = work();
  const pages = await pageLatencies(running);
  const result = await running;
  const ms = performance.now() - t0;
  return { result, ms, pages, blockMs: await longestBlockMs(), cpuMs: serverCpuMs() - cpu0 };
}

/** The storm: 5,000 new alerts in one group, then the same group again. */
async function alertStorm() {
  const slugs = TARGETS.map(([, slug]) => slug);
  const group = alertmanagerPayload(
    Array.from({ length: 5_000 }, (_, i) => ({
      labels: { alertname: 'BenchTormenta', onu: `onu-${i}`, component: slugs[i % slugs.length], severity: 'critical' },
      annotations: { summary: `ONU ${i} sin señal óptica` },
      startsAt: new Date().toISOString(),
    })),
  );
  const body = JSON.stringify(group);
  const send = async () => {
    const res = await fetch(`${base}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });
    if (res.status !== 200) throw new Error(`intake respondió ${res.status}: ${await res.text()}`);
    return (await res.json()) as { alerts: unknown[] };
  };
  // Applied means visible: the answer came and every component of the storm is red on `/`.
  const everyTargetRed = async () => {
    const html = await page();
    return TARGETS.every(([area, , name]) => statusOnPage(html, area, name) === 'major_outage');
  };
  await page();
  const quiet = await measured(() => new Promise((r) => setTimeout(r, 3_000)));
  const intake = await measured(async () => {
    slowLog.length = 0;
    marks.sent = performance.now();
    const answer = await send();
    marks.answered = performance.now();
    await waitUntil(everyTargetRed, 30_000, 'los componentes de la tormenta en rojo');
    return answer;
  });
  if (process.env.BENCH_SLOWEST)
    console.log(
      'lentas:',
      slowLog
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(
          ([t, d]) =>
            `${Math.round(d)} ms a +${Math.round(t - marks.sent!)} (respuesta +${Math.round(marks.answered! - marks.sent!)})`,
        )
        .join('; '),
    );
  if (intake.result.alerts.length !== 5_000) throw new Error(`el intake aplicó ${intake.result.alerts.length} alertas`);
  const before = alertState.get();
  const resend = await measured(send);
  const resendWrote = JSON.stringify(alertState.get()) !== JSON.stringify(before);
  return { quiet, intake, resend, resendWrote };
}

const viaAlertmanager: number[] = [];
let storm: Awaited<ReturnType<typeof alertStorm>> | undefined;
const fromPush: number[] = [];
const resolvedFromPush: number[] = [];
const direct: number[] = [];
try {
  for (let i = 0; i < ROUNDS; i++) {
    const [area, slug, name] = TARGETS[i % TARGETS.length];
    const labels = { alertname: 'BenchEnlaceCaido', round: `am-${i}`, component: slug, severity: 'critical' };
    const pushedAt = Date.now();
    await am!.push([{ labels, annotations: { summary: `Prueba de latencia ${i}` } }]);
    await waitUntil(async () => statusOnPage(await page(), area, name) === 'major_outage', 10_000, `${slug} en rojo`);
    const visibleAt = Date.now();
    viaAlertmanager.push(visibleAt - (receivedAt(`%"round":"am-${i}"%`) as number));
    fromPush.push(visibleAt - pushedAt);
    const resolvePushedAt = Date.now();
    await am!.push([{ labels, annotations: { summary: `Prueba de latencia ${i}` }, endsAt: new Date().toISOString() }]);
    await waitUntil(async () => statusOnPage(await page(), area, name) === 'operational', 10_000, `${slug} de vuelta`);
    resolvedFromPush.push(Date.now() - resolvePushedAt);
  }
  for (let i = 0; i < ROUNDS; i++) {
    const [area, slug, name] = TARGETS[i % TARGETS.length];
    const alert = { labels: { alertname: 'BenchDirecto', round: `d-${i}`, component: slug, severity: 'critical' } };
    const post = (body: unknown) =>
      fetch(`${base}/api/v1/alerts/alertmanager`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const t0 = Date.now();
    const res = await post(alertmanagerPayload([{ ...alert, startsAt: new Date().toISOString() }]));
    if (res.status !== 200) throw new Error(`intake respondió ${res.status}: ${await res.text()}`);
    await waitUntil(
      async () => statusOnPage(await page(), area, name) === 'major_outage',
      10_000,
      `${slug} en rojo (directo)`,
    );
    direct.push(Date.now() - t0);
    await post(alertmanagerPayload([{ ...alert, status: 'resolved', endsAt: new Date().toISOString() }]));
    await waitUntil(
      async () => statusOnPage(await page(), area, name) === 'operational',
      10_000,
      `${slug} de vuelta (directo)`,
    );
  }
  storm = await alertStorm();
} finally {
  await am?.stop();
  await new Promise<void>((resolve) => {
    if (server.exitCode !== null) resolve();
    else {
      server.once('exit', () => resolve());
      server.kill('SIGTERM');
    }
  });
  reader.close();
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return `mediana ${q(0.5).toString().padStart(4)} ms   p95 ${q(0.95).toString().padStart(4)} ms   máx ${s.at(-1)!.toString().padStart(4)} ms`;
};
if (ROUNDS > 0) {
  console.log(`\n${ROUNDS} alertas por camino; base de 50 componentes y 1,000 incidentes; / consultado cada 5 ms:`);
  console.log(`Alertmanager envía (llega a SOMNET) → visible en /     ${stats(viaAlertmanager)}`);
  console.log(`push a Alertmanager (POST /api/v2/alerts) → visible en / ${stats(fromPush)}`);
  console.log(`Referencia: POST directo al intake → visible en /      ${stats(direct)}`);
  console.log(
    `Resolución: push a Alertmanager → Operativo en /      ${stats(resolvedFromPush)}  (incluye group_interval 1 s)`,
  );
  const worst = Math.max(...viaAlertmanager);
  console.log(
    `\nMeta: < 1000 ms tras el envío de Alertmanager → peor caso ${worst} ms ${worst < 1000 ? 'CUMPLE' : 'NO CUMPLE'}`,
  );
}

if (storm) {
  const ms = (x: number) => `${Math.round(x).toLocaleString('es-MX')} ms`;
  const verdict = (ok: boolean) => (ok ? 'CUMPLE' : 'NO CUMPLE');
  const { quiet, intake, resend } = storm;
  const pages = (m: typeof quiet) =>
    `p99 ${ms(p99(m.pages))}, máx ${ms(Math.max(...m.pages))} (${m.pages.length} peticiones); bloqueo más largo del servidor ${ms(m.blockMs)}`;
  const duringP99 = p99(intake.pages);
  console.log(
    `\nTormenta: un grupo de Alertmanager con 5,000 alertas nuevas (POST directo al intake); ${PAGE_CLIENTS} clientes piden / a la vez; carga ${load()}`,
  );
  console.log(`  / en caché, servidor tranquilo 3 s (referencia): ${pages(quiet)}`);
  console.log(`  / en caché durante la entrada:                   ${pages(intake)}`);
  console.log(`    meta p99 < 100 ms → ${verdict(duringP99 < 100)}`);
  console.log(
    `  5,000 alertas nuevas aplicadas y visibles en /:  ${ms(intake.ms)} (CPU del servidor ${ms(intake.cpuMs)})  meta < 3,000 ms → ${verdict(intake.ms < 3_000)}`,
  );
  console.log(
    `  el mismo grupo reenviado, respondido en:         ${ms(resend.ms)} (CPU del servidor ${ms(resend.cpuMs)})  meta < 300 ms → ${verdict(resend.ms < 300)}; ${storm.resendWrote ? 'ESCRIBIÓ en la base' : 'no escribió nada'}`,
  );
  console.log(`    / durante el reenvío: ${pages(resend)}`);
}
