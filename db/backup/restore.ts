// `npm run noc -- restore FILE`: puts a backup in place of the database. Refuses while any other
// process has the database open (db/backup/exclusive.ts), checks the file before anything moves,
// migrates a copy of it, keeps the current database aside, and swaps the files by rename. The
// next start of the server sees a database behind its snapshot's manifest and publishes it all
// again (api/publish/publisher.ts).
import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { applyMigrations, migrationsFolder, openDatabase } from '../client.ts';
import { BackupError, copyDatabase, integrityProblems } from './backup.ts';
import { takeExclusive } from './exclusive.ts';

export interface RestoreResult {
  /** Where the database that was in place now is (null when there was none). */
  keptAside: string | null;
  /** Migrations this version applied to the restored copy. */
  migrated: number;
  /** The last change the backup holds. */
  lastChange: { id: number; at: Date } | null;
  ms: number;
}

function migrationTimes(folder: string): number[] {
  const journal = JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as {
    entries: Array<{ when: number }>;
  };
  return journal.entries.map((e) => e.when);
}

/** Refuses a file that is not a sound backup of this site, or one a newer version wrote. */
function checkBackup(file: string, folder: string): { lastChange: RestoreResult['lastChange'] } {
  if (!existsSync(file)) throw new BackupError(`No existe el archivo ${resolve(file)}.`);
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new BackupError(`No se puede abrir ${resolve(file)}: ${(err as Error).message}`);
  }
  try {
    let problems: string[];
    try {
      problems = integrityProblems(db);
    } catch (err) {
      throw new BackupError(`${resolve(file)} no es una base de datos SQLite: ${(err as Error).message}`);
    }
    if (problems.length)
      throw new BackupError(
        `${resolve(file)} está dañado (PRAGMA integrity_check: ${problems.slice(0, 5).join('; ')}).`,
      );
    const tables = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]);
    for (const t of ['__drizzle_migrations', 'audit_log', 'components'])
      if (!tables.has(t))
        throw new BackupError(`${resolve(file)} no es un respaldo de SOMNET Estado (falta la tabla ${t}).`);
    const known = new Set(migrationTimes(folder));
    const applied = db.prepare('SELECT created_at FROM __drizzle_migrations').pluck().all() as number[];
    const unknown = applied.filter((t) => !known.has(Number(t)));
    if (unknown.length)
      throw new BackupError(
        `${resolve(file)} viene de una versión más nueva del sitio (${unknown.length} migraciones que esta no conoce): actualice el código antes de restaurarlo.`,
      );
    const row = db.prepare('SELECT id, at FROM audit_log ORDER BY id DESC LIMIT 1').get() as
      { id: number; at: number } | undefined;
    return { lastChange: row ? { id: row.id, at: new Date(row.at) } : null };
  } finally {
    db.close();
  }
}

export function asideName(target: string, at: Date): string {
  return `${target}.before-restore-${at.toISOString().slice(0, 19).replace(/:/g, '-')}Z`;
}

export async function restoreDatabase(
  file: string,
  target: string,
  options: { now?: () => Date; migrationsFolder?: string } = {},
): Promise<RestoreResult> {
  const started = performance.now();
  const now = options.now ?? (() => new Date());
  const folder = options.migrationsFolder ?? migrationsFolder;
  const source = resolve(file);
  const destination = resolve(target);
  if (source === destination) throw new BackupError('El respaldo y DATABASE_PATH son el mismo archivo.');
  const { lastChange } = checkBackup(source, folder);

  mkdirSync(dirname(destination), { recursive: true });
  // Held from here to the swap: no server can open the database in between.
  const held = takeExclusive(destination);
  const staging = `${destination}.restoring`;
  try {
    rmSync(staging, { force: true });
    const from = new Database(source, { readonly: true, fileMustExist: true });
    try {
      await copyDatabase(from, staging);
    } finally {
      from.close();
    }
    // Migrated before it is put in place: a migration that fails leaves everything as it was.
    // Page for page the file integrity_check passed above: no second check.
    const copy = openDatabase(staging, { migrate: false });
    let migrated: number;
    try {
      const count = () => copy.$client.prepare('SELECT count(*) FROM __drizzle_migrations').pluck().get() as number;
      const before = count();
      applyMigrations(copy, folder);
      migrated = count() - before;
      copy.$client.pragma('wal_checkpoint(TRUNCATE)');
      copy.$client.pragma('journal_mode = DELETE');
    } finally {
      copy.$client.close();
    }
    let keptAside: string | null = null;
    if (existsSync(destination)) {
      keptAside = asideName(destination, now());
      chmodSync(staging, statSync(destination).mode & 0o777);
      renameSync(destination, keptAside);
    }
    for (const suffix of ['-wal', '-shm', '-journal']) rmSync(`${destination}${suffix}`, { force: true });
    renameSync(staging, destination);
    return { keptAside, migrated, lastChange, ms: performance.now() - started };
  } catch (err) {
    rmSync(staging, { force: true });
    for (const suffix of ['-wal', '-shm']) rmSync(`${staging}${suffix}`, { force: true });
    throw err;
  } finally {
    held?.release();
  }
}
