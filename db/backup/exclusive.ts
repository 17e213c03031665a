// Is another process using the database? SQLite's own locks answer it: every connection to a WAL
// database (the server, `npm run export`, the `noc` CLI, a backup) holds a shared lock on it while
// open, and the kernel drops that lock when the process exits, crash included — so there is no
// stale lock file or lease row to clear after a crash. Leaving WAL mode needs every other
// connection gone: if that succeeds, nobody else has the file open, and `locking_mode=EXCLUSIVE`
// keeps it so until we close.
//
// /proc/locks (Linux) names the processes holding those locks, for the refusal's message, and
// answers alone when the file is too damaged for SQLite to take the lock.
import Database from 'better-sqlite3';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';

export class DatabaseInUseError extends Error {
  readonly pids: number[];
  constructor(path: string, pids: number[]) {
    super(
      `La base de datos ${path} está en uso por otro proceso${pids.length ? ` (${pids.map(describePid).join('; ')})` : ''}. Detenga el servidor (systemctl stop somnet-status) y cualquier otra tarea que la use, y vuelva a intentarlo.`,
    );
    this.pids = pids;
  }
}

function describePid(pid: number): string {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return `PID ${pid}: ${cmd.slice(0, 120)}`;
  } catch {
    return `PID ${pid}`;
  }
}

/** Linux's encoding of a device number into st_dev (glibc's gnu_dev_major/minor). */
function majorMinor(dev: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}`;
}

/**
 * Processes other than this one holding a POSIX lock on the database or its -wal/-shm files
 * (from /proc/locks); empty where /proc/locks does not exist.
 */
export function lockHolders(path: string): number[] {
  let table: string;
  try {
    table = readFileSync('/proc/locks', 'utf8');
  } catch {
    return [];
  }
  const files = new Set<string>();
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      const s = statSync(file, { bigint: true });
      files.add(`${majorMinor(s.dev)}:${s.ino}`);
    } catch {
      // Not there: nobody locks it.
    }
  }
  const pids = new Set<number>();
  for (const line of table.split('\n')) {
    // "1: POSIX  ADVISORY  READ 1234 fe:00:4243933 128 128"; a waiting lock has "->" before its type.
    const f = line.replace('->', '').trim().split(/\s+/);
    if (f.length < 6 || (f[1] !== 'POSIX' && f[1] !== 'OFDLCK')) continue;
    const pid = Number(f[4]);
    if (files.has(f[5]) && pid !== process.pid && pid > 0) pids.add(pid);
  }
  return [...pids].sort((a, b) => a - b);
}

export interface ExclusiveDatabase {
  /** The database is now a single file (its WAL folded in), which nothing else has open. */
  readonly path: string;
  release(): void;
}

/**
 * Takes the database for this process alone, or throws DatabaseInUseError. While held, no other
 * process can open it (a server starting meanwhile fails to and is restarted by systemd), and the
 * file can be renamed: the lock follows the file. A missing file is nobody's.
 */
export function takeExclusive(path: string): ExclusiveDatabase | null {
  if (!existsSync(path)) return null;
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { fileMustExist: true });
    db.pragma('busy_timeout = 500');
    db.pragma('locking_mode = EXCLUSIVE');
    // Leaving WAL checkpoints it into the file and needs every other connection closed.
    db.pragma('journal_mode = DELETE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db?.close();
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
      throw new DatabaseInUseError(path, lockHolders(path));
    // A file SQLite cannot read as a database: the kernel's lock table is all we can ask.
    const holders = lockHolders(path);
    if (holders.length) throw new DatabaseInUseError(path, holders);
    return { path, release: () => {} };
  }
  // The WAL is folded in; an -shm left by a process that died is stale.
  rmSync(`${path}-shm`, { force: true });
  const held = db;
  return {
    path,
    release: () => {
      // Nothing was written in the transaction: no journal file, nothing deleted by name.
      held.exec('ROLLBACK');
      held.close();
    },
  };
}
