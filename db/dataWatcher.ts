import type { Db } from './client.ts';
import { onCommit } from './commands/transaction.ts';
import { changeCursor } from './queries/published.ts';

type Listener = () => void;

/**
 * Notices that the data changed, whoever changed it, for everything that keeps something derived
 * from it: the page cache (api/cache.ts) drops its pages, the publisher (api/publish) publishes,
 * the clock worker (api/workers/clock.ts) looks again at what is due.
 *
 * Two sources, one signal: a command committing in this process that changed something public
 * (`onCommit`, at once), and a write by another process (the `noc` CLI, a restore) seen through
 * SQLite's `PRAGMA data_version`, whose value "will be different if changes were committed to the
 * database by any other connection in the interim" (sqlite.org/pragma.html#pragma_data_version).
 * The pragma is looked at on demand (`look`, what the cache does on a read) and, while a
 * subscriber asks for it, on a timer. There is one watcher per connection (`dataWatcher(db)`), so
 * whoever looks first tells everyone.
 */
export class DataWatcher {
  private readonly db: Db;
  private readonly listeners = new Map<Listener, number | undefined>();
  private version: number;
  private readonly statement: { get(): unknown };
  private lastLook = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerMs: number | undefined;

  constructor(db: Db) {
    this.db = db;
    this.statement = db.$client.prepare('PRAGMA data_version').pluck();
    this.version = this.readVersion();
    onCommit(db, () => this.notify());
  }

  /**
   * Calls `listener` after each change. With `pollMs`, another process's writes are looked for at
   * least that often (otherwise only when someone looks). Returns the unsubscribe function.
   */
  subscribe(listener: Listener, options: { pollMs?: number } = {}): () => void {
    this.listeners.set(listener, options.pollMs);
    this.updateTimer();
    return () => {
      this.listeners.delete(listener);
      this.updateTimer();
    };
  }

  /**
   * Looks for another process's writes now, unless someone looked less than `maxAgeMs` ago;
   * tells every listener when it finds one. True when it did.
   */
  look(maxAgeMs = 0): boolean {
    if (maxAgeMs > 0) {
      const now = Date.now();
      if (now - this.lastLook < maxAgeMs) return false;
    }
    const before = this.version;
    if (this.readVersion() === before) return false;
    if (this.onlyPrivateWrites()) return false;
    this.notify();
    return true;
  }

  /** Commits counted by connections of this process that write nothing public (see `privateWriter`). */
  private readonly privateWriters = new Map<Int32Array, number>();
  /** The change cursor when last told or looked at, while a private writer is registered. */
  private cursorSeen: string | undefined;

  /**
   * Another connection of this process whose commits change nothing a page shows (the fan-out's
   * thread writing outbox rows and link tokens, api/workers/fanout.ts): it adds one to
   * `commits[0]` before each commit. Its commits move `data_version` like another process's;
   * when that connection has committed since the last look and the change cursor (the audit log,
   * the status events, the quality ingests — what every public change writes, as the publisher
   * reads another process's writes) has not moved, nothing public changed: the page cache keeps
   * its pages and the publisher sleeps. Returns the unregister function.
   */
  privateWriter(commits: Int32Array): () => void {
    this.privateWriters.set(commits, Atomics.load(commits, 0));
    this.cursorSeen = this.cursorKey();
    return () => {
      this.privateWriters.delete(commits);
      if (this.privateWriters.size === 0) this.cursorSeen = undefined;
    };
  }

  private cursorKey(): string {
    const c = changeCursor(this.db);
    return `${c.audit}:${c.statusEvents}:${c.quality ?? 0}`;
  }

  private onlyPrivateWrites(): boolean {
    if (this.privateWriters.size === 0) return false;
    let wrote = false;
    for (const [commits, seen] of this.privateWriters) {
      const now = Atomics.load(commits, 0);
      if (now !== seen) wrote = true;
      this.privateWriters.set(commits, now);
    }
    const cursor = this.cursorKey();
    const unchanged = cursor === this.cursorSeen;
    this.cursorSeen = cursor;
    return wrote && unchanged;
  }

  private readVersion(): number {
    this.lastLook = Date.now();
    this.version = this.statement.get() as number;
    return this.version;
  }

  private notify(): void {
    if (this.privateWriters.size > 0) this.cursorSeen = this.cursorKey();
    for (const listener of [...this.listeners.keys()]) listener();
  }

  /** One timer, at the shortest interval any subscriber asked for; none when nobody asks. */
  private updateTimer(): void {
    const wanted = [...this.listeners.values()].filter((ms): ms is number => ms !== undefined);
    const ms = wanted.length > 0 ? Math.min(...wanted) : undefined;
    if (ms === this.timerMs) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.timerMs = ms;
    if (ms === undefined) return;
    this.timer = setInterval(() => {
      // A connection closed under a subscriber that forgot to stop: nothing left to watch.
      if (!this.db.$client.open) return;
      this.look();
    }, ms);
    this.timer.unref();
  }
}

const watchers = new WeakMap<Db, DataWatcher>();

/** The connection's one watcher. */
export function dataWatcher(db: Db): DataWatcher {
  let watcher = watchers.get(db);
  if (!watcher) watchers.set(db, (watcher = new DataWatcher(db)));
  return watcher;
}
