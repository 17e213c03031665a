// Keeps PUBLISH_DIR current: after every committed write (from this process, or another one
// such as the `noc` CLI) it re-renders what that write changed and replaces those files; every
// minute it re-renders what changes with time alone (today's uptime bar, "próximos 7 días",
// a window that starts on schedule). `npm run export` uses the same code for one full publish.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Db } from '#db/client.ts';
import { dataWatcher, type DataWatcher } from '#db/dataWatcher.ts';
import { changeCursor, changeSequence, changesSince, type ChangeCursor } from '#db/queries/index.ts';
import { publishedFiles } from '../metrics/registry.ts';
import type { CachedEntry } from '../cache.ts';
import { changeFrom, emptyChange, everything, isEmpty, mergeChanges, type Change } from './changes.ts';
import { collections, type CollectionName } from './collections.ts';
import { compressedForSnapshot, fileFor, SnapshotDir, type Compression, type GzipOnlyEntry } from './files.ts';
import { affinityOf, defaultPoolSize, RenderPool, type RenderPoolOptions } from './renderPool.ts';
import type { RenderResult } from './renderWorker.ts';
import { pathFor, publicRouteOf, publicRoutes } from './routes.ts';
import { releaseMemory } from '../memory.ts';
import { readersServed } from '../readersFirst.ts';

export type RenderPublic = (path: string, options?: { fresh?: boolean; keep?: boolean }) => Promise<CachedEntry | null>;

export interface PublisherOptions {
  db: Db;
  dir: string;
  /** Renders a public path as Node serves it (createApp's `renderPublic`). */
  render: RenderPublic;
  /**
   * Render workers (child processes) for a full publish (api/publish/renderPool.ts): the
   * configuration and build they load (each opens `db`'s file read-only). Without it (or with size 0, or an in-memory
   * database) this process renders every path.
   */
  pool?: RenderPoolOptions;
  /** The build's client files (assets under /_astro/, prerendered pages), published as they are. */
  staticFiles?: Map<string, CachedEntry>;
  now?: () => Date;
  /**
   * No other process writes to `dir` while this publisher does (`npm run export`): into an empty
   * directory, new files are written without a temporary file and without asking the file system
   * what is there (api/publish/files.ts, SnapshotDir).
   */
  exclusive?: boolean;
  /** A shell command run after each publish that changed files (PUBLISH_COMMAND). */
  command?: string;
  /**
   * What the pages are made from besides the data. A directory published by the same build for
   * the same PUBLIC_URL is caught up from where it stopped instead of being published again.
   */
  origin?: { build: string; publicUrl: string };
  /** How long the first write of a burst waits for the others. */
  debounceMs?: number;
  /** How long after a failed publish (or file) it is tried again. */
  retryMs?: number;
  log?: (line: string) => void;
}

export interface PublishReport {
  full: boolean;
  rendered: number;
  written: number;
  removed: number;
  failed: string[];
  ms: number;
}

/** How often another process's commits are looked for (db/dataWatcher.ts). */
const EXTERNAL_CHECK_MS = 250;
/** After a publish (or a file of it) failed. */
const RETRY_MS = 5_000;
/**
 * How long each publish spends on a full publish in progress, at most: a write committed
 * meanwhile ends the slice at once (its publish starts on the next second), and requests are
 * answered between renderings, so most of each second goes to the backlog.
 */
const BACKLOG_SLICE_MS = 900;

/**
 * How long a publish renders in a row before it lets the event loop answer what came in. One
 * rendering of `/` or a feed is a few to tens of milliseconds: in practice a turn after each.
 */
const PUBLISH_SLICE_MS = 4;

/**
 * What the clock asks of a publish: nothing, the pages that change by the minute (today's bar,
 * an ETA that passes, a window that starts), or those and the figures refreshed every quarter
 * hour (availability of the month in progress, which states the minute it counts to).
 */
export type Tick = 'none' | 'minute' | 'quarter-hour';

const QUARTER_HOUR_MS = 15 * 60_000;

const EMPTY = Buffer.alloc(0);

