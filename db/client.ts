import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as schema from './schema/index.ts';
import { cacheStatements } from './statementCache.ts';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/**
 * How long a connection waits for another connection's write lock before SQLite answers
 * SQLITE_BUSY. better-sqlite3 waits synchronously, on the event loop: while it waits, no other
 * request is served, cached ones included. The CLI can afford the default; the server lowers it
 * (api/server.ts) and its background workers do not wait at all (`withoutWaiting`).
 */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

export const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), 'migrations');

/**
 * Opens (creating if needed) the SQLite file, sets the pragmas every connection needs and
 * applies pending migrations.
 */
export function openDatabase(path: string, options: { migrate?: boolean; verify?: boolean } = {}): Db {
  if (path !== ':memory:') {
    mkdirSync(dirname(resolve(path)), { recursive: true });
    keepPrivate(path);
  }
  const sqlite = new Database(path);
  if (options.verify) assertIntact(sqlite);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma(`busy_timeout = ${DEFAULT_BUSY_TIMEOUT_MS}`);
  const db = drizzle({ client: sqlite, schema }) as Db;
  if (options.migrate !== false) applyMigrations(db);
  sqlite.pragma('foreign_keys = ON');
  cacheStatements(db);
  return db;
}

/**
 * A read-only connection to an existing database (a publish worker thread rendering pages): no
 * migration, no pragma that writes, and SQLite refuses any write through it.
 */
export function openReader(path: string): Db {
  const sqlite = new Database(path, { readonly: true, fileMustExist: true });
  sqlite.pragma(`busy_timeout = ${DEFAULT_BUSY_TIMEOUT_MS}`);
  const db = drizzle({ client: sqlite, schema }) as Db;
  // A render worker runs the same few history queries thousands of times: compiled once each.
  cacheStatements(db);
  return db;
}

/** Readable and writable by the service's user alone (contacts, password and session hashes). */
export const DATABASE_FILE_MODE = 0o600;

/**
 * The database file is created (or kept) with mode 0600 whatever the umask; SQLite gives its
 * `-wal` and `-shm` the database's own mode when it creates them, and any left from before are
 * brought to it too. A file the process does not own keeps its mode (the owner decides).
 */
function keepPrivate(path: string): void {
  if (!existsSync(path)) closeSync(openSync(path, 'a', DATABASE_FILE_MODE));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      chmodSync(file, DATABASE_FILE_MODE);
    } catch {
      // Missing (-wal, -shm before the first write) or not ours.
    }
  }
}

export class DatabaseCorruptError extends Error {}

/**
 * PRAGMA quick_check (the b-tree and page checks of integrity_check, without comparing every
 * index with its table): a file with a bad page in the middle opens and serves until a query
 * reaches that page, so the server checks before it starts. An empty file passes (a new
 * database). Linear in the file's size: about a second per few hundred MB.
 */
function assertIntact(sqlite: Database.Database): void {
  let problems: string[];
  try {
    problems = (sqlite.pragma('quick_check(5)') as Array<{ quick_check: string }>).map((r) => r.quick_check);
  } catch (err) {
    problems = [(err as Error).message];
  }
  if (problems.length === 1 && problems[0] === 'ok') return;
  sqlite.close();
  throw new DatabaseCorruptError(
    `el archivo está dañado (PRAGMA quick_check: ${problems.join('; ').replace(/\s+/g, ' ').slice(0, 300)}). Restáurelo desde el último respaldo: npm run noc -- restore ARCHIVO (docs/backups.md).`,
  );
}

/**
 * Drizzle's SQLite migrations rebuild tables (create new, copy, drop old, rename). With
 * foreign keys ON, dropping the old table fires ON DELETE CASCADE and silently empties the
 * children, so migrations run with foreign keys OFF (the pragma is a no-op inside a
 * transaction, hence before), then the whole database is checked before they are turned on.
 */
export function applyMigrations(db: Db, folder: string = migrationsFolder): void {
  const sqlite = db.$client;
  sqlite.pragma('foreign_keys = OFF');
  migrate(db, { migrationsFolder: folder });
  const violations = sqlite.pragma('foreign_key_check') as unknown[];
  if (violations.length > 0) {
    throw new Error(
      `La migración dejó ${violations.length} referencias rotas: ${JSON.stringify(violations.slice(0, 5))}`,
    );
  }
  sqlite.pragma('foreign_keys = ON');
}

const busyListeners = new Set<() => void>();
const busySeen = new WeakSet<object>();

/** Called once for each SQLITE_BUSY this process meets (the `somnet_database_busy_total` counter). */
export function onDatabaseBusy(listener: () => void): () => void {
  busyListeners.add(listener);
  return () => busyListeners.delete(listener);
}

/**
 * What a SQLite failure means for the caller: `busy` (another connection holds the write lock
 * longer than this one waits: try again soon), `full` (the disk or the page limit is reached:
 * nothing was written), or null for anything else (a bug, not the weather).
 */
export function sqliteFailure(err: unknown): 'busy' | 'full' | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  if (
    code === 'SQLITE_BUSY' ||
    code.startsWith('SQLITE_BUSY_') ||
    code === 'SQLITE_LOCKED' ||
    code.startsWith('SQLITE_LOCKED_')
  ) {
    // The same error is often classified twice on its way up (the command, then the worker).
    if (!busySeen.has(err as object)) {
      busySeen.add(err as object);
      for (const listener of busyListeners) listener();
    }
    return 'busy';
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return 'full';
  return null;
}

/**
 * Runs `fn` (synchronous) without waiting for another connection's write lock: a background
 * worker that finds the database busy gets SQLITE_BUSY at once and tries again on its next
 * pass, instead of freezing every request while it waits. Safe because better-sqlite3 is
 * synchronous: no request can run on this connection between the two pragmas.
 */
export function withoutWaiting<T>(db: Db, fn: () => T): T {
  const sqlite = db.$client;
  const previous = sqlite.pragma('busy_timeout', { simple: true }) as number;
  sqlite.pragma('busy_timeout = 0');
  try {
    return fn();
  } finally {
    sqlite.pragma(`busy_timeout = ${previous}`);
  }
}
