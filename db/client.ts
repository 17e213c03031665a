import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as schema from './schema/index.ts';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), 'migrations');

/**
 * Opens (creating if needed) the SQLite file, sets the pragmas every connection needs and
 * applies pending migrations.
 */
export function openDatabase(path: string, options: { migrate?: boolean } = {}): Db {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  const db = drizzle({ client: sqlite, schema }) as Db;
  if (options.migrate !== false) applyMigrations(db);
  sqlite.pragma('foreign_keys = ON');
  return db;
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
    throw new Error(`La migración dejó ${violations.length} referencias rotas: ${JSON.stringify(violations.slice(0, 5))}`);
  }
  sqlite.pragma('foreign_keys = ON');
}