/**
 * Paths a full publish must have for render workers to start by default. Each worker takes a few
 * seconds of CPU to load the site, but the memory of the renders goes with it when it exits:
 * measured on a quiet 2-core machine at 5,000 incidents (5,629 paths), the server's RSS after a
 * full publish was 582 MB rendering in process and 311 MB with two workers, for 23.9 s against
 * 26.8 s of wall time. Below this a site is small enough that neither matters.
 */
const POOL_MIN_PATHS = 2_000;

/** The paths a change (and, on a tick, the clock) makes stale, in the routes' order; `fresh` ones must not come from the cache. */
export function stalePaths(change: Change, tick: Tick, db: Db, now: Date): Map<string, { fresh: boolean }> {
  const out = new Map<string, { fresh: boolean }>();
  const memo = new Map<string, string[]>();
  const members = (name: CollectionName, kind: 'all' | 'touched' | 'timely') => {
    const key = `${name}:${kind}`;
    let list = memo.get(key);
    if (!list) {
      const c = collections[name];
      list = kind === 'all' ? c.all(db, now) : kind === 'touched' ? c.touched(change, db, now) : c.timely(db, now);
      memo.set(key, list);
    }
    return list;
  };
  const due = (every: 'minute' | 'quarter-hour' | undefined) =>
    tick === 'quarter-hour' || (tick === 'minute' && (every ?? 'minute') === 'minute');
  // Site-wide paths first (the most read), then the families (a full publish renders thousands).
  for (const route of publicRoutes) {
    if (route.each) continue;
    const timely = due(route.refresh);
    if (change.everything || change.site || timely) out.set(route.path, { fresh: timely });
  }
  for (const route of publicRoutes) {
    if (!route.each) continue;
    // A tick alone touches nothing: only what the clock changes (below) is rendered again.
    if (!isEmpty(change))
      for (const m of members(route.each, change.everything ? 'all' : 'touched'))
        out.set(pathFor(route, m), { fresh: false });
    if (due(collections[route.each].refresh))
      for (const m of members(route.each, 'timely')) out.set(pathFor(route, m), { fresh: true });
    if (tick === 'quarter-hour' && collections[route.each].quarterHourFigures)
      for (const m of members(route.each, 'all')) out.set(pathFor(route, m), { fresh: true });
  }
  return out;
}

/** Families whose members pile up with the years: a member no write or clock keeps current is history. */
const HISTORY_FAMILIES: ReadonlySet<CollectionName> = new Set([
  'incidents',
  'maintenances',
  'historyMonths',
  'calendarMonths',
  'availabilityMonths',
]);

/**
 * The paths of a full publish compressed as hot files (api/publish/files.ts, Compression): all
 * but the members of the history families that time alone does not re-render (a resolved
 * incident, a past month). An open incident, this month, `/` and the feeds stay hot.
 */
function hotPaths(db: Db, now: Date): Set<string> {
  const timely = stalePaths({ ...emptyChange(), site: true }, 'minute', db, now);
  const hot = new Set<string>();
  for (const path of stalePaths(everything(), 'none', db, now).keys()) if (!isHistory(path, timely)) hot.add(path);
  return hot;
}

/** A member of a history family that the clock does not keep current (`timely`: what a minute's tick re-renders). */
function isHistory(path: string, timely: ReadonlyMap<string, unknown>): boolean {
  const family = publicRouteOf(path)?.each;
  return family !== undefined && HISTORY_FAMILIES.has(family) && !timely.has(path);
}

/**
 * The paths in the same order, except that those with the same affinity (a component's RSS,
 * Atom and JSON feeds: api/publish/renderPool.ts, affinityOf) follow each other from the first
 * one's place: one render worker renders them in a row and reads their incidents once.
 */
function together(paths: string[]): string[] {
  const groups = new Map<string, string[]>();
  for (const path of paths) {
    const key = affinityOf(path);
    if (key === undefined) continue;
    const group = groups.get(key);
    if (group) group.push(path);
    else groups.set(key, [path]);
  }
  if (groups.size === 0) return paths;
  const out: string[] = [];
  for (const path of paths) {
    const key = affinityOf(path);
    if (key === undefined) out.push(path);
    else if (groups.get(key)![0] === path) out.push(...groups.get(key)!);
  }
  return out;
}

/**
 * How far the files are current, for /metrics and /healthz (api/metrics/state.ts): every change
 * after `through` is not published yet; `readAt` is when `through` was read from the change log
 * (so such a change committed after it), `at` when that publish finished.
 */
