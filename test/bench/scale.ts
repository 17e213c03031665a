// `npm run bench:scale`: ten years of history. Builds (once, then reuses from the temporary
// directory) a database of 5,000 incidents with 50 components over 5 years and one of 20,000
// incidents with 200 components over 10 years, and prints for each, next to a reference measured
// in the same run where one exists:
// - the rendering of `/` (reference: compressing its bytes alone);
// - `npm run export` wall, CPU and peak memory, the files and bytes it writes (reference: reading
//   every incident with its updates and writing one gzip'd file of the same size per page);
// - the server's full publish at start (PUBLISH_DIR empty): wall, CPU, RSS before/after (and
//   after a full GC);
// - the incremental publish of one update: time to the new text on disk and the files it wrote;
// - RSS over BENCH_SOAK_WRITES (10,000) API writes: before, after, after GC;
// - an update notifying BENCH_RECIPIENTS (11,600) subscribers: its POST, and the p99 of `GET /`
//   while it runs (reference: the p99 of the same requests with nothing else running).
// The server runs with the environment defaults and Node.js flags of `npm start` (package.json:
// MALLOC_ARENA_MAX, --max-semi-space-size); BENCH_NODE_FLAGS replaces the flags ('' for none), an
// environment variable set for the benchmark wins over npm start's default.
// BENCH_SCALE_SIZES=5000 measures only the smaller database (any size works: 1000 builds a small
// one); BENCH_ONLY=soak (or a comma list of root, export, publish, incremental, soak, notify)
// runs only those parts; BENCH_NO_PUBLISH=1 starts the server without PUBLISH_DIR (to tell the
// publisher's share of the memory). BENCH_CPU_PROF=<dir> writes the server's CPU profile of the
// notifying update's window (the POST and the 2 s of `GET /` after it). Run it when `uptime` shows low load.
import { fork, spawn } from 'node:child_process';
import { startSettings } from './startSettings.ts';
import { once } from 'node:events';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, gunzipSync, brotliCompressSync, constants as zlib } from 'node:zlib';
import { ensureBuilt } from '../../api/build.ts';
import { projectRoot } from '../../api/paths.ts';
import { loadSite } from '../../api/server.ts';
import { openDatabase } from '#db/client.ts';
import { createApiToken } from '#db/commands/tokens.ts';
import { createIncident, publishIncidentUpdate } from '#db/commands/incidents.ts';
import { systemActor } from '#db/commands/audit.ts';
import { componentStatuses, incidentImpacts } from '#db/enums.ts';
import { newSecrets } from '#db/subscriptions/tokens.ts';
import { freePort } from '../support/nginx.ts';
import { seedBenchCatalogue } from './seed.ts';
import { describeMemory, referenceSoak, soak, warmUpWrites, type Memory } from './soak.ts';

const SIZES = (process.env.BENCH_SCALE_SIZES ?? '5000,20000').split(',').map(Number);
const SOAK_WRITES = Number(process.env.BENCH_SOAK_WRITES ?? 10_000);
const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 11_600);
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((p) => p.trim())) : null;
const runs = (part: 'root' | 'export' | 'publish' | 'incremental' | 'soak' | 'notify') => !ONLY || ONLY.has(part);
const PUBLIC_URL = 'https://status.somnet.com.mx';
const DAY = 86_400_000;

const shapeOf = (incidents: number) =>
  incidents >= 20_000 ? { areas: 62, components: 200, years: 10 } : { areas: 12, components: 50, years: 5 };

