// The server as `npm start` runs it (api/start.ts after the build), forked by `npm run bench:scale`
// with --expose-gc so the benchmark can ask for its resident memory before and after a full
// garbage collection (IPC message 'memory').
import { activeBuild } from '../../api/paths.ts';
import { useVendorBundle } from '../../api/vendor.ts';

const rssMb = () => process.memoryUsage().rss / 1048576;
process.on('message', (message) => {
  if (message !== 'memory') return;
  const rss = rssMb();
  (globalThis as { gc?: () => void }).gc?.();
  const cpu = process.cpuUsage();
  process.send!({
    rss,
    afterGc: rssMb(),
    heapMb: process.memoryUsage().heapUsed / 1048576,
    cpuMs: (cpu.user + cpu.system) / 1000,
  });
});
useVendorBundle(activeBuild());
await import('../../api/main.ts');
