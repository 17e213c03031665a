// The server as `npm start` runs it (api/start.ts after the build), forked by `npm run bench:scale`
// with --expose-gc so the benchmark can ask for its memory before and after a full garbage
// collection (IPC message 'memory', answered with test/bench/soak.ts's measureMemory).
import { activeBuild } from '../../api/paths.ts';
import { useVendorBundle } from '../../api/vendor.ts';
import { measureMemory } from './soak.ts';

process.on('message', (message) => {
  if (message === 'memory') process.send!(measureMemory());
});
useVendorBundle(activeBuild());
await import('../../api/main.ts');
