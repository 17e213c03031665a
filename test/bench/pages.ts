// `npm run bench`: requests/s and p99 for `/` and `/api/v2/summary.json` on a database with
// 50 components and 1,000 past incidents, next to the same bytes served by nginx as static
// files (the reference, measured in the same run). Load comes from wrk in its own process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt } from '../../api/build.ts';
import { projectRoot } from '../../api/paths.ts';
import { seedBenchDatabase } from './seed.ts';

const DURATION = process.env.BENCH_DURATION ?? '8s';
const CONNECTIONS = process.env.BENCH_CONNECTIONS ?? '50';

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

async function waitFor200(url: string, timeoutMs = 15_000): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    const ok = await fetch(url).then((r) => r.status === 200, () => false);
    if (ok) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${url} no respondió 200 en ${timeoutMs} ms`);
}

interface WrkResult { rps: number; p99ms: number; errors: string }

function wrk(url: string): WrkResult {
  const out = spawnSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${DURATION}`, '--latency', url], { encoding: 'utf8' }).stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const p99ms = p99 ? Number(p99[1]) * (p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1) : NaN;
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: .*/.exec(out)?.[0] ?? 'ninguno';
  return { rps, p99ms, errors };
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM'); });
}

if (!have('wrk')) {
  console.error('Se necesita wrk para generar carga (Debian: apt-get install -y wrk).');
  process.exit(1);
}
await ensureBuilt();
const dir = mkdtempSync(join(tmpdir(), 'somnet-bench-'));
// nginx's worker runs as an unprivileged user: it must be able to read the reference files.
chmodSync(dir, 0o755);
const dbPath = join(dir, 'somnet.db');
let t0 = performance.now();
seedBenchDatabase(dbPath);
console.log(`Base de datos de prueba: 50 componentes, 1,000 incidentes (3 actualizaciones c/u) en ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const port = 24000 + Math.floor(Math.random() * 1000);
t0 = performance.now();
const server = spawn(process.execPath, [join(projectRoot, 'api', 'start.ts')], {
  env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: dbPath },
  stdio: 'ignore',
});
const base = `http://127.0.0.1:${port}`;
let nginx: ChildProcess | undefined;
try {
  const coldMs = await waitFor200(`${base}/`);
  console.log(`Arranque en frío hasta el primer 200 de /: ${coldMs.toFixed(0)} ms (meta: < 1000 ms)`);

  const pageBytes = Buffer.from(await (await fetch(`${base}/`)).arrayBuffer());
  const summaryBytes = Buffer.from(await (await fetch(`${base}/api/v2/summary.json`)).arrayBuffer());
  console.log(`Tamaño: / ${pageBytes.length} bytes, summary.json ${summaryBytes.length} bytes (sin comprimir)`);

  let reference: { page: WrkResult; summary: WrkResult } | null = null;
  const nginxBin = ['nginx', '/usr/sbin/nginx'].find((b) => have(b));
  if (nginxBin) {
    const root = join(dir, 'www');
    mkdirSync(root);
    writeFileSync(join(root, 'index.html'), pageBytes);
    writeFileSync(join(root, 'summary.json'), summaryBytes);
    const nport = port + 1000;
    writeFileSync(join(dir, 'nginx.conf'), `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/nginx-error.log;
events { worker_connections 1024; }
http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  types { text/html html; application/json json; }
  client_body_temp_path ${dir}/tmp; proxy_temp_path ${dir}/tmp; fastcgi_temp_path ${dir}/tmp; uwsgi_temp_path ${dir}/tmp; scgi_temp_path ${dir}/tmp;
  server { listen 127.0.0.1:${nport}; root ${root}; etag on; } }\n`);
    mkdirSync(join(dir, 'tmp'));
    nginx = spawn(nginxBin, ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
    await waitFor200(`http://127.0.0.1:${nport}/index.html`);
    reference = { page: wrk(`http://127.0.0.1:${nport}/index.html`), summary: wrk(`http://127.0.0.1:${nport}/summary.json`) };
  }
  const ours = { page: wrk(`${base}/`), summary: wrk(`${base}/api/v2/summary.json`) };
  const row = (name: string, r: WrkResult, ref?: WrkResult) =>
    `${name.padEnd(34)} ${r.rps.toFixed(0).padStart(8)} req/s   p99 ${r.p99ms.toFixed(2).padStart(7)} ms${ref ? `   ${(r.rps / ref.rps).toFixed(2)}× nginx` : ''}   errores: ${r.errors}`;
  console.log(`\nwrk -t1 -c${CONNECTIONS} -d${DURATION}, una conexión de carga por proceso, misma máquina:`);
  if (reference) {
    console.log(row('nginx, / como archivo estático', reference.page));
    console.log(row('nginx, summary.json estático', reference.summary));
  } else {
    console.log('nginx no está instalado: sin referencia en esta corrida (Debian: apt-get install -y nginx-light).');
  }
  console.log(row('SOMNET /', ours.page, reference?.page));
  console.log(row('SOMNET /api/v2/summary.json', ours.summary, reference?.summary));
  if (reference) {
    const ratio = ours.page.rps / reference.page.rps;
    console.log(`\nMeta: / ≥ 0.6× nginx → ${ratio.toFixed(2)}× ${ratio >= 0.6 ? 'CUMPLE' : 'NO CUMPLE'}`);
  }
} finally {
  await stop(server);
  await stop(nginx);
}
