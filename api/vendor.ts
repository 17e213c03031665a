// Start-up speed. Node's resolver re-reads the package.json of every package a module belongs
// to, and drizzle-orm's is 179 KB (an exports map with ~450 entries) for each of the ~150 files
// the server loads from it: about 0.4 s of a 1 s cold start went to parsing that JSON. The
// build bundles the drizzle entry points the server uses into a few files under dist/vendor,
// and the server process resolves `drizzle-orm*` there (module.registerHooks). Tests and the
// CLI keep loading drizzle-orm from node_modules; the bundle is the same code.
import { existsSync, mkdirSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from './build.ts';

export const vendorDir = join(projectRoot, 'dist', 'vendor');

/** Every drizzle-orm entry point imported by api/ and db/ (a test checks the list is complete). */
export const vendoredEntries: Record<string, string> = {
  'drizzle-orm': 'drizzle-orm',
  'drizzle-orm/sqlite-core': 'drizzle-sqlite-core',
  'drizzle-orm/better-sqlite3': 'drizzle-better-sqlite3',
  'drizzle-orm/better-sqlite3/migrator': 'drizzle-better-sqlite3-migrator',
};

/** Bundles the entries with shared chunks, so classes exist once (drizzle checks entity kinds). */
export async function bundleVendor(): Promise<void> {
  const esbuild = await import('esbuild');
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

export function vendorIsBuilt(): boolean {
  return Object.values(vendoredEntries).every((out) => existsSync(join(vendorDir, `${out}.mjs`)));
}

/** Resolves drizzle-orm imports of this process to the bundle (when it was built). */
export function useVendorBundle(): boolean {
  if (!vendorIsBuilt()) return false;
  const urls = new Map(Object.entries(vendoredEntries).map(([specifier, out]) => [specifier, pathToFileURL(join(vendorDir, `${out}.mjs`)).href]));
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const url = urls.get(specifier);
      return url ? { url, format: 'module', shortCircuit: true } : nextResolve(specifier, context);
    },
  });
  return true;
}
