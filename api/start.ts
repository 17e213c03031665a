// `npm start`. Builds when needed, then loads the server with drizzle-orm resolved to its
// pre-bundled copy (see api/vendor.ts: it halves the cold start). Everything else is api/main.ts.
import { ensureBuilt } from './build.ts';
import { activeBuild } from './paths.ts';
import { loadConfigOrExit } from './config.ts';
import { useVendorBundle } from './vendor.ts';

loadConfigOrExit();
try {
  await ensureBuilt();
} catch (err) {
  console.error(`No se pudo construir el sitio: ${(err as Error).message}`);
  process.exit(1);
}
useVendorBundle(activeBuild());
await import('./main.ts');
