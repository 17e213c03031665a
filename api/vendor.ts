// Start-up speed. Node's resolver re-reads the package.json of every package a module belongs
// to, and drizzle-orm's is 179 KB (an exports map with ~450 entries) for each of the ~150 files
// the server loads from it: about 0.4 s of a 1 s cold start went to parsing that JSON. The
// build bundles the drizzle entry points the server uses into a few files under vendor/ of each build folder,
// and the server process resolves `drizzle-orm*` there (module.registerHooks). Tests and the
// CLI keep loading drizzle-orm from node_modules; the bundle is the same code.
import { existsSync, mkdirSync } from 'node:fs';
import { enableCompileCache, registerHooks } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildLayout, projectRoot } from './paths.ts';

/** Every drizzle-orm entry point imported by api/ and db/ (a test checks the list is complete). */
export const vendoredEntries: Record<string, string> = {
  'drizzle-orm': 'drizzle-orm',
  'drizzle-orm/sqlite-core': 'drizzle-sqlite-core',
  'drizzle-orm/better-sqlite3': 'drizzle-better-sqlite3',
  'drizzle-orm/better-sqlite3/migrator': 'drizzle-better-sqlite3-migrator',
  'drizzle-orm/better-sqlite3/session': 'drizzle-better-sqlite3-session',
};

/** Bundles the entries into a build folder with shared chunks, so classes exist once (drizzle checks entity kinds). */
export async function bundleVendor(build: string): Promise<void> {
  const esbuild = await import('esbuild');
  const vendorDir = buildLayout.vendorDir(build);
  mkdirSync(vendorDir, { recursive: true });
  await esbuild.build({
    absWorkingDir: projectRoot,
    entryPoints: Object.entries(vendoredEntries).map(([input, out]) => ({ in: input, out })),
    outdir: vendorDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    packages: 'bundle',
    external: ['better-sqlite3'],
    logLevel: 'warning',
  });
}

export function vendorIsBuilt(build: string): boolean {
  return Object.values(vendoredEntries).every((out) => existsSync(join(buildLayout.vendorDir(build), `${out}.mjs`)));
}

/**
 * Keeps V8's compiled code of the modules this process loads in the build folder, for the next
 * process of the same build (Node checks each entry against its source). Measured on the loaded
 * 2-core machine, loading the site took 0.7 CPU-s with it against 1.1–1.2 s without: each
 * `npm run export` starts three processes, a full publish two. A build folder that cannot be
 * written to only goes without.
 */
export function useCompileCache(build: string | undefined): void {
  if (build) enableCompileCache(join(build, 'compile-cache'));
}

/** Resolves drizzle-orm imports of this process to the bundle of `build` (when it was built). */
export function useVendorBundle(build: string | undefined): boolean {
  if (!build || !vendorIsBuilt(build)) return false;
  const vendorDir = buildLayout.vendorDir(build);
  const urls = new Map(
    Object.entries(vendoredEntries).map(([specifier, out]) => [
      specifier,
      pathToFileURL(join(vendorDir, `${out}.mjs`)).href,
    ]),
  );
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const url = urls.get(specifier);
      return url ? { url, format: 'module', shortCircuit: true } : nextResolve(specifier, context);
    },
  });
  return true;
}
