// `npm run build`, and the check `npm start` and the tests make before loading the site.
//
// Each build goes into a folder of its own under dist/builds/ and is swapped in by replacing
// the dist/current link in one rename, so a server that starts (or another checkout's server
// that is running) never reads a half-written build. One build at a time per checkout: a
// second process waits for the first one and uses its result. The build depends only on the
// sources: PUBLIC_URL and everything else that differs between installs is read at run time.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { buildLayout, buildsDir, currentLink, distDir, projectRoot } from './paths.ts';
import { bundleVendor, vendorIsBuilt } from './vendor.ts';

/** Inputs of the Astro build: the pages and everything they import. */
const inputs = ['site', 'db', 'api', 'astro.config.mjs', 'package-lock.json'];

/** Bumped when the layout of a build folder changes, so older builds are rebuilt. */
const BUILD_FORMAT = 'somnet-build 2';

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function isComplete(build: string): boolean {
  const stamp = buildLayout.stamp(build);
  return (
    existsSync(stamp) &&
    readFileSync(stamp, 'utf8') === BUILD_FORMAT &&
    existsSync(buildLayout.serverEntry(build)) &&
    vendorIsBuilt(build)
  );
}

export function buildIsStale(): boolean {
  if (!existsSync(currentLink) || !isComplete(currentLink)) return true;
  const builtAt = statSync(buildLayout.stamp(currentLink)).mtimeMs;
  return inputs.some((p) => newestMtime(join(projectRoot, p)) > builtAt);
}

function processIsAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const lockFile = join(distDir, '.build.lock');

/** Takes the checkout's build lock (a file holding the builder's pid); false while another live process holds it. */
function tryLock(): boolean {
  mkdirSync(distDir, { recursive: true });
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const holder = Number(readFileSync(lockFile, 'utf8'));
    if (processIsAlive(holder)) return false;
    // Left by a build that died: take it over.
    rmSync(lockFile, { force: true });
    return tryLock();
  }
}

/** The live processes that run a build folder (api/paths.ts, activeBuild). */
export function liveUsers(build: string): number[] {
  const usersDir = buildLayout.users(build);
  return existsSync(usersDir) ? readdirSync(usersDir).map(Number).filter(processIsAlive) : [];
}

/** Removes builds that are neither current nor used by a live process (and failed half-builds). */
export function removeUnusedBuilds(keep = existsSync(currentLink) ? realpathSync(currentLink) : ''): void {
  if (!existsSync(buildsDir)) return;
  for (const name of readdirSync(buildsDir)) {
    const build = join(buildsDir, name);
    if (build === keep) continue;
    // A folder another process is still building (its name ends with the builder's pid).
    if (!isComplete(build) && processIsAlive(Number(/-(\d+)$/.exec(name)?.[1]))) continue;
    if (liveUsers(build).length === 0) rmSync(build, { recursive: true, force: true });
  }
  // The layout before builds had folders of their own (dist/server, dist/client, …).
  for (const legacy of ['server', 'client', 'vendor', '.built-at'])
    rmSync(join(distDir, legacy), { recursive: true, force: true });
}

function runAstroBuild(outDir: string, quiet: boolean): void {
  const result = spawnSync(
    process.execPath,
    [join(projectRoot, 'node_modules', 'astro', 'bin', 'astro.mjs'), 'build', '--outDir', outDir],
    {
      cwd: projectRoot,
      stdio: quiet ? 'pipe' : 'inherit',
      encoding: 'utf8',
      env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' },
    },
  );
  if (result.status !== 0) {
    if (quiet) process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    throw new Error('astro build falló; vea los mensajes anteriores.');
  }
}

/** Points dist/current at `build` in one rename(2): readers see the old build or the new one. */
function swapIn(build: string): void {
  const temp = `${currentLink}.${process.pid}`;
  rmSync(temp, { force: true });
  symlinkSync(relative(distDir, build), temp, 'dir');
  renameSync(temp, currentLink);
}

async function build(quiet: boolean): Promise<void> {
  mkdirSync(buildsDir, { recursive: true });
  const folder = join(buildsDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
  try {
    runAstroBuild(folder, quiet);
    await bundleVendor(folder);
    writeFileSync(buildLayout.stamp(folder), BUILD_FORMAT);
  } catch (err) {
    rmSync(folder, { recursive: true, force: true });
    throw err;
  }
  swapIn(folder);
  removeUnusedBuilds(folder);
}

/** Builds when the build is missing or older than its sources; waits for a build another process runs. */
export async function ensureBuilt(options: { quiet?: boolean; force?: boolean; waitMs?: number } = {}): Promise<void> {
  const quiet = options.quiet ?? false;
  const deadline = Date.now() + (options.waitMs ?? 10 * 60_000);
  let announcedWait = false;
  for (;;) {
    if (!options.force && !buildIsStale()) return;
    if (tryLock()) break;
    if (!quiet && !announcedWait) {
      console.log('Otro proceso está construyendo el sitio; esperando a que termine…');
      announcedWait = true;
    }
    if (Date.now() > deadline) throw new Error(`otro proceso tiene ${lockFile} desde hace demasiado tiempo.`);
    await new Promise((r) => setTimeout(r, 200));
  }
  try {
    // The build that was running when this process started waiting may already be the one needed.
    if (!options.force && !buildIsStale()) return;
    if (!quiet) console.log('Construyendo el sitio (astro build)…');
    const startedAt = Date.now();
    await build(quiet);
    if (!quiet) console.log(`Sitio construido en ${((Date.now() - startedAt) / 1000).toFixed(1)} s.`);
  } finally {
    unlinkSync(lockFile);
  }
}

if (import.meta.main) {
  try {
    // `npm run build` always builds; `npm start` builds only when the sources changed.
    await ensureBuilt({ force: true });
  } catch (err) {
    console.error(`No se pudo construir el sitio: ${(err as Error).message}`);
    process.exit(1);
  }
}
