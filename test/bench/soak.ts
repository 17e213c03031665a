// The memory soak of `npm run bench:scale`: BENCH_SOAK_WRITES (10,000) API writes
// against the real server (forked with --expose-gc, test/bench/scaleServer.ts), its memory
// before, after and after a full GC, next to the same number of raw better-sqlite3 inserts in a
// bare process (the floor: what SQLite and the allocator alone cost for that many rows).
// `BENCH_ONLY=soak BENCH_SCALE_SIZES=1000 npm run bench:scale` runs it alone on a small database.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

/** What the forked server reports about itself (MB). */
export interface Memory {
  rss: number;
  afterGc: number;
  /** After a last-resort GC as well (V8 compacts every page and gives back the pages it pools). */
  afterLastResortGc: number;
  heapMb: number;
  /** What V8 holds for its heap (used or not). */
  heapTotalMb: number;
  /** Resident part of the main thread's malloc heap (the `[heap]` mapping: glibc's main arena, SQLite included). */
  brkMb: number;
  externalMb: number;
  arrayBuffersMb: number;
  /** Anonymous memory (the heaps of V8, malloc and SQLite) from /proc/self/smaps_rollup, after GC. */
  anonMb: number;
  /** V8's committed memory by heap space (new, old, code, large objects…), after GC. */
  spacesMb: Record<string, number>;
  /** Memory V8 allocated with malloc (compiler zones, its own tables), after GC. */
  v8MallocMb: number;
  /** Anonymous mappings by kind, after GC: `[heap]`, mappings of 64 MB or more (malloc arenas of other threads), the rest. */
  mappingsMb: { brk: number; arenas: number; other: number };
  cpuMs: number;
}