/** Builds (or reuses) the database: `incidents` resolved incidents of 3 updates over the years, one open. */
function seedDatabase(incidents: number): string {
  const shape = shapeOf(incidents);
  // Reused across runs and branches: opening it applies any newer migration.
  const cached = join(tmpdir(), `somnet-scale-${incidents}-${shape.components}.db`);
  if (existsSync(cached)) return cached;
  const building = `${cached}.building-${process.pid}`;
  const t0 = performance.now();
  const db = openDatabase(building);
  const now = Date.now();
  const start = new Date(now - shape.years * 365 * DAY);
  seedBenchCatalogue(db, start, shape.areas);
  const slugs = db.$client.prepare('SELECT slug FROM components').pluck().all() as string[];
  let rng = 42;
  const rand = () => (rng = (rng * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  // Commands in batches of one outer transaction (each becomes a savepoint): a fraction of the commits.
  const batch = db.$client.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) addIncident(i);
  });
  const addIncident = (i: number) => {
    const at = new Date(start.getTime() + (i / incidents) * (now - start.getTime() - DAY));
    const slug = slugs[Math.floor(rand() * slugs.length)];
    const ctx = { now: at, actor: systemActor };
    const incident = createIncident(
      db,
      {
        name: `Incidente de prueba ${i + 1}`,
        status: 'investigating',
        impact: incidentImpacts[1 + Math.floor(rand() * 3)],
        body: 'Estamos investigando una falla reportada por clientes de la zona.',
        cause: 'Corte de fibra por obra civil',
        components: { [slug]: componentStatuses[1 + Math.floor(rand() * 3)] },
      },
      ctx,
    );
    publishIncidentUpdate(
      db,
      incident.id,
      { status: 'identified', body: 'Se identificó la causa; cuadrilla en camino.' },
      { now: new Date(at.getTime() + 20 * 60_000), actor: systemActor },
    );
    publishIncidentUpdate(
      db,
      incident.id,
      { status: 'resolved', body: 'Servicio restablecido.' },
      { now: new Date(at.getTime() + (30 + rand() * 180) * 60_000), actor: systemActor },
    );
  };
  for (let i = 0; i < incidents; i += 500) batch(i, Math.min(incidents, i + 500));
  createIncident(
    db,
    {
      name: 'Corte de fibra en Metepec',
      status: 'identified',
      impact: 'critical',
      body: 'Cuadrilla en camino.',
      cause: 'Corte de fibra por obra civil',
      components: { 'metepec-fibra': 'major_outage' },
      deliverNotifications: false,
    },
    { now: new Date(now - 3_600_000), actor: systemActor },
  );
  db.$client.pragma('wal_checkpoint(TRUNCATE)');
  db.$client.close();
  copyFileSync(building, cached);
  for (const suffix of ['', '-wal', '-shm']) rmSync(building + suffix, { force: true });
  console.log(`  (base construida en ${((performance.now() - t0) / 1000).toFixed(0)} s: ${cached})`);
  return cached;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Files, bytes and space on disk (blocks) under `dir`. */
function treeSize(dir: string): { files: number; bytes: number; disk: number } {
  const out = { files: 0, bytes: 0, disk: 0 };
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        const st = statSync(full);
        out.files++;
        out.bytes += st.size;
        out.disk += st.blocks * 512;
      }
    }
  };
  walk(dir);
  return out;
}

/** Files under `dir` modified at or after `sinceSeconds`. */
function filesSince(dir: string, sinceSeconds: number): number {
  let n = 0;
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (statSync(full).mtimeMs / 1000 >= sinceSeconds && !entry.name.startsWith('.')) n++;
    }
  };
  walk(dir);
  return n;
}

