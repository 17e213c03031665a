// `npm run bench`: the public read path on a database with 50 components and 1,000 past
// incidents, each number next to a reference measured in the same run on the same machine:
// - the rendering of `/` (every publish pays it);
// - Node alone (no PUBLISH_DIR) next to a bare node:http server sending the same bytes (the
//   ceiling of any Node path here), quiet and while the NOC posts 5 updates a second;
// - nginx with deploy/nginx.conf serving the published snapshot next to nginx serving a plain
//   copy of the same file, quiet and under 5 updates a second (errors, partial bodies);
// - the publication latency (201 of the update → new text in `/` as nginx serves it);
// - the server's resident memory while it publishes under 5 updates a second.
// Load comes from wrk (Debian: apt-get install -y wrk) in its own process; nginx from
// nginx-light. Without nginx the snapshot numbers are skipped and said so.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt } from '../../api/build.ts';
import { projectRoot } from '../../api/paths.ts';
import { MANIFEST } from '../../api/publish/files.ts';
import { loadSite } from '../../api/server.ts';
import { openDatabase } from '#db/client.ts';
import { createApiToken } from '#db/commands/tokens.ts';
import { freePort, nginxBinary, shippedConfig, startNginx, type RunningNginx } from '../support/nginx.ts';
import { seedBenchDatabase } from './seed.ts';