/** Called in the measured process (the server, the reference): its memory, before and after a full GC. */
export function measureMemory(options: { lastResort?: boolean } = {}): Memory {
  const rss = process.memoryUsage().rss;
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  const cpu = process.cpuUsage();
  // What the memory reducer of an idle server would give back (it compacts with the same flags).
  if (options.lastResort !== false)
    (globalThis as { gc?: (o: object) => void }).gc?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  const lastResort = process.memoryUsage().rss;
  let anon = NaN;
  let brk = NaN;
  const mappings = { brk: NaN, arenas: NaN, other: NaN };
  try {
    const smaps = readFileSync('/proc/self/smaps', 'utf8');
    const at = smaps.indexOf('[heap]');
    if (at >= 0) brk = Number(/Rss:\s+(\d+) kB/.exec(smaps.slice(at))![1]) * 1024;
    Object.assign(mappings, anonymousMappings(smaps));
  } catch {
    // Not Linux.
  }
  try {
    const m = /^Anonymous:\s+(\d+) kB/m.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'));
    if (m) anon = Number(m[1]) * 1024;
  } catch {
    // Not Linux.
  }
  const mbOf = (b: number) => b / 1048576;
  return {
    rss: mbOf(rss),
    afterGc: mbOf(usage.rss),
    afterLastResortGc: mbOf(lastResort),
    heapMb: mbOf(usage.heapUsed),
    heapTotalMb: mbOf(usage.heapTotal),
    brkMb: mbOf(brk),
    externalMb: mbOf(usage.external),
    arrayBuffersMb: mbOf(usage.arrayBuffers),
    anonMb: mbOf(anon),
    spacesMb: Object.fromEntries(
      getHeapSpaceStatistics().map((space) => [space.space_name.replace(/_space$/, ''), mbOf(space.space_size)]),
    ),
    v8MallocMb: mbOf(getHeapStatistics().malloced_memory),
    mappingsMb: { brk: mbOf(mappings.brk), arenas: mbOf(mappings.arenas), other: mbOf(mappings.other) },
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

/** Resident anonymous memory of /proc/self/smaps by mapping: `[heap]`, mappings of 64 MB or more, the rest (bytes). */
function anonymousMappings(smaps: string): { brk: number; arenas: number; other: number } {
  const out = { brk: 0, arenas: 0, other: 0 };
  for (const block of smaps.split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)) {
    const [range, , , , inode, name] = block.split('\n', 1)[0].split(/\s+/);
    const anonymous = Number(/^Anonymous:\s+(\d+) kB/m.exec(block)?.[1] ?? 0) * 1024;
    if (!anonymous) continue;
    const [from, to] = range.split('-').map((h) => parseInt(h, 16));
    if (name === '[heap]') out.brk += anonymous;
    else if (inode === '0' && !name && to - from >= 64 * 1048576) out.arenas += anonymous;
    else out.other += anonymous;
  }
  return out;
}

export const describeMemory = (m: Memory) =>
  `RSS ${m.afterGc.toFixed(0)} MB (${m.afterLastResortGc.toFixed(0)} tras un GC de último recurso; anónima ${m.anonMb.toFixed(0)}, malloc principal ${m.brkMb.toFixed(0)}), heap ${m.heapMb.toFixed(0)} de ${m.heapTotalMb.toFixed(0)}, external ${m.externalMb.toFixed(0)} (buffers ${m.arrayBuffersMb.toFixed(0)}), V8 malloc ${m.v8MallocMb.toFixed(0)}; espacios ${Object.entries(
    m.spacesMb,
  )
    .filter(([, v]) => v >= 1)
    .map(([k, v]) => `${k} ${v.toFixed(0)}`)
    .join(
      ', ',
    )}; mapeos anónimos: [heap] ${m.mappingsMb.brk.toFixed(0)}, ≥64 MB ${m.mappingsMb.arenas.toFixed(0)}, resto ${m.mappingsMb.other.toFixed(0)}`;

interface SoakServer {
  memory(kind?: 'regular'): Promise<Memory>;
  post(path: string, body: unknown): Promise<Response>;
}

export interface SoakResult {
  /** After the warm-up writes (code compiled, caches and SQLite's page cache filled) and 20 s idle. */
  before: Memory;
  /** 20 s after the last write, idle: `rss` (no GC forced since the writes) compares with `before.rss`. */
  after: Memory;
  ms: number;
  /** RSS after GC every tenth of the writes, to tell a plateau from a slope (MB). */
  curve: number[];
}

/**
 * How long the server is left without writes before `before` and `after` are read (V8's memory
 * reducer starts 8 s after the allocation rate drops). Each reading forces GCs: a regular full
 * one (`afterGc`) and a last-resort one (`afterLastResortGc`, which also gives back the pages
 * V8 keeps pooled), so only `rss` is free of an earlier reading's forced GC.
 */
const IDLE_MS = 20_000;

/** Writes before the "before" measurement: the first requests compile code and fill caches once. */
export const warmUpWrites = (writes: number) => Math.min(500, Math.ceil(writes / 10));

/**
 * Eight writers at once (the NOC and the alert intake write together): each opens an incident,
 * posts eight updates to it and resolves it, ten writes per incident. `warmUpWrites` more go
 * first, unmeasured.
 */
export async function soak(server: SoakServer, writes: number): Promise<SoakResult> {
  const write = writer(server);
  await write(warmUpWrites(writes));
  // Idle as long as after the writes: `before.rss` and `after.rss` compare like with like.
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const before = await server.memory();
  const curve: number[] = [];
  const t1 = performance.now();
  const step = Math.max(1, Math.ceil(writes / 10));
  for (let done = 0; done < writes; done += step) {
    await write(Math.min(step, writes - done));
    curve.push((await server.memory('regular')).afterGc);
  }
  const ms = performance.now() - t1;
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const after = await server.memory();
  return { before, after, ms, curve };
}

/** `count` writes by eight writers at once; each writer's open incident carries over to the next call. */
function writer(server: SoakServer) {
  const open: string[] = Array.from({ length: 8 }, () => '');
  let serial = 0;
  return async (count: number) => {
    let left = count;
    const one = async (w: number) => {
      while (left > 0) {
        left--;
        const i = serial++;
        const incident = open[w];
        const updates = Number(incident.split(':')[1] ?? 0);
        const r = !incident
          ? await server.post('/api/v1/incidents', {
              name: `Prueba de memoria ${i}`,
              status: 'investigating',
              body: 'Revisando.',
              components: { 'metepec-fibra': 'degraded_performance' },
              deliver_notifications: false,
            })
          : await server.post(`/api/v1/incidents/${incident.split(':')[0]}/updates`, {
              status: updates === 8 ? 'resolved' : 'identified',
              body: `Escritura ${i}`,
              deliver_notifications: false,
            });
        if (r.status !== 201) throw new Error(`escritura ${i}: ${r.status} ${await r.text()}`);
        const { id, status } = (await r.json()) as { id: string; status: string };
        open[w] = status === 'resolved' ? '' : `${id}:${updates + 1}`;
      }
    };
    await Promise.all(open.map((_, w) => one(w)));
  };
}

/**
 * The floor, in a bare process (test/bench/soakReference.ts): the same number of rows written
 * by raw better-sqlite3 inserts in one connection, one transaction each, with statements
 * prepared once. Returns its memory before and after.
 */
export async function referenceSoak(writes: number): Promise<{ before: Memory; after: Memory }> {
  const dir = mkdtempSync(join(tmpdir(), 'somnet-soak-ref-'));
  try {
    const child = fork(join(import.meta.dirname, 'soakReference.ts'), [join(dir, 'ref.db'), String(writes)], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const [result] = await once(child, 'message');
    await once(child, 'exit');
    return result as { before: Memory; after: Memory };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