export interface PublishedState {
  through: ChangeCursor;
  readAt: number;
  at: Date | null;
}

/** A full publish in progress: every path, a slice per publish, between the publishes of new writes. */
interface Backlog {
  queue: string[];
  /** Paths of the queue read often (site-wide, open, current): compressed as hot files; the rest is history. */
  hot: Set<string>;
  started: number;
  written: number;
  rendered: number;
}

export class Publisher {
  readonly snapshot: SnapshotDir;
  private readonly options: PublisherOptions;
  private readonly now: () => Date;
  private cursor: ChangeCursor;
  private savedCursor: ChangeCursor | undefined;
  private manifestCursor: ChangeCursor | undefined;
  private pending: Change = emptyChange();
  private pendingTick = false;
  private backlog: Backlog | undefined;
  /** Paths whose rendering or write failed: tried again with the next publish. */
  private retry = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private clockTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  /** The quarter hour (ms / 15 min) whose figures were last refreshed by a tick. */
  private lastQuarter = -1;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;
  private commandChild: ChildProcess | undefined;
  private commandAgain = false;
  private readonly watcher: DataWatcher;
  /** The render workers of the full publish in progress, if it uses any. */
  private pool: RenderPool | undefined;
  /** Set while a publish itself asks the watcher to look: what it finds, this publish reads. */
  private looking = false;
  private waiters: Array<() => void> = [];
  lastReport: PublishReport | undefined;
  published: PublishedState;
  private cursorReadAt: number;
  /** Publishes run so far (a burst of writes should cost one). */
  publishes = 0;
  /** Paths rendered by render workers so far (api/publish/renderPool.ts). */
  renderedInThreads = 0;

  constructor(options: PublisherOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
    this.snapshot = new SnapshotDir(options.dir, { exclusive: options.exclusive });
    this.snapshot.removeTemporaryFiles();
    this.cursor = changeCursor(options.db);
    this.cursorReadAt = this.now().getTime();
    this.published = { through: this.cursor, readAt: this.cursorReadAt, at: null };
    this.watcher = dataWatcher(options.db);
  }

  private log(line: string): void {
    (this.options.log ?? console.log)(line);
  }

  /** A tick's kind: the first one of each quarter hour (by the clock, so a late tick still counts) refreshes the figures too. */
  private tickKind(): Tick {
    const quarter = Math.floor(this.now().getTime() / QUARTER_HOUR_MS);
    if (quarter === this.lastQuarter) return 'minute';
    this.lastQuarter = quarter;
    return 'quarter-hour';
  }

  /**
   * Lists every path of a full publish and starts its render workers, without rendering
   * anything: `npm run export` calls it before loading the site itself, so the workers load
   * theirs meanwhile (the two cores busy from the start instead of one). `publishAll` does it
   * when nobody did.
   */
  prepareFullPublish(): void {
    if (this.backlog) return;
    this.cursor = changeCursor(this.options.db);
    this.cursorReadAt = this.now().getTime();
    this.backlog = this.newBacklog();
  }

  /** Every published path, at once: what `npm run export` does. */
  async publishAll(): Promise<PublishReport> {
    this.prepareFullPublish();
    // Nothing else to do meanwhile: the workers render everything, once they have loaded the site.
    await this.pool?.ready.catch(() => {});
    return this.publish(emptyChange(), false, Number.POSITIVE_INFINITY);
  }

  /** Paths a full publish in progress has still to write (0 when none is). */
  get backlogRemaining(): number {
    return this.backlog?.queue.length ?? 0;
  }

  private newBacklog(): Backlog {
    const now = this.now();
    const queue = together([...stalePaths(everything(), 'quarter-hour', this.options.db, now).keys()]);
    this.startPool(queue.length);
    return {
      queue,
      hot: hotPaths(this.options.db, now),
      started: performance.now(),
      written: 0,
      rendered: 0,
    };
  }