const DURATION = process.env.BENCH_DURATION ?? '8s';
const CONNECTIONS = process.env.BENCH_CONNECTIONS ?? '50';
const UPDATES_PER_SECOND = 5;

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (await check()) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${what}: no ocurrió en ${timeoutMs} ms`);
}

const ok200 = (url: string) => () =>
  fetch(url).then(
    (r) => r.status === 200,
    () => false,
  );

interface WrkResult {
  rps: number;
  p99ms: number;
  errors: string;
  badBodies?: number;
}

/** wrk in its own process; with `checkBodies`, a Lua hook counts answers that are not a whole page. */
function wrk(url: string, options: { checkBodies?: boolean } = {}): Promise<WrkResult> {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${DURATION}`, '--latency'];
  if (options.checkBodies) args.push('-s', bodyCheckScript);
  return new Promise((resolve) => {
    const child = spawn('wrk', [...args, url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('close', () => {
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
      const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
      const p99ms = p99 ? Number(p99[1]) * (p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1) : NaN;
      const problems = [/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[0], /Socket errors: .*/.exec(out)?.[0]].filter(
        Boolean,
      );
      const bad = /cuerpos_incompletos=(\d+)/.exec(out);
      resolve({
        rps,
        p99ms,
        errors: problems.length ? problems.join('; ') : '0',
        ...(bad ? { badBodies: Number(bad[1]) } : {}),
      });
    });
  });
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

if (!have('wrk')) {
  console.error('Se necesita wrk para generar carga (Debian: apt-get install -y wrk).');
  process.exit(1);
}
await ensureBuilt();
const dir = mkdtempSync(join(tmpdir(), 'somnet-bench-'));
// nginx's worker runs as an unprivileged user: it must be able to read the snapshot and the copy.
chmodSync(dir, 0o755);
const dbPath = join(dir, 'somnet.db');
const publishDir = join(dir, 'public');
const bodyCheckScript = join(dir, 'cuerpos.lua');
writeFileSync(
  bodyCheckScript,
  `-- Counts answers that are not a whole page (truncated, empty, an error).
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status ~= 200 or #body < 10000 or not string.find(body, "</html>%s*$") then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write("cuerpos_incompletos=" .. total .. "\\n")
end
`,
);
let t0 = performance.now();
const { openIncident } = seedBenchDatabase(dbPath);
const token = (() => {
  const db = openDatabase(dbPath);
  const created = createApiToken(db, 'bench', new Date());
  db.$client.close();
  return created.token;
})();
console.log(
  `Base de datos de prueba: 50 componentes, 1,000 incidentes (3 actualizaciones c/u) en ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);

// 1. Rendering `/`, in this process, nothing else running.
{
  const db = openDatabase(dbPath);
  const { renderPublic } = await loadSite({
    db,
    config: { port: 0, host: '127.0.0.1', databasePath: dbPath, publicUrl: 'https://status.somnet.com.mx' },
  });
  const times: number[] = [];
  for (let i = 0; i < 40; i++) {
    const t = performance.now();
    await renderPublic('/', { fresh: true });
    if (i >= 5) times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const p50 = percentile(times, 50);
  console.log(
    `\nRenderizar / (consultas + Astro + gzip/brotli), 35 veces: p50 ${p50.toFixed(1)} ms, mín ${times[0].toFixed(1)} ms (meta: < 30 ms; antes ~110 ms) → ${p50 < 30 ? 'CUMPLE' : 'NO CUMPLE'}`,
  );
  db.$client.close();
}

const children: ChildProcess[] = [];
const nginxes: RunningNginx[] = [];
let updating = false;
let updatesPosted = 0;

async function startNode(env: Record<string, string>): Promise<{ child: ChildProcess; base: string; coldMs: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [join(projectRoot, 'api', 'start.ts')], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_PATH: dbPath,
      PUBLIC_URL: 'https://status.somnet.com.mx',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  await waitFor('el servidor', ok200(`${base}/`));
  return { child, base, coldMs: performance.now() - started };
}

const postUpdate = (base: string, body: string) =>
  fetch(`${base}/api/v1/incidents/${openIncident}/updates`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ status: 'identified', body }),
  });

/** The NOC posting `UPDATES_PER_SECOND` updates a second while `during` runs. */
async function whileUpdating<T>(base: string, during: () => Promise<T>): Promise<T> {
  updating = true;
  const loop = (async () => {
    while (updating) {
      const next = performance.now() + 1000 / UPDATES_PER_SECOND;
      const res = await postUpdate(
        base,
        `Actualización de carga ${++updatesPosted}: cuadrilla trabajando en el empalme.`,
      );
      if (res.status !== 201) throw new Error(`la actualización respondió ${res.status}`);
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
    }
  })();
  try {
    return await during();
  } finally {
    updating = false;
    await loop;
  }
}

const row = (name: string, r: WrkResult, ref?: WrkResult, refName = 'ref.') =>
  `${name.padEnd(46)} ${r.rps.toFixed(0).padStart(8)} req/s   p99 ${r.p99ms.toFixed(2).padStart(7)} ms${ref ? `   ${(r.rps / ref.rps).toFixed(2)}× ${refName}` : ''}   errores: ${r.errors}${r.badBodies !== undefined ? `   cuerpos incompletos: ${r.badBodies}` : ''}`;

try {
  console.log(
    `\nwrk -t1 -c${CONNECTIONS} -d${DURATION} por medición, misma máquina, sin Accept-Encoding (bytes sin comprimir):`,
  );

  // 2. Node alone (no PUBLISH_DIR), next to a bare node:http server sending the same bytes.
  const alone = await startNode({});
  console.log(`Arranque en frío hasta el primer 200 de /: ${alone.coldMs.toFixed(0)} ms (meta: < 1000 ms)`);
  const pageBytes = Buffer.from(await (await fetch(`${alone.base}/`)).arrayBuffer());
  const summaryBytes = Buffer.from(await (await fetch(`${alone.base}/api/v2/summary.json`)).arrayBuffer());
  console.log(`Tamaño: / ${pageBytes.length} bytes, summary.json ${summaryBytes.length} bytes (sin comprimir)`);
  writeFileSync(join(dir, 'page.html'), pageBytes);
  const barePort = await freePort();
  const bare = spawn(
    process.execPath,
    [
      '-e',
      `
    const body = require('fs').readFileSync(${JSON.stringify(join(dir, 'page.html'))});
    require('http').createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length }); res.end(body); }).listen(${barePort}, '127.0.0.1');
  `,
    ],
    { stdio: 'ignore' },
  );
  children.push(bare);
  await waitFor('node:http', ok200(`http://127.0.0.1:${barePort}/`));
  const bareQuiet = await wrk(`http://127.0.0.1:${barePort}/`);
  const nodeQuiet = await wrk(`${alone.base}/`);
  const nodeSummary = await wrk(`${alone.base}/api/v2/summary.json`);
  const nodeUpdating = await whileUpdating(alone.base, () => wrk(`${alone.base}/`));
  console.log('\nNode solo (sin PUBLISH_DIR):');
  console.log(row('node:http desnudo, mismos bytes de /', bareQuiet));
  console.log(row('SOMNET /', nodeQuiet, bareQuiet, 'node:http'));
  console.log(row(`SOMNET / con ${UPDATES_PER_SECOND} actualizaciones/s`, nodeUpdating, nodeQuiet, 'en calma'));
  console.log(row('SOMNET /api/v2/summary.json', nodeSummary));
  await stop(bare);
  await stop(alone.child);

  if (!nginxBinary) {
    console.log(
      '\nnginx no está instalado: sin mediciones de la publicación (Debian: apt-get install -y nginx-light).',
    );
  } else {
    // 3. The server with PUBLISH_DIR behind nginx with the shipped config.
    const publishing = await startNode({ PUBLISH_DIR: publishDir });
    const firstPublish = await waitFor('la primera publicación', () => existsSync(join(publishDir, MANIFEST)), 120_000);
    console.log(
      `\nPublicación completa al arrancar (${publishDir}): lista ${((publishing.coldMs + firstPublish) / 1000).toFixed(1)} s después del arranque`,
    );
    const nodePort = Number(new URL(publishing.base).port);
    const shipped = await startNginx((port) => shippedConfig({ port, root: publishDir, nodePort }));
    nginxes.push(shipped);
    const plainRoot = join(dir, 'plain');
    mkdirSync(plainRoot);
    writeFileSync(join(plainRoot, 'index.html'), readFileSync(join(publishDir, 'index.html')));
    const plain = await startNginx(
      (port) => `server { listen 127.0.0.1:${port}; root ${plainRoot}; etag on; types { text/html html; } }\n`,
    );
    nginxes.push(plain);

    const plainQuiet = await wrk(`${plain.url}/`);
    const shippedQuiet = await wrk(`${shipped.url}/`);
    const shippedSummary = await wrk(`${shipped.url}/api/v2/summary.json`);

    // Memory: idle, then sampled while publishing under load.
    await new Promise((r) => setTimeout(r, 1500));
    const idleRss = rssMb(publishing.child.pid!);
    let peakRss = idleRss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, rssMb(publishing.child.pid!));
    }, 100);
    const [plainUpdating, shippedUpdating, checked] = await whileUpdating(publishing.base, async () => [
      await wrk(`${plain.url}/`),
      await wrk(`${shipped.url}/`),
      await wrk(`${shipped.url}/`, { checkBodies: true }),
    ]);
    clearInterval(sampler);
    const afterRss = rssMb(publishing.child.pid!);

    console.log(
      '\nnginx (1 worker) con deploy/nginx.conf sirviendo PUBLISH_DIR, frente a nginx con una copia simple del mismo archivo:',
    );
    console.log(row('nginx, copia simple de /', plainQuiet));
    console.log(row('nginx + deploy/nginx.conf, /', shippedQuiet, plainQuiet, 'copia'));
    console.log(row(`nginx, copia simple, ${UPDATES_PER_SECOND} actualizaciones/s`, plainUpdating));
    console.log(
      row(
        `nginx + deploy/nginx.conf, ${UPDATES_PER_SECOND} actualizaciones/s`,
        shippedUpdating,
        plainUpdating,
        'copia',
      ),
    );
    console.log(row('  el mismo, revisando cada cuerpo (Lua)', checked));
    console.log(row('nginx + deploy/nginx.conf, summary.json', shippedSummary));
    const quietRatio = shippedQuiet.rps / plainQuiet.rps;
    const busyRatio = shippedUpdating.rps / plainUpdating.rps;
    const clean =
      shippedQuiet.errors === '0' &&
      shippedUpdating.errors === '0' &&
      checked.errors === '0' &&
      checked.badBodies === 0;
    console.log(
      `Meta: ≥ 0.9× la copia, en calma ${quietRatio.toFixed(2)}× y con actualizaciones ${busyRatio.toFixed(2)}×, sin errores ni cuerpos incompletos → ${quietRatio >= 0.9 && busyRatio >= 0.9 && clean ? 'CUMPLE' : 'NO CUMPLE'}`,
    );
    console.log(
      `Memoria residente del servidor: en reposo ${idleRss.toFixed(0)} MB, máximo publicando a ${UPDATES_PER_SECOND}/s ${peakRss.toFixed(0)} MB, después ${afterRss.toFixed(0)} MB (${updatesPosted} actualizaciones en total)`,
    );

    // 4. Publication latency: 201 of the update → its text in `/` as nginx serves it. Updates a
    // second apart, each measured alone (the NOC posts them minutes apart; a burst is coalesced
    // into one publish per second).
    await new Promise((r) => setTimeout(r, 2000));
    const latencies: number[] = [];
    for (let i = 1; i <= 20; i++) {
      const text = `Medición de latencia ${i}: el empalme avanza.`;
      const res = await postUpdate(publishing.base, text);
      if (res.status !== 201) throw new Error(`la actualización respondió ${res.status}`);
      const after201 = performance.now();
      await waitFor(
        'la actualización en nginx',
        async () => (await (await fetch(`${shipped.url}/`)).text()).includes(text),
        10_000,
      );
      latencies.push(performance.now() - after201);
      await new Promise((r) => setTimeout(r, 1000));
    }
    latencies.sort((a, b) => a - b);
    const p95 = percentile(latencies, 95);
    console.log(
      `\nLatencia de publicación (201 → texto nuevo en / servido por nginx), 20 actualizaciones: p50 ${percentile(latencies, 50).toFixed(0)} ms, p95 ${p95.toFixed(0)} ms, máx ${latencies.at(-1)!.toFixed(0)} ms (meta: p95 < 1000 ms) → ${p95 < 1000 ? 'CUMPLE' : 'NO CUMPLE'}`,
    );
    await stop(publishing.child);
  }
  const nodeRatio = nodeQuiet.rps / bareQuiet.rps;
  console.log(
    `\nNode solo frente a node:http desnudo: ${nodeRatio.toFixed(2)}× (el techo de Node en esta máquina; DESIGN.md midió 0.72–0.84× de nginx para node:http)`,
  );
} finally {
  updating = false;
  for (const n of nginxes) await n.stop();
  for (const c of children) await stop(c);
}
