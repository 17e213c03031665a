import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const serverEntry = join(projectRoot, 'dist', 'server', 'entry.mjs');
const stamp = join(projectRoot, 'dist', '.built-at');

/** Inputs of the Astro build: the pages and everything they import. */
const inputs = ['site', 'db', 'api', 'astro.config.mjs', 'package-lock.json'];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** What the build depends on besides its sources: PUBLIC_URL decides which proxy hosts Astro trusts. */
function buildSettings(): string {
  return `PUBLIC_URL=${(process.env.PUBLIC_URL ?? '').replace(/\/+$/, '')}`;
}

export function buildIsStale(): boolean {
  if (!existsSync(serverEntry) || !existsSync(stamp)) return true;
  // The drizzle bundle of api/vendor.ts is part of the build.
  if (!existsSync(join(projectRoot, 'dist', 'vendor', 'drizzle-orm.mjs'))) return true;
  if (readFileSync(stamp, 'utf8') !== buildSettings()) return true;
  const builtAt = statSync(stamp).mtimeMs;
  return inputs.some((p) => newestMtime(join(projectRoot, p)) > builtAt);
}

/** Runs `astro build` when the build is missing or older than its sources. */
export async function ensureBuilt(options: { quiet?: boolean } = {}): Promise<void> {
  if (!buildIsStale()) return;
  if (!options.quiet) console.log('Construyendo el sitio (astro build)…');
  const startedAt = Date.now();
  const result = spawnSync(process.execPath, [join(projectRoot, 'node_modules', 'astro', 'bin', 'astro.mjs'), 'build'], {
    cwd: projectRoot,
    stdio: options.quiet ? 'pipe' : 'inherit',
    encoding: 'utf8',
    env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' },
  });
  if (result.status !== 0) {
    if (options.quiet) process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    throw new Error('astro build falló; vea los mensajes anteriores.');
  }
  const { bundleVendor } = await import('./vendor.ts');
  await bundleVendor();
  writeFileSync(stamp, buildSettings());
  if (!options.quiet) console.log(`Sitio construido en ${((Date.now() - startedAt) / 1000).toFixed(1)} s.`);
}

if (import.meta.main) await ensureBuilt();
