// The server as `npm start` runs it (api/start.ts after the build), forked by `npm run bench:scale`
// with --expose-gc so the benchmark can ask for its memory before and after a full garbage
// collection (IPC message 'memory', answered with test/bench/soak.ts's measureMemory). Its CPU
// time includes that of its render workers (child processes, api/publish/renderPool.ts) once
// they have ended.
import { subscribe } from 'node:diagnostics_channel';
import { readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { PerformanceObserver } from 'node:perf_hooks';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { activeBuild } from '../../api/paths.ts';
import { useVendorBundle } from '../../api/vendor.ts';
import { measureMemory } from './soak.ts';

/** CPU of ended (waited-for) child processes: /proc/self/stat's cutime and cstime, in clock ticks (100 a second). */
function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
}
// BENCH_CPU_PROF=<dir>: IPC 'profile-start' / 'profile-stop' write a CPU profile of just that
// window (the notifying POST and the seconds after it), not of the full publish at start.
let profiler: Session | null = null;
process.on('message', async (message) => {
  if (message === 'profile-start') {
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
    await profiler.post('Profiler.start');
    process.send!('profile-started');
    return;
  }
  if (message === 'profile-stop' && profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    const file = join(process.env.BENCH_CPU_PROF!, `notify-${process.pid}-${Date.now()}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    profiler.disconnect();
    profiler = null;
    process.send!(`profile-written ${file}`);
    return;
  }
  // 'memory:regular': no last-resort GC (the soak's curve, read while it writes).
  if (message !== 'memory' && message !== 'memory:regular') return;
  const memory = measureMemory({ lastResort: message === 'memory' });
  process.send!({ ...memory, cpuMs: memory.cpuMs + childrenCpuMs() });
});
// The server's side of each POST (IPC 'posts', answered and emptied): from its request's arrival
// to its answer's last byte handed to the kernel, and the garbage collections in between — what
// the POST costs in the server, apart from the client's wait for the socket.
const posts: Array<{ url: string; ms: number; cpuMs: number; gcMs: number; gcs: string[] }> = [];
const arrived = new WeakMap<IncomingMessage, { at: number; cpu: NodeJS.CpuUsage }>();
/** CPU of this (the event loop's) thread alone, in ms: not the fan-out's or the thread pool's. */
const loopCpuMs = (since?: NodeJS.CpuUsage) => {
  const u = process.threadCpuUsage(since);
  return (u.user + u.system) / 1000;
};
const gcs: Array<{ start: number; ms: number; kind: number }> = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries())
    gcs.push({
      start: e.startTime,
      ms: e.duration,
      kind: (e as PerformanceEntry & { detail?: { kind: number } }).detail?.kind ?? 0,
    });
  if (gcs.length > 1000) gcs.splice(0, gcs.length - 1000);
}).observe({ entryTypes: ['gc'] });
subscribe('http.server.request.start', (m) => {
  const { request } = m as { request: IncomingMessage };
  if (request.method === 'POST') arrived.set(request, { at: performance.now(), cpu: process.threadCpuUsage() });
});
subscribe('http.server.response.finish', (m) => {
  const { request } = m as { request: IncomingMessage };
  const arrival = arrived.get(request);
  if (arrival === undefined) return;
  const start = arrival.at;
  const end = performance.now();
  const during = gcs.filter((g) => g.start + g.ms >= start && g.start <= end);
  posts.push({
    url: request.url ?? '',
    ms: end - start,
    cpuMs: loopCpuMs(arrival.cpu),
    gcMs: during.reduce((sum, g) => sum + g.ms, 0),
    // kind 1: scavenge, 2: minor mark-sweep, 4: mark-sweep-compact, 8: incremental marking, 16: weak callbacks
    gcs: during.map((g) => `${g.kind}:${g.ms.toFixed(1)}`),
  });
});
process.on('message', (message) => {
  if (message === 'posts') process.send!({ posts: posts.splice(0) });
  if (message === 'loop-cpu') process.send!({ loopCpuMs: loopCpuMs() });
});
// `kill -USR2 <pid>` writes a heap snapshot (Chrome DevTools' Memory tab reads it) in the working directory.
process.on('SIGUSR2', () => console.error(`instantánea del heap: ${writeHeapSnapshot()}`));
useVendorBundle(activeBuild());
await import('../../api/main.ts');
