// The entry of a render worker process (api/publish/renderPool.ts forks it): drizzle-orm resolved
// to the build's pre-bundled copy (api/vendor.ts), as `npm start` does, and V8's compiled code
// kept in the build folder, then the worker itself.
// Resolving drizzle-orm's ~150 files from node_modules re-reads its 179 KB package.json for each
// one: measured on the loaded 2-core machine, most of the 4.4 CPU-s each worker took to start.
import { activeBuild } from '../paths.ts';
import { useCompileCache, useVendorBundle } from '../vendor.ts';

const build = activeBuild();
useCompileCache(build);
useVendorBundle(build);
await import('./renderWorker.ts');
