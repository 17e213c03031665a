// `npm run export -- DIR`: one complete snapshot of the public site in DIR (for a cron job, a
// CDN or an object-store upload), written by the same code that keeps PUBLISH_DIR current.
// Reads the database at DATABASE_PATH (also while the server runs) and links to PUBLIC_URL.
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { activeBuild } from './paths.ts';
import { loadConfigOrExit } from './config.ts';
import { useCompileCache, useVendorBundle } from './vendor.ts';
import type { CachedEntry } from './cache.ts';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

const target = process.argv[2];
if (!target || process.argv.length > 3)
  fail('Uso: npm run export -- DIRECTORIO   (escribe ahí la publicación completa del sitio público)');
const config = loadConfigOrExit();
if (config.databasePath !== ':memory:' && !existsSync(config.databasePath))
  fail(`No existe la base de datos ${config.databasePath}: indique DATABASE_PATH o arranque el servidor una vez.`);
const dir = resolve(target);
const { ensureBuilt } = await import('./build.ts');
try {
  await ensureBuilt({ quiet: true });
} catch (err) {
  fail(`No se pudo construir el sitio: ${(err as Error).message}`);
}
// drizzle-orm from the build's bundle, as `npm start` loads it, and V8's compiled code kept in the
// build folder (api/vendor.ts): nothing imported above loads either, everything below does.
useCompileCache(activeBuild());
useVendorBundle(activeBuild());
const { SnapshotDir, SnapshotDirError } = await import('./publish/files.ts');
try {
  new SnapshotDir(dir);
} catch (err) {
  fail(err instanceof SnapshotDirError ? err.message : `No se puede escribir en ${dir}: ${(err as Error).message}`);
}
const { openDatabase } = await import('#db/client.ts');
const { Publisher } = await import('./publish/publisher.ts');
const { loadSite } = await import('./server.ts');
const db = openDatabase(config.databasePath);
// The site this process loads is needed only if the render workers cannot be used (its
// renderPublic) and for the build's files written at the end: the workers are started first and
// load theirs meanwhile.
let site: Awaited<ReturnType<typeof loadSite>> | undefined;
const staticFiles = new Map<string, CachedEntry>();
// Recorded in the manifest, so a server of the same build can take over the directory without publishing it again.
const origin = { build: basename(activeBuild() ?? ''), publicUrl: config.publicUrl };
const publisher = new Publisher({
  db,
  dir,
  render: (path, options) => site!.renderPublic(path, options),
  // Render workers (child processes) render the pages (PUBLISH_WORKERS, by default every core).
  pool: {
    config,
    ...(config.publishWorkers !== undefined ? { size: config.publishWorkers } : {}),
  },
  staticFiles,
  origin,
  // Nothing else writes to DIR meanwhile: an empty one is filled without temporary files.
  exclusive: true,
  log: (line) => console.error(line),
});
publisher.prepareFullPublish();
site = await loadSite({ db, config });
for (const [path, entry] of site.deps.staticFiles ?? []) staticFiles.set(path, entry);
const report = await publisher.publishAll();
// Its render workers have exited (their CPU time is counted in this process's children).
await publisher.stop();
db.$client.close();
if (report.failed.length > 0)
  fail(`Publicación incompleta: fallaron ${report.failed.length} rutas (${report.failed.slice(0, 5).join(', ')}…).`);
console.log(
  `Publicación completa en ${dir}: ${report.rendered} rutas, ${report.written} archivos escritos, ${report.removed} retirados, en ${(report.ms / 1000).toFixed(1)} s.`,
);
process.exit(0);
