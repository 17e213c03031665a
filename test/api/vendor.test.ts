import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { activeBuild, buildLayout, projectRoot } from '../../api/paths.ts';
import { vendoredEntries, vendorIsBuilt } from '../../api/vendor.ts';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return name === 'migrations' ? [] : sources(full);
    return /\.(ts|astro)$/.test(name) ? [full] : [];
  });
}

describe('the drizzle-orm bundle the server loads (api/vendor.ts)', () => {
  it('covers every drizzle-orm entry point imported by api/ and db/', () => {
    const imported = new Set<string>();
    for (const file of [...sources(join(projectRoot, 'api')), ...sources(join(projectRoot, 'db'))]) {
      for (const m of readFileSync(file, 'utf8').matchAll(/from '(drizzle-orm[^']*)'/g)) imported.add(m[1]);
    }
    expect(imported.size).toBeGreaterThan(0);
    for (const specifier of imported) expect(Object.keys(vendoredEntries)).toContain(specifier);
  });

  it('is built with the site and exports what node_modules exports', async () => {
    const build = activeBuild()!;
    expect(vendorIsBuilt(build)).toBe(true);
    const vendorDir = buildLayout.vendorDir(build);
    for (const [specifier, out] of Object.entries(vendoredEntries)) {
      const original = await import(specifier);
      const bundled = await import(pathToFileURL(join(vendorDir, `${out}.mjs`)).href);
      expect(Object.keys(bundled).sort()).toEqual(Object.keys(original).sort());
    }
  });
});
