// `npm run bench:publish`: how long a NOC update takes to be served by nginx from the published
// snapshot (deploy/nginx.conf in a real nginx in front of a real server with PUBLISH_DIR), for
// updates posted back to back, each as soon as the previous one is visible: the burst of an
// outage. Reference, measured in the same run: the time the API took to answer the update.
// nginx's ETag is a file's mtime (seconds) and size; the publisher used to wait for the next
// wall-clock second between publishes to keep ETags distinct; a replaced file now gets
// max(now, its previous mtime + 1 s) instead, so publishes need not wait.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt } from '../../api/build.ts';
import { projectRoot } from '../../api/paths.ts';
import { MANIFEST } from '../../api/publish/files.ts';
import { openDatabase } from '#db/client.ts';
import { seedDemoCatalogue } from '#db/seed.ts';
import { createApiToken } from '#db/commands/tokens.ts';
import { freePort, shippedConfig, startNginx } from '../support/nginx.ts';

const UPDATES = Number(process.env.BENCH_UPDATES ?? 20);

await ensureBuilt();
const work = mkdtempSync(join(tmpdir(), 'somnet-bench-publish-'));
const dbPath = join(work, 'somnet.db');
const publishDir = join(work, 'public');
const db = openDatabase(dbPath);
seedDemoCatalogue(db, new Date(Date.now() - 30 * 86_400_000));
const { token } = createApiToken(db, 'bench', new Date());
db.$client.close();

const port = await freePort();
const nodeBase = `http://127.0.0.1:${port}`;
const server: ChildProcess = spawn(process.execPath, [join(projectRoot, 'api', 'start.ts')], {
  env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: dbPath, PUBLISH_DIR: publishDir },
  stdio: 'ignore',
});
const until = async (check: () => Promise<boolean> | boolean, ms = 20_000) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('tiempo agotado');
    await new Promise((r) => setTimeout(r, 2));
  }
};
await until(
  () =>
    fetch(`${nodeBase}/healthz`).then(
      (r) => r.ok,
      () => false,
    ),
  30_000,
);
await until(() => existsSync(join(publishDir, MANIFEST)), 60_000);
const nginx = await startNginx((p) => shippedConfig({ port: p, root: publishDir, nodePort: port }));

const api = (method: string, path: string, body: unknown) =>
  fetch(`${nodeBase}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then(async (r) => {
    if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    return r.json() as Promise<{ id: string }>;
  });

const viaNginx: number[] = [];
const answered: number[] = [];
try {
  const incident = await api('POST', '/api/v1/incidents', {
    name: 'Corte de fibra en Metepec',
    status: 'investigating',
    body: 'Revisando.',
    components: { 'metepec-fibra': 'major_outage' },
  });
  const page = `/incidentes/${incident.id}`;
  await until(async () => (await fetch(`${nginx.url}${page}`)).status === 200);
  for (let i = 0; i < UPDATES; i++) {
    const text = `Actualización número ${1000 + i}`;
    const t0 = performance.now();
    await api('POST', `/api/v1/incidents/${incident.id}/updates`, { status: 'identified', body: text });
    answered.push(performance.now() - t0);
    await until(async () => (await fetch(`${nginx.url}${page}`).then((r) => r.text())).includes(text));
    viaNginx.push(performance.now() - t0);
  }
} finally {
  await nginx.stop();
  await new Promise<void>((resolve) => {
    server.once('exit', () => resolve());
    server.kill('SIGTERM');
  });
}

const q = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const line = (xs: number[]) =>
  `p50 ${Math.round(q(xs, 0.5)).toString().padStart(5)} ms   p95 ${Math.round(q(xs, 0.95)).toString().padStart(5)} ms   máx ${Math.round(
    Math.max(...xs),
  )
    .toString()
    .padStart(5)} ms`;
console.log(`\n${UPDATES} actualizaciones seguidas de un incidente (cada una en cuanto la anterior se ve):`);
console.log(`publicada y servida por nginx:        ${line(viaNginx)}`);
console.log(`Referencia: la API responde el POST:  ${line(answered)}`);
