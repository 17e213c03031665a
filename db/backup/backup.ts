// `npm run noc -- backup DIR`: an online copy of the database while the server runs. SQLite's
// backup API (through better-sqlite3) copies the pages inside one read transaction, so the copy
// is the database as of one instant — every transaction committed before it, none after — and
// the server's writes go on meanwhile (WAL: readers and the writer do not block each other).
import Database from 'better-sqlite3';
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join, resolve } from 'node:path';

export class BackupError extends Error {}

/** `somnet-2026-11-26T18-00-00Z.db`: UTC, sorts by time, no characters a shell or Windows mind. */
export const BACKUP_FILE = /^somnet-(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})Z\.db$/;

export function backupFileName(at: Date): string {
  return `somnet-${at.toISOString().slice(0, 19).replace(/:/g, '-')}Z.db`;
}

/** When a backup file (by its name) was taken; null for any other file. */
export function backupTime(name: string): Date | null {
  const m = BACKUP_FILE.exec(name);
  return m ? new Date(`${m[1]}T${m[2]}:${m[3]}:${m[4]}Z`) : null;
}

export const DEFAULT_KEEP = 14;

export interface BackupResult {
  file: string;
  bytes: number;
  /** What the copy holds: the last audit row (every change writes one) and its time. */
  lastChange: { id: number; at: Date } | null;
  /** Older backups removed to keep the last `keep`. */
  removed: string[];
  ms: number;
}

/** PRAGMA integrity_check of a database file: the problems it lists (empty when "ok"). */
export function integrityProblems(db: Database.Database): string[] {
  const rows = db.pragma('integrity_check(20)') as Array<{ integrity_check: string }>;
  const lines = rows.map((r) => r.integrity_check);
  return lines.length === 1 && lines[0] === 'ok' ? [] : lines;
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Copies the whole database in one step of the backup API: one read transaction, one instant. */
export async function copyDatabase(source: Database.Database, destination: string): Promise<void> {
  // better-sqlite3 copies 100 pages per step by default, and SQLite starts over whenever another
  // connection writes between two steps: under a steady stream of writes it might never finish.
  await source.backup(destination, { progress: () => 0x7fffffff });
}

export async function backupDatabase(
  sourcePath: string,
  dir: string,
  options: { keep?: number; now?: () => Date } = {},
): Promise<BackupResult> {
  const started = performance.now();
  const keep = options.keep ?? DEFAULT_KEEP;
  const now = options.now ?? (() => new Date());
  if (!Number.isInteger(keep) || keep < 1) throw new BackupError('--keep debe ser un número entero de 1 o más.');
  if (!existsSync(sourcePath)) throw new BackupError(`No existe la base de datos ${resolve(sourcePath)}.`);
  // Backups hold every subscriber's address and the webhook secrets: only the service user reads them.
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  // One backup per second at most: a name is never reused.
  let name = backupFileName(now());
  while (existsSync(join(dir, name))) {
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
    name = backupFileName(now());
  }
  const file = join(dir, name);
  const partial = join(dir, `.${name}.partial`);

  const source = new Database(sourcePath, { fileMustExist: true });
  try {
    source.pragma('busy_timeout = 5000');
    await copyDatabase(source, partial);
  } catch (err) {
    rmSync(partial, { force: true });
    throw new BackupError(`No se pudo copiar ${resolve(sourcePath)}: ${(err as Error).message}`);
  } finally {
    source.close();
  }

  let lastChange: BackupResult['lastChange'];
  try {
    const copy = new Database(partial, { fileMustExist: true });
    try {
      // A file of its own: no -wal or -shm beside it, readable by a read-only sqlite3 anywhere.
      copy.pragma('journal_mode = DELETE');
      const problems = integrityProblems(copy);
      if (problems.length) throw new BackupError(`La copia no pasó PRAGMA integrity_check: ${problems.join('; ')}`);
      const row = copy.prepare('SELECT id, at FROM audit_log ORDER BY id DESC LIMIT 1').get() as
        { id: number; at: number } | undefined;
      lastChange = row ? { id: row.id, at: new Date(row.at) } : null;
    } finally {
      copy.close();
    }
    chmodSync(partial, 0o600);
    fsyncPath(partial);
    renameSync(partial, file);
    fsyncPath(dir);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err instanceof BackupError ? err : new BackupError((err as Error).message);
  }

  // Retention: the newest `keep` backups by their names' time; other files in DIR are never touched.
  const backups = readdirSync(dir)
    .filter((f) => BACKUP_FILE.test(f))
    .sort()
    .reverse();
  const removed = backups.slice(keep).map((f) => join(dir, f));
  for (const f of removed) rmSync(f, { force: true });

  return { file, bytes: statSync(file).size, lastChange, removed, ms: performance.now() - started };
}
