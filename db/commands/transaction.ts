import { sqliteFailure, withoutWaiting, type Db } from '../client.ts';
import { PRIVATE_SUBJECTS } from '../auditSubjects.ts';
import { auditedDuring, type Actor } from './audit.ts';
import { CommandError } from './errors.ts';

/** Who acts and when: every command takes one, and writes it to the audit log. */
export interface CommandContext {
  now: Date;
  actor: Actor;
}

type Listener = () => void;
const listeners = new WeakMap<Db, Set<Listener>>();

/**
 * Called after every committed command on this connection that changed something public (see
 * runCommand). The page cache, the publisher and the clock worker hear of it through
 * db/dataWatcher.ts, which adds the writes of other processes.
 */
export function onCommit(db: Db, listener: Listener): () => void {
  let set = listeners.get(db);
  if (!set) listeners.set(db, (set = new Set()));
  set.add(listener);
  return () => set.delete(listener);
}

/** Seconds a client should wait before retrying a write the database could not take. */
export const BUSY_RETRY_AFTER_SECONDS = 5;

/**
 * What a SQLite failure means for whoever asked, as the refusal every entry point shows like any
 * other (the API as JSON with Retry-After, forms next to their button): another process holding
 * the write lock longer than we wait is 503 `database_busy`, a full disk 503 `storage_full`.
 * Null for any other error (a bug, not the weather). The one place this rule is written: commands
 * get it from `writeTransaction`, everything else the API does from its error handler.
 */
export function storageRefusal(err: unknown): CommandError | null {
  const failure = sqliteFailure(err);
  if (failure === 'busy') {
    return new CommandError(
      503,
      'database_busy',
      'La base de datos está ocupada por otra tarea y no se guardó nada. Intente de nuevo en unos segundos.',
      undefined,
      { retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS },
    );
  }
  if (failure === 'full') {
    return new CommandError(
      503,
      'storage_full',
      'El servidor se quedó sin espacio en disco y no se guardó nada. Avise a soporte de SOMNET; el cambio se puede reintentar cuando haya espacio.',
      undefined,
      { retryAfterSeconds: 60 },
    );
  }
  return null;
}

type BeforeWrite = (db: Db) => void;
const beforeWrites: BeforeWrite[] = [];

/**
 * Something every command's transaction does first, before its own writes, holding the write lock
 * (the outermost transaction only). The fan-out registers one (db/outbox/fanout.ts): a notice's
 * audience recorded at a commit but not read yet is read before any later command can change who
 * it reaches. A hook must cost nothing when it has nothing to do (one indexed look).
 */
export function beforeEachWrite(hook: BeforeWrite): void {
  if (!beforeWrites.includes(hook)) beforeWrites.push(hook);
}

/**
 * One synchronous write transaction (BEGIN IMMEDIATE: the write lock is taken first, so the
 * transaction cannot fail half-way for want of it). A database locked by another process, or a
 * full disk, rolls everything back and becomes the CommandError of `storageRefusal` instead of
 * a 500.
 */
export function writeTransaction<T>(db: Db, fn: () => T): T {
  try {
    if (beforeWrites.length === 0 || db.$client.inTransaction) return db.$client.transaction(fn).immediate();
    return db.$client
      .transaction(() => {
        for (const hook of beforeWrites) hook(db);
        return fn();
      })
      .immediate();
  } catch (err) {
    throw storageRefusal(err) ?? err;
  }
}

/**
 * Runs one command as one synchronous transaction (better-sqlite3 transactions cannot span an
 * await). On any throw everything rolls back. On commit the listeners (the public page cache,
 * the publisher) run, unless every subject the command audited (or noted, `noteChange`) is one
 * no public page shows (PRIVATE_SUBJECTS in db/auditSubjects.ts: a sign-up, a sign-in, a token,
 * an alert resent). A command nested in another (a console form's submitOnce) leaves that to the
 * outermost, after the real commit.
 */
export function runCommand<T>(db: Db, fn: (tx: Db) => T): T {
  const { result, subjects, outermost } = auditedDuring(db, () => writeTransaction(db, () => fn(db)));
  const isPublic = subjects.size === 0 || [...subjects].some((s) => !PRIVATE_SUBJECTS.has(s));
  if (outermost && isPublic) for (const l of listeners.get(db) ?? []) l();
  return result;
}

/**
 * Where the database's writes stand, as this connection sees them: the same mark twice means
 * nothing was written in between, by this connection (`total_changes()`, the rows it changed) or
 * by any other (`data_version`, which moves when another connection commits; a checkpoint does
 * not move it). Lets a command decide in one turn of the event loop and write in the next only
 * if nothing changed meanwhile.
 */
export function writeMark(db: Db): string {
  const changes = db.$client.prepare('SELECT total_changes()').pluck().get() as number;
  return `${changes}:${db.$client.pragma('data_version', { simple: true }) as number}`;
}

/** True when a write failed only because another connection held the write lock. */
export function isDatabaseBusy(err: unknown): boolean {
  return sqliteFailure(err) === 'busy' || (err instanceof CommandError && err.code === 'database_busy');
}

/**
 * A background worker's write: it never waits inside SQLite (that wait would block the event
 * loop, and every request with it). When the database is busy it waits asynchronously and
 * tries again, `attempts` times in all, then lets the busy error through for the worker's next
 * pass. Other errors are not retried.
 */
export async function backgroundWrite<T>(
  db: Db,
  fn: () => T,
  options: { attempts?: number; delayMs?: number } = {},
): Promise<T> {
  const attempts = options.attempts ?? 1;
  let delay = options.delayMs ?? 100;
  for (let attempt = 1; ; attempt++) {
    try {
      return withoutWaiting(db, fn);
    } catch (err) {
      if (!isDatabaseBusy(err) || attempt >= attempts) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 2_000);
  }
}
