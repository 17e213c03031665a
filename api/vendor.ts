// Start-up speed. Node's resolver re-reads the package.json of every package a module belongs
// to, and drizzle-orm's is 179 KB (an exports map with ~450 entries) for each of the ~150 files
// the server loads from it: about 0.4 s of a 1 s cold start went to parsing that JSON. The
// build bundles the drizzle entry points the server uses into a few files under vendor/ of each build folder,
// and the server process resolves `drizzle-orm*` there (module.registerHooks). Tests and the
// CLI keep loading drizzle-orm from node_modules; the bundle is the same code.
import { existsSync, mkdirSync } from 'node:fs';
import { registerHooks } from 'node:module';
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