const mb = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MB`;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const line = (name: string, value: string, ref = '') =>
  console.log(`  ${name.padEnd(44)} ${value}${ref ? `   (${ref})` : ''}`);

/** `npm run export` under /usr/bin/time: wall, CPU and peak RSS. */
async function runExport(dbPath: string, dir: string) {
  const child = spawn(
    '/usr/bin/time',
    ['-f', 'TIME %e %U %S %M', process.execPath, join(projectRoot, 'api', 'export.ts'), dir],
    {
      env: { ...process.env, DATABASE_PATH: dbPath, PUBLIC_URL },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let err = '';
  let out = '';
  child.stderr.on('data', (d) => (err += d));
  child.stdout.on('data', (d) => (out += d));
  const [code] = await once(child, 'close');
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(err);
  if (code !== 0 || !m) throw new Error(`npm run export falló (${code}): ${err.slice(-800)}${out.slice(-300)}`);
  return { wallMs: Number(m[1]) * 1000, cpuMs: (Number(m[2]) + Number(m[3])) * 1000, maxRssMb: Number(m[4]) / 1024 };
}

/** The floor of an export: read every incident with its updates, write one gzip'd file of a page's size each. */
function referenceExport(dbPath: string, pageBytes: number, dir: string): number {
  const t0 = performance.now();
  const db = openDatabase(dbPath);
  const rows = db.$client
    .prepare(
      'SELECT i.id, i.name, u.body, u.status, u.created_at FROM incidents i JOIN incident_updates u ON u.incident_id = i.id ORDER BY i.id',
    )
    .all() as Array<{ id: string; name: string; body: string; status: string; created_at: number }>;
  const byIncident = new Map<string, string[]>();
  for (const r of rows) {
    let list = byIncident.get(r.id);
    if (!list) byIncident.set(r.id, (list = [r.name]));
    list.push(`${r.status} ${r.created_at} ${r.body}`);
  }
  for (const [id, parts] of byIncident) {
    const text = parts.join('\n');
    const page = Buffer.from(text.repeat(Math.ceil(pageBytes / text.length)).slice(0, pageBytes));
    const d = join(dir, id);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'index.html'), page);
    writeFileSync(join(d, 'index.html.gz'), gzipSync(page, { level: 6 }));
  }
  db.$client.close();
  return performance.now() - t0;
}

async function startServer(dbPath: string, publishDir: string, token: string) {
  const port = await freePort();
  const settings = startSettings();
  const child = fork(join(import.meta.dirname, 'scaleServer.ts'), [], {
    execArgv: ['--expose-gc', ...settings.flags],
    env: {
      ...process.env,
      ...settings.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_PATH: dbPath,
      PUBLIC_URL,
      PUBLISH_DIR: process.env.BENCH_NO_PUBLISH ? '' : publishDir,
    },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  // A server that ends before `stop` (a crash, a signal from outside) says so: a write then fails with ECONNRESET.
  let stopping = false;
  child.on('exit', (code, signal) => {
    if (!stopping) console.error(`  el servidor terminó antes de tiempo (${signal ?? `código ${code}`})`);
  });
  const started = performance.now();
  let log = '';
  const logWaiters: Array<{ re: RegExp; resolve: (m: RegExpExecArray) => void }> = [];
  child.stdout!.on('data', (d) => {
    log += d;
    for (const w of [...logWaiters]) {
      const m = w.re.exec(log);
      if (m) {
        logWaiters.splice(logWaiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const base = `http://127.0.0.1:${port}`;
  for (;;) {
    const ok = await fetch(`${base}/`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (child.exitCode !== null) throw new Error('el servidor terminó al arrancar');
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    child,
    base,
    started,
    /** Asks the server for a CPU profile of what runs until `stopProfile` (BENCH_CPU_PROF=<dir>). */
    startProfile: async () => {
      child.send('profile-start');
      await once(child, 'message');
    },
    stopProfile: async (): Promise<string> => {
      child.send('profile-stop');
      const [m] = await once(child, 'message');
      return String(m).replace('profile-written ', '');
    },
    /** The server's side of the POSTs since the last call (scaleServer.ts). */
    /** CPU of the server's event-loop thread so far, in ms (scaleServer.ts). */
    loopCpuMs: async (): Promise<number> => {
      child.send('loop-cpu');
      for (;;) {
        const [m] = await once(child, 'message');
        if (m && typeof m === 'object' && 'loopCpuMs' in m) return (m as { loopCpuMs: number }).loopCpuMs;
      }
    },
    posts: async (): Promise<Array<{ url: string; ms: number; cpuMs: number; gcMs: number; gcs: string[] }>> => {
      child.send('posts');
      for (;;) {
        const [m] = await once(child, 'message');
        if (m && typeof m === 'object' && 'posts' in m) return (m as { posts: [] }).posts;
      }
    },
    memory: async (kind?: 'regular'): Promise<Memory> => {
      child.send(kind ? `memory:${kind}` : 'memory');
      const [m] = await once(child, 'message');
      return m as Memory;
    },
    waitLog: (re: RegExp) =>
      new Promise<RegExpExecArray>((resolve) => {
        const m = re.exec(log);
        if (m) resolve(m);
        else logWaiters.push({ re, resolve });
      }),
    post: async (path: string, body: unknown): Promise<Response> => {
      const send = () =>
        fetch(`${base}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      try {
        return await send();
      } catch (err) {
        // A kept-alive connection the server closed as it was reused (ECONNRESET on a loaded
        // machine): once more on a new one, unless the server is gone.
        if (child.exitCode !== null) throw err;
        return send();
      }
    },
    stop: async () => {
      stopping = true;
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

await ensureBuilt();
console.log(
  `bench:scale — ${new Date().toISOString()}, carga (uptime): ${readFileSync('/proc/loadavg', 'utf8').trim()}`,
);

for (const incidents of SIZES) {
  const shape = shapeOf(incidents);
  console.log(
    `\n== ${incidents.toLocaleString('es-MX')} incidentes, ${shape.components} componentes, ${shape.years} años ==`,
  );
  const source = seedDatabase(incidents);
  const work = mkdtempSync(join(tmpdir(), 'somnet-scale-'));
  const dbPath = join(work, 'somnet.db');
  copyFileSync(source, dbPath);
  const setup = openDatabase(dbPath);
  const token = createApiToken(setup, 'bench', new Date()).token;
  const openIncident = setup.$client
    .prepare('SELECT id FROM incidents WHERE resolved_at IS NULL ORDER BY started_at DESC LIMIT 1')
    .pluck()
    .get() as string;
  line('base de datos', mb(statSync(dbPath).size));

  // 1. `/`, rendered in this process.
  if (runs('root')) {
    const { renderPublic } = await loadSite({
      db: setup,
      config: { port: 0, host: '127.0.0.1', databasePath: dbPath, publicUrl: PUBLIC_URL },
    });
    const times: number[] = [];
    let bytes: Buffer = Buffer.alloc(0);
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      const entry = await renderPublic('/', { fresh: true });
      if (i >= 3) times.push(performance.now() - t);
      bytes = entry!.body;
    }
    const c0 = performance.now();
    for (let i = 0; i < 5; i++) {
      gzipSync(bytes, { level: 9 });
      brotliCompressSync(bytes, { params: { [zlib.BROTLI_PARAM_QUALITY]: 5 } });
    }
    line(
      'renderizar / (p50)',
      `${percentile(times, 50).toFixed(1)} ms`,
      `ref.: solo gzip 9 + brotli 5 de sus ${bytes.length} bytes ${((performance.now() - c0) / 5).toFixed(1)} ms`,
    );
  }
  setup.$client.close();

  // 2. npm run export, and its floor.
  let exportWallMs = NaN;
  if (runs('export')) {
    const exportDir = join(work, 'export');
    const exported = await runExport(dbPath, exportDir);
    exportWallMs = exported.wallMs;
    const tree = treeSize(exportDir);
    const samplePage = readdirSync(join(exportDir, 'incidentes'))[0];
    // A resolved incident's page is history: its .gz alone (api/publish/files.ts).
    const samplePath = join(exportDir, 'incidentes', samplePage, 'index.html');
    const pageBytes = existsSync(samplePath)
      ? statSync(samplePath).size
      : gunzipSync(readFileSync(`${samplePath}.gz`)).length;
    const refMs = referenceExport(dbPath, pageBytes, join(work, 'ref'));
    line(
      'npm run export',
      `${s(exported.wallMs)} pared, ${s(exported.cpuMs)} CPU, pico ${exported.maxRssMb.toFixed(0)} MB`,
      `ref.: leer cada incidente y escribir un .html + .gz de ${pageBytes} bytes c/u ${s(refMs)}`,
    );
    line(
      'archivos de la publicación',
      `${tree.files.toLocaleString('es-MX')} archivos, ${mb(tree.bytes)} (${mb(tree.disk)} en disco, ${(tree.disk / incidents / 1024).toFixed(1)} KB por incidente)`,
    );
    rmSync(join(work, 'ref'), { recursive: true, force: true });
    rmSync(exportDir, { recursive: true, force: true });
  }

  // 3. The server's own full publish at start, into an empty PUBLISH_DIR.
  const publishDir = join(work, 'public');
  const server = await startServer(dbPath, publishDir, token);
  try {
    const before = await server.memory();
    if (!process.env.BENCH_NO_PUBLISH) await server.waitLog(/Publicación completa en [^\n]*\(([\d.]+) s\)/);
    const wallMs = performance.now() - server.started;
    // The server's closing GC (api/publish/publisher.ts), when it runs with --expose-gc as npm start does.
    if (!process.env.BENCH_NO_PUBLISH)
      await Promise.race([
        server.waitLog(/memoria de la publicación completa devuelta/),
        new Promise((r) => setTimeout(r, 10_000)),
      ]);
    const after = await server.memory();
    // GET / while the server published (the last seconds): see 6 for the reference.
    if (runs('publish')) {
      line(
        'publicación completa del servidor',
        `${s(wallMs)} pared desde el arranque, ${s(after.cpuMs - before.cpuMs)} CPU`,
        `ref.: npm run export ${s(exportWallMs)}`,
      );
      line(
        'RSS antes / después de la publicación',
        `${before.rss.toFixed(0)} MB / ${after.rss.toFixed(0)} MB (tras GC ${after.afterGc.toFixed(0)} MB)`,
      );
      line('  antes', describeMemory(before));
      line('  después', describeMemory(after));
    }

    // 4. One update: time to its text on disk, files written.
    if (runs('incremental')) {
      await new Promise((r) => setTimeout(r, 1500));
      const second = Math.floor(Date.now() / 1000) + 1;
      await new Promise((r) => setTimeout(r, second * 1000 - Date.now()));
      const text = `Medición incremental ${Date.now()}`;
      const t0 = performance.now();
      const res = await server.post(`/api/v1/incidents/${openIncident}/updates`, {
        status: 'identified',
        body: text,
        deliver_notifications: false,
      });
      if (res.status !== 201) throw new Error(`la actualización respondió ${res.status}: ${await res.text()}`);
      const postMs = performance.now() - t0;
      const index = join(publishDir, 'index.html');
      while (!readFileSync(index, 'utf8').includes(text)) await new Promise((r) => setTimeout(r, 5));
      const toDisk = performance.now() - t0;
      await new Promise((r) => setTimeout(r, 1500));
      line(
        'publicación incremental (1 actualización)',
        `${toDisk.toFixed(0)} ms hasta el texto en disco, ${filesSince(publishDir, second)} archivos escritos`,
        `ref.: su POST ${postMs.toFixed(0)} ms`,
      );
    }

    // 5. Soak: API writes, memory before / after / after GC, next to raw inserts in a bare process.
    if (runs('soak')) {
      const { before: b, after: a, ms, curve } = await soak(server, SOAK_WRITES);
      const ref = await referenceSoak(SOAK_WRITES);
      const grown = a.afterGc - b.afterGc;
      line(
        `RSS en ${SOAK_WRITES.toLocaleString('es-MX')} escrituras (${s(ms)}, ${s(a.cpuMs - b.cpuMs)} CPU del servidor, tras ${warmUpWrites(SOAK_WRITES)} de calentamiento)`,
        `${b.rss.toFixed(0)} → ${a.rss.toFixed(0)} MB, tras GC ${b.afterGc.toFixed(0)} → ${a.afterGc.toFixed(0)} MB (${grown >= 0 ? '+' : ''}${grown.toFixed(0)} MB, ${((grown * 1024) / SOAK_WRITES).toFixed(1)} KB por escritura)`,
        `ref.: ${SOAK_WRITES.toLocaleString('es-MX')} inserciones directas con better-sqlite3 +${(ref.after.afterGc - ref.before.afterGc).toFixed(0)} MB`,
      );
      line('  antes', describeMemory(b));
      line('  después', describeMemory(a));
      const growth = (from: number, to: number) =>
        `${from.toFixed(0)} → ${to.toFixed(0)} MB (${to >= from ? '+' : ''}${(to - from).toFixed(0)} MB, ${(((to - from) * 1024) / SOAK_WRITES).toFixed(1)} KB por escritura)`;
      line('  en reposo, sin GC forzado', growth(b.rss, a.rss));
      line('  tras un GC de último recurso', growth(b.afterLastResortGc, a.afterLastResortGc));
      line('  tras GC cada décimo de las escrituras', curve.map((m) => m.toFixed(0)).join(' → ') + ' MB');
      line('  referencia antes / después', `${describeMemory(ref.before)} / ${describeMemory(ref.after)}`);
    }

    // 6. An update notifying RECIPIENTS subscribers, with GET / measured while it runs.
    if (!runs('notify')) continue;
    {
      const db = openDatabase(dbPath);
      const ids = newSecrets(RECIPIENTS);
      const insert = db.$client.prepare(
        "INSERT INTO subscribers (id, channel, address, kind, all_components, confirmed_at, created_at, updated_at) VALUES (?, 'email', ?, 'public', 1, ?, ?, ?)",
      );
      const at = Date.now();
      db.$client.transaction(() => {
        for (let i = 0; i < RECIPIENTS; i++)
          insert.run(ids[i].slice(0, 12), `escala${i}@cliente${i % 997}.mx`, at, at, at);
      })();
      db.$client.close();
    }
    const reads = async (ms: number, during?: () => Promise<number>) => {
      const cpu0 = await server.loopCpuMs();
      const latencies: number[] = [];
      const until = performance.now() + ms;
      const reader = async () => {
        while (performance.now() < until) {
          const t = performance.now();
          await (await fetch(`${server.base}/`)).arrayBuffer();
          latencies.push(performance.now() - t);
        }
      };
      const [posted] = await Promise.all([
        during ? new Promise((r) => setTimeout(r, 300)).then(during) : Promise.resolve(NaN),
        reader(),
        reader(),
      ]);
      return {
        posted,
        p99: percentile(latencies, 99),
        n: latencies.length,
        loopCpuMs: (await server.loopCpuMs()) - cpu0,
      };
    };
    await new Promise((r) => setTimeout(r, 1500));
    await server.posts();
    const quiet = await reads(2000);
    if (process.env.BENCH_CPU_PROF) await server.startProfile();
    const busy = await reads(2000, async () => {
      const t = performance.now();
      const r = await server.post(`/api/v1/incidents/${openIncident}/updates`, {
        status: 'identified',
        body: 'Aviso a todos los suscriptores: la cuadrilla llegó al sitio.',
      });
      if (r.status !== 201) throw new Error(`la actualización con avisos respondió ${r.status}`);
      return performance.now() - t;
    });
    if (process.env.BENCH_CPU_PROF)
      line('perfil de CPU del servidor (la POST y lo que siguió)', await server.stopProfile());
    line(
      `POST que avisa a ${RECIPIENTS.toLocaleString('es-MX')} suscriptores`,
      `${busy.posted.toFixed(0)} ms; p99 de GET / mientras ${busy.p99.toFixed(1)} ms (${busy.n} lecturas)`,
      `ref.: p99 de GET / en calma ${quiet.p99.toFixed(1)} ms; carga ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
    );
    const [inServer] = await server.posts();
    if (inServer)
      line(
        '  la misma POST dentro del servidor',
        `${inServer.ms.toFixed(0)} ms de la llegada a la respuesta (${inServer.cpuMs.toFixed(0)} ms de CPU del hilo del servidor), de ellos ${inServer.gcMs.toFixed(1)} ms de GC (${inServer.gcs.join(' ') || 'ninguno'})`,
      );
    line(
      '  CPU del hilo del servidor en esos 2 s',
      `${busy.loopCpuMs.toFixed(0)} ms con la POST y lo que siguió (${busy.n} lecturas)`,
      `ref.: ${quiet.loopCpuMs.toFixed(0)} ms en calma (${quiet.n} lecturas)`,
    );
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
