// The server as `npm start` runs it (api/start.ts after the build), forked by `npm run bench:scale`
// with --expose-gc so the benchmark can ask for its memory before and after a full garbage
// collection (IPC message 'memory', answered with test/bench/soak.ts's measureMemory). Its CPU
// time includes that of its render workers (child processes, api/publish/renderPool.ts) once
// they have ended.
import { readFileSync, writeFileSync } from 'node:fs';
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
// `kill -USR2 <pid>` writes a heap snapshot (Chrome DevTools' Memory tab reads it) in the working directory.
process.on('SIGUSR2', () => console.error(`instantánea del heap: ${writeHeapSnapshot()}`));
useVendorBundle(activeBuild());
await import('../../api/main.ts');