  /** Starts the render workers of a full publish (they load the site while this process renders the first paths). */
  private startPool(paths: number): void {
    const options = this.options.pool;
    // Unless PUBLISH_WORKERS says how many, only a publish large enough to repay their start.
    const size = options?.size ?? (paths >= POOL_MIN_PATHS ? defaultPoolSize() : 0);
    const databasePath = this.options.db.$client.name;
    if (this.pool || !options || size < 1 || databasePath === ':memory:' || databasePath === '') return;
    // An export into an empty directory: the workers write the files of the paths they render
    // themselves (api/publish/renderWorker.ts): the bytes do not travel to this process.
    const writeDir = this.snapshot.writesInPlace ? this.snapshot.dir : undefined;
    const pool = new RenderPool({ ...options, size, databasePath, ...(writeDir ? { writeDir } : {}) });
    this.pool = pool;
    pool.ready.catch((err: Error) =>
      this.log(`Publicación: los procesos de apoyo no arrancaron (${err.message}); publica el proceso principal.`),
    );
  }

  /** Ends the render workers (their memory goes with them); resolves once they have exited. */
  private endPool(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool) this.poolClosed = pool.close();
    return this.poolClosed;
  }

  private poolClosed: Promise<void> = Promise.resolve();

  /**
   * Brings the directory up to date, then follows writes and the clock until `stop()`. If the
   * previous run of the same build left it current up to a point of the change log, only what
   * changed since (and what changes with time) is published; otherwise every path, a slice per
   * second so that writes meanwhile are published at once all the same.
   */
  start(): void {
    this.unsubscribe = this.watcher.subscribe(
      () => {
        if (!this.looking) this.schedule();
      },
      { pollMs: EXTERNAL_CHECK_MS },
    );
    this.scheduleClock();
    const saved = this.snapshot.origin;
    const own = this.options.origin;
    // A database behind the snapshot's cursor (a restored backup) is not the one it was published from.
    const sequence = changeSequence(this.options.db);
    const behind =
      saved.cursor && (saved.cursor.audit > sequence.audit || saved.cursor.statusEvents > sequence.statusEvents);
    if (!(own && saved.cursor && !behind && saved.build === own.build && saved.publicUrl === own.publicUrl)) {
      this.backlog = this.newBacklog();
    } else {
      this.cursor = saved.cursor!;
      this.published = { through: this.cursor, readAt: 0, at: null };
    }
    this.tick();
  }

  /** Re-renders, now, what changes with time alone (the clock calls it every minute). */
  tick(): void {
    this.pendingTick = true;
    this.schedule(0);
  }

  private scheduleClock(): void {
    // On the minute, so the day's change (uptime bars, "hoy") is published at 00:00:0x.
    const delay = 60_000 - (Date.now() % 60_000) + 50;
    this.clockTimer = setTimeout(() => {
      this.tick();
      this.scheduleClock();
    }, delay);
    this.clockTimer.unref();
  }

  /** A write committed (or the clock ticked): publish soon; writes meanwhile join the same publish. */
  private schedule(delay = this.options.debounceMs ?? 50): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.cycle().finally(() => this.finished());
    }, delay);
  }

  private finished(): void {
    this.running = undefined;
    if ((this.again || this.backlog) && !this.stopped) {
      this.again = false;
      this.schedule(0);
      return;
    }
    if (!this.timer) for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once everything committed before the call is on disk (and a full publish in progress is done). */
  async settled(): Promise<void> {
    // Another process's commit this instant may not have been looked for yet: looking schedules it.
    this.watcher.look();
    if (!this.running && !this.timer && !this.backlog) {
      const since = changesSince(this.options.db, this.cursor);
      if (since.audited.length === 0 && since.qualityAreaIds.length === 0) return;
      this.schedule(0);
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private async cycle(): Promise<void> {
    // No waiting for the next wall-clock second: SnapshotDir.write gives a file replaced within
    // its previous version's second the next second as mtime, so nginx's ETags (mtime, size)
    // stay distinct. Writes that arrive during a publish are coalesced into the next one.
    let change = this.pending;
    const tick = this.pendingTick;
    this.pending = emptyChange();
    this.pendingTick = false;
    try {
      // Other processes' writes up to now: the page cache drops its pages (the watcher tells it),
      // and this publish reads them below.
      this.looking = true;
      try {
        this.watcher.look();
      } finally {
        this.looking = false;
      }
      const read = changesSince(this.options.db, this.cursor);
      this.cursor = read.cursor;
      this.cursorReadAt = this.now().getTime();
      change = mergeChanges(change, changeFrom(read.audited, read.statusChangedComponentIds, read.qualityAreaIds));
      if (change.everything) {
        // The catalogue was renamed or restructured: every page again, in slices.
        this.backlog = this.newBacklog();
        change = { ...change, everything: false };
      }
      if (isEmpty(change) && !tick && this.retry.size === 0 && !this.backlog) return;
      await this.publish(change, tick, BACKLOG_SLICE_MS);
    } catch (err) {
      // A locked or full disk, a database busy for too long: nothing read is lost, the whole
      // change is published again a little later.
      this.pending = mergeChanges(this.pending, change);
      this.pendingTick ||= tick;
      this.log(`Publicación: falló (${(err as Error).message}); se reintenta en ${this.retryMs / 1000} s.`);
      this.retryLater();
    }
  }

  private get retryMs(): number {
    return this.options.retryMs ?? RETRY_MS;
  }

  private retryLater(): void {
    if (this.stopped) return;
    setTimeout(() => this.schedule(0), this.retryMs).unref();
  }

  /** Renders `change`'s paths, then up to `sliceMs` of the backlog, all with one mtime. */
  private async publish(change: Change, tick: boolean, sliceMs: number): Promise<PublishReport> {
    const started = performance.now();
    this.publishes++;
    const cursor = this.cursor;
    const readAt = this.cursorReadAt;
    const second = Math.floor(Date.now() / 1000);
    const targets =
      isEmpty(change) && !tick
        ? new Map<string, { fresh: boolean }>()
        : stalePaths(change, tick ? this.tickKind() : 'none', this.options.db, this.now());
    for (const path of this.retry) if (!targets.has(path)) targets.set(path, { fresh: false });
    this.retry.clear();
    const report: PublishReport = { full: false, rendered: 0, written: 0, removed: 0, failed: [], ms: 0 };
    let sliceStarted = performance.now();
    const publishOne = async (path: string, fresh: boolean, compression: Compression = 'hot') => {
      try {
        // History is not kept in the page cache (see renderPublic).
        let entry = await this.options.render(path, { fresh, ...(compression === 'history' ? { keep: false } : {}) });
        report.rendered++;
        // Bytes already on disk are not written again: nothing to compress either.
        if (entry && this.snapshot.etagOnDisk(path) !== entry.etag)
          entry = await compressedForSnapshot(entry, compression);
        if (entry) {
          if (this.snapshot.write(path, entry, second, compression)) report.written++;
        } else if (this.snapshot.has(path)) {
          this.snapshot.remove(path);
          report.removed++;
        }
      } catch (err) {
        report.failed.push(path);
        this.retry.add(path);
        this.log(`Publicación: ${path} falló: ${(err as Error).message}`);
      }
      // Requests in between renderings: a turn of the event loop (I/O included, not only
      // microtasks) once this publish has held it for PUBLISH_SLICE_MS, so a reader waits for one
      // rendering at most, not for several in a row; a reader's own rendering goes first.
      if (performance.now() - sliceStarted >= PUBLISH_SLICE_MS) {
        await nextTurn();
        await readersServed();
        sliceStarted = performance.now();
      }
    };
    // A write to history (a resolved incident corrected, a component renamed) keeps it stored as history.
    let timely: Map<string, unknown> | undefined;
    for (const [path, { fresh }] of targets) {
      if (this.stopped) break;
      const family = publicRouteOf(path)?.each;
      if (family && HISTORY_FAMILIES.has(family))
        timely ??= stalePaths({ ...emptyChange(), site: true }, 'minute', this.options.db, this.now());
      await publishOne(path, fresh, timely && isHistory(path, timely) ? 'history' : 'hot');
    }
    const backlog = this.backlog;
    if (backlog) {
      const [renderedBefore, writtenBefore] = [report.rendered, report.written];
      const deadline = started + sliceMs;
      // Renderings in render workers, not yet written.
      const inFlight = new Set<Promise<void>>();
      // `again`: a write committed during this publish; it goes first (what the workers are
      // rendering is written, then the slice ends).
      while (backlog.queue.length > 0 && !this.stopped && !this.again && performance.now() < deadline) {
        const pool = this.pool?.usable ? this.pool : undefined;
        if (pool && !pool.hasRoom) {
          await Promise.race(inFlight);
          continue;
        }
        const path = backlog.queue.shift()!;
        if (targets.has(path)) continue;
        const compression = backlog.hot.has(path) ? 'hot' : 'history';
        if (!pool) {
          await publishOne(path, false, compression);
          continue;
        }
        // A path not yet in an export's directory: the worker writes its files (RenderTask.write).
        const write = this.snapshot.writesInPlace && !this.snapshot.has(path) ? { write: second } : {};
        if (write.write !== undefined) this.snapshot.makeDirectoryFor(fileFor(path));
        const task = pool
          .render({ path, etag: this.snapshot.etagOnDisk(path), compression, now: this.now().getTime(), ...write })
          .then((result) => this.takeRendering(path, compression, result, report, second));
        inFlight.add(task);
        void task.finally(() => inFlight.delete(task));
      }
      await Promise.all(inFlight);
      if (backlog.queue.length === 0 && !this.stopped) {
        this.finishBacklog(report, second);
        this.backlog = undefined;
        void this.endPool();
        report.full = true;
      }
      backlog.rendered += report.rendered - renderedBefore;
      backlog.written += report.written - writtenBefore;
      // `npm run export` (one slice without end) prints its own summary.
      if (report.full && Number.isFinite(sliceMs)) {
        this.log(
          `Publicación completa en ${this.options.dir}: ${backlog.rendered} rutas renderizadas, ${backlog.written} archivos escritos, los del build incluidos (${((performance.now() - backlog.started) / 1000).toFixed(1)} s).`,
        );
      }
    }
    // The manifest records how far the files are current only past publishes that fully
    // succeeded, with no full publish under way: after a restart, what failed or was not
    // published yet is published again.
    if (report.failed.length === 0 && !this.backlog) this.savedCursor = cursor;
    const changedFiles = report.written > 0 || report.removed > 0;
    if (changedFiles || report.full || this.savedCursor !== this.manifestCursor) {
      // Whole after a full publish; otherwise one line of the manifest's journal (api/publish/files.ts).
      await this.snapshot.saveManifest(
        { ...this.options.origin, ...(this.savedCursor ? { cursor: this.savedCursor } : {}) },
        { whole: report.full },
      );
      this.manifestCursor = this.savedCursor;
    }
    if (changedFiles) this.runCommand();
    // The end of a full publish gives back the memory V8, SQLite's page cache and malloc kept
    // from it (api/memory.ts), two seconds later: the render workers have exited and the last
    // files' buffers are released.
    if (report.full && Number.isFinite(sliceMs))
      setTimeout(() => {
        if (this.stopped) return;
        const ms = releaseMemory(this.options.db);
        if (ms !== undefined)
          this.log(`Publicación: memoria de la publicación completa devuelta (GC de ${ms.toFixed(0)} ms).`);
      }, 2000).unref();
    if (report.failed.length > 0) this.retryLater();
    report.ms = performance.now() - started;
    this.lastReport = report;
    publishedFiles.inc(report.written);
    if (report.failed.length === 0) this.published = { through: cursor, readAt, at: this.now() };
    return report;
  }

  /** Writes what a render worker rendered (never throws: a failure is retried with the next publish). */
  private takeRendering(
    path: string,
    compression: Compression,
    result: RenderResult,
    report: PublishReport,
    second: number,
  ): void {
    try {
      if (result.kind === 'error') throw new Error(result.message);
      report.rendered++;
      this.renderedInThreads++;
      if (result.kind === 'none') {
        if (this.snapshot.has(path)) {
          this.snapshot.remove(path);
          report.removed++;
        }
      } else if (result.kind === 'written') {
        this.snapshot.recordWritten(path, result.etag, result.files);
        report.written++;
      } else if (result.kind === 'entry') {
        const bytes = (u: Uint8Array | null) => (u ? Buffer.from(u.buffer, u.byteOffset, u.byteLength) : null);
        const gzip = bytes(result.gzip);
        const entry: CachedEntry | GzipOnlyEntry = {
          status: 200,
          // A history page stored as its .gz alone comes without its plain body (SnapshotDir.write never asks for it).
          body: bytes(result.body) ?? EMPTY,
          bodyLength: result.bodyLength,
          gzip,
          br: bytes(result.br),
          etag: result.etag,
          createdAt: Date.now(),
          headers: result.headers,
          ...(compression === 'history' ? { historyGzip: gzip } : {}),
        };
        if (this.snapshot.write(path, entry, second, compression)) report.written++;
      }
    } catch (err) {
      report.failed.push(path);
      this.retry.add(path);
      this.log(`Publicación: ${path} falló: ${(err as Error).message}`);
    }
  }

  /** The end of a full publish: the build's files, and no file of a path that no longer exists. */
  private finishBacklog(report: PublishReport, second: number): void {
    const current = new Set(stalePaths(everything(), 'none', this.options.db, this.now()).keys());
    // Build files no route produces (`/leds` is prerendered: one file, two URLs).
    const files = new Set([...current].map(fileFor));
    for (const [path, entry] of this.options.staticFiles ?? []) {
      if (path.endsWith('/') || files.has(fileFor(path))) continue;
      files.add(fileFor(path));
      if (this.snapshot.write(path, entry, second)) report.written++;
      current.add(path);
    }
    for (const path of this.snapshot.paths) {
      if (!current.has(path)) {
        this.snapshot.remove(path);
        report.removed++;
      }
    }
  }

  /** Files changed and removed since PUBLISH_COMMAND last ran (a publish while it runs adds to them). */
  private commandChanges = { changed: new Set<string>(), removed: new Set<string>() };
  private commandListDir: string | undefined;

  private collectChanges(): void {
    const { changed, removed } = this.snapshot.takeChanges();
    const pending = this.commandChanges;
    for (const f of changed) {
      pending.removed.delete(f);
      pending.changed.add(f);
    }
    for (const f of removed) {
      pending.changed.delete(f);
      pending.removed.add(f);
    }
  }

  /**
   * PUBLISH_COMMAND after a publish, one at a time; publishes meanwhile run it once more
   * afterwards. It gets the files that changed since it last ran, one path (relative to
   * PUBLISH_DIR) a line, in the files named by PUBLISH_CHANGED_FILES (written or replaced) and
   * PUBLISH_REMOVED_FILES (deleted): a sync to a CDN copies those, not a listing of the tree.
   */
  private runCommand(): void {
    const command = this.options.command;
    this.collectChanges();
    if (!command || this.stopped) {
      this.commandChanges = { changed: new Set(), removed: new Set() };
      return;
    }
    if (this.commandChild) {
      this.commandAgain = true;
      return;
    }
    this.commandListDir ??= mkdtempSync(join(tmpdir(), 'somnet-publish-'));
    const changedList = join(this.commandListDir, 'changed.txt');
    const removedList = join(this.commandListDir, 'removed.txt');
    const list = (files: Set<string>) => (files.size ? [...files].sort().join('\n') + '\n' : '');
    writeFileSync(changedList, list(this.commandChanges.changed));
    writeFileSync(removedList, list(this.commandChanges.removed));
    this.commandChanges = { changed: new Set(), removed: new Set() };
    let stderr = '';
    const child = spawn('/bin/sh', ['-c', command], {
      env: {
        ...process.env,
        PUBLISH_DIR: this.options.dir,
        PUBLISH_CHANGED_FILES: changedList,
        PUBLISH_REMOVED_FILES: removedList,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.commandChild = child;
    child.stderr!.on('data', (d) => {
      stderr = (stderr + d).slice(-500);
    });
    child.on('error', (err) => this.log(`PUBLISH_COMMAND no se pudo ejecutar: ${err.message}`));
    child.on('close', (code) => {
      this.commandChild = undefined;
      if (code !== 0) this.log(`PUBLISH_COMMAND terminó con código ${code}: ${stderr.trim().split('\n').at(-1) ?? ''}`);
      if (this.commandAgain) {
        this.commandAgain = false;
        this.runCommand();
      }
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    clearTimeout(this.timer);
    clearTimeout(this.clockTimer);
    this.timer = undefined;
    await this.running;
    await this.endPool();
    for (const w of this.waiters.splice(0)) w();
    if (this.commandChild) await new Promise((r) => this.commandChild!.once('close', r));
    if (this.commandListDir) rmSync(this.commandListDir, { recursive: true, force: true });
  }
}
