// Memory the process keeps after a burst of work, in two places. V8: the pages its garbage
// collections empty stay resident (a regular full GC does not return them, nor does idleness), so
// a server that wrote 10,000 updates read +89 MB of RSS at 20,000 incidents while what the writes
// keep is +5 MB; one last-resort collection returns them. It needs --expose-gc, which npm start
// and the systemd unit pass (package.json, deploy/somnet-status.service); without the flag nothing
// here runs. glibc's malloc: the Buffers a full publish receives from its render workers (tens of
// thousands of pages, gone at the next GC) leave the main heap fragmented, and free() gives back
// only its top: at 5,000 incidents the `[heap]` mapping grew 33 → 94 MB over a publish and kept
// it all. malloc_trim(0) returns every free page inside it; it is called through koffi (an FFI
// library with prebuilt binaries) where the C library is glibc, and skipped elsewhere.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import type { Db } from '#db/client.ts';

type Gc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

const MB = 1024 * 1024;

type MallocTrim = (pad: number) => number;
let mallocTrim: MallocTrim | null | undefined;

/** glibc's malloc_trim, or null where the C library is another (musl, macOS) or koffi cannot load. */
function loadMallocTrim(): MallocTrim | null {
  if (mallocTrim !== undefined) return mallocTrim;
  mallocTrim = null;
  if (process.platform !== 'linux') return mallocTrim;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    mallocTrim = koffi.load('libc.so.6').func('int malloc_trim(size_t pad)') as MallocTrim;
  } catch {
    // No glibc here: nothing to trim this way.
  }
  return mallocTrim;
}

/**
 * Gives back to the system the free pages of malloc's heaps (every arena, not only the top of
 * each), as glibc's malloc_trim(0) does. True when some were returned, false when none were,
 * undefined where there is no glibc.
 */
export function trimMalloc(): boolean | undefined {
  const trim = loadMallocTrim();
  return trim ? trim(0) === 1 : undefined;
}

/**
 * One last-resort garbage collection (V8 compacts every page and gives back the ones it kept
 * pooled; the Buffers it finds dead are freed), then `db`'s SQLite page cache is emptied
 * (`PRAGMA shrink_memory`: up to 16 MB once a full publish or the start-up quick_check has read
 * the whole file; what requests need is read again from the OS's cache), then malloc's free
 * pages go back too (`trimMalloc`). Returns how long it all took (the event loop waits
 * meanwhile), or undefined without --expose-gc.
 */
export function releaseMemory(db?: Db): number | undefined {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (!gc) return undefined;
  const started = performance.now();
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  if (db?.$client.open) db.$client.pragma('shrink_memory');
  trimMalloc();
  return performance.now() - started;
}

/** RSS growth since the last return that makes the next check return memory. */
export const MEMORY_RETURN_GROWTH_BYTES = 16 * MB;
/**
 * The longest a grown RSS waits while the server is busy (a pause of tens to a couple of hundred
 * milliseconds at most once in this time, in the middle of a burst of writes).
 */
export const MEMORY_CHECK_MS = 60_000;
/**
 * How often the server looks. A look that finds RSS grown and the event loop quiet since the
 * previous look (the burst over) returns memory at once: a burst of writes leaves its memory
 * seconds after it ends, not up to a minute later.
 */
export const MEMORY_LOOK_MS = 5_000;
/** The event loop's utilisation since the previous look below which the server counts as quiet. */
const QUIET_UTILIZATION = 0.2;

export interface MemoryReturn {
  beforeMb: number;
  afterMb: number;
  ms: number;
}

/**
 * Watches the process's RSS and, once it has grown by MEMORY_RETURN_GROWTH_BYTES since the last
 * return, returns V8's emptied pages with one last-resort GC (and malloc's, and SQLite's page
 * cache: `releaseMemory`): at the first look with the event loop quiet, or after
 * MEMORY_CHECK_MS if it never is. What the process really keeps becomes the new mark, so a heap
 * that grows for good (a cache filling) costs one GC, not one a minute.
 */
export class MemoryWatch {
  private mark = process.memoryUsage.rss();
  private lastReturn = performance.now();
  private loop = performance.eventLoopUtilization();
  private timer: NodeJS.Timeout | undefined;
  private readonly log: (line: string) => void;
  private readonly db: Db | undefined;

  /** `db`: the connection whose page cache each return empties too. */
  constructor(log: (line: string) => void = (line) => console.log(line), db?: Db) {
    this.log = log;
    this.db = db;
  }

  /** One look: returns what was given back, or undefined when nothing was due (or no --expose-gc). */
  check(): MemoryReturn | undefined {
    const before = process.memoryUsage.rss();
    const loop = performance.eventLoopUtilization();
    const quiet = performance.eventLoopUtilization(loop, this.loop).utilization < QUIET_UTILIZATION;
    this.loop = loop;
    if (before - this.mark < MEMORY_RETURN_GROWTH_BYTES) {
      this.mark = Math.min(this.mark, before);
      return undefined;
    }
    if (!quiet && performance.now() - this.lastReturn < MEMORY_CHECK_MS) return undefined;
    const ms = releaseMemory(this.db);
    if (ms === undefined) return undefined;
    const after = process.memoryUsage.rss();
    this.mark = after;
    this.lastReturn = performance.now();
    this.loop = performance.eventLoopUtilization();
    const done = { beforeMb: before / MB, afterMb: after / MB, ms };
    this.log(
      `Memoria: devuelta la que V8 guardaba sin usar (RSS ${done.beforeMb.toFixed(0)} → ${done.afterMb.toFixed(0)} MB, GC de ${ms.toFixed(0)} ms).`,
    );
    return done;
  }

  start(everyMs = MEMORY_LOOK_MS): void {
    if (!(globalThis as { gc?: Gc }).gc || this.timer) return;
    this.timer = setInterval(() => this.check(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
