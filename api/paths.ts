// Where the project and its build live. A module of its own, importing nothing of ours, so the
// build script, the vendor bundle and the server can all use it without importing each other:
// api/build.ts awaits at top level, and a module it imports (even dynamically) that imports it
// back never settles (Node exits 13, "unsettled top-level await").
import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const distDir = join(projectRoot, 'dist');
/** Every build is made in its own folder under here and never changed afterwards. */
export const buildsDir = join(distDir, 'builds');
/** A symbolic link to the newest complete build, replaced atomically (rename) after each build. */
export const currentLink = join(distDir, 'current');

/** Inside a build folder: the Astro server entry, its client files, the drizzle bundle. */
export const buildLayout = {
  serverEntry: (build: string) => join(build, 'server', 'entry.mjs'),
  clientDir: (build: string) => join(build, 'client'),
  vendorDir: (build: string) => join(build, 'vendor'),
  /** Written last: a build folder without it is incomplete (a build that failed or is running). */
  stamp: (build: string) => join(build, '.built-at'),
  /** One empty file per process that loaded this build, so old builds are removed only when unused. */
  users: (build: string) => join(build, '.in-use'),
};

let active: string | undefined;

/**
 * The build this process runs: dist/current resolved once, so a build swapped in while the
 * process runs never mixes with the one it started with. The process registers itself as a
 * user of that folder (api/build.ts keeps folders that a live process uses).
 */
export function activeBuild(): string | undefined {
  if (active) return active;
  if (!existsSync(currentLink)) return undefined;
  active = realpathSync(currentLink);
  try {
    mkdirSync(buildLayout.users(active), { recursive: true });
    writeFileSync(join(buildLayout.users(active), String(process.pid)), '');
  } catch {
    // A read-only install still runs; it only loses the protection against early removal.
  }
  return active;
}
