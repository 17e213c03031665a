// Memory V8 keeps after a burst of work: the pages its garbage collections empty stay resident
// (a regular full GC does not return them, nor does idleness), so a server that wrote 10,000
// updates read +89 MB of RSS at 20,000 incidents while what the writes keep is +5 MB. One
// last-resort collection returns them; it needs --expose-gc, which npm start and the systemd unit
// pass (package.json, deploy/somnet-status.service). Without the flag nothing here runs.

type Gc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

const MB = 1024 * 1024;

/**
 * One last-resort garbage collection: V8 compacts every page and gives back the ones it kept
 * pooled. Returns how long it took (the event loop waits meanwhile), or undefined without
 * --expose-gc.
 */
export function releaseMemory(): number | undefined {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (!gc) return undefined;
  const started = performance.now();
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return performance.now() - started;
}

/** RSS growth since the last return that makes the next check return memory. */
export const MEMORY_RETURN_GROWTH_BYTES = 16 * MB;
/** How often the server looks (a pause of tens of ms at most once in this time). */
export const MEMORY_CHECK_MS = 60_000;

export interface MemoryReturn {
  beforeMb: number;
  afterMb: number;
  ms: number;
}

/**
 * Watches the process's RSS and, once it has grown by MEMORY_RETURN_GROWTH_BYTES since the last
 * return, returns V8's emptied pages with one last-resort GC. What the process really keeps
 * becomes the new mark, so a heap that grows for good (a cache filling) costs one GC, not one a
 * minute.
 */
export class MemoryWatch {
  private mark = process.memoryUsage.rss();
  private timer: NodeJS.Timeout | undefined;
  private readonly log: (line: string) => void;

  constructor(log: (line: string) => void = (line) => console.log(line)) {
    this.log = log;
  }

  /** One look: returns what was given back, or undefined when nothing was due (or no --expose-gc). */
  check(): MemoryReturn | undefined {
    const before = process.memoryUsage.rss();
    if (before - this.mark < MEMORY_RETURN_GROWTH_BYTES) {
      this.mark = Math.min(this.mark, before);
      return undefined;
    }
    const ms = releaseMemory();
    if (ms === undefined) return undefined;
    const after = process.memoryUsage.rss();
    this.mark = after;
    const done = { beforeMb: before / MB, afterMb: after / MB, ms };
    this.log(
      `Memoria: devuelta la que V8 guardaba sin usar (RSS ${done.beforeMb.toFixed(0)} → ${done.afterMb.toFixed(0)} MB, GC de ${ms.toFixed(0)} ms).`,
    );
    return done;
  }

  start(everyMs = MEMORY_CHECK_MS): void {
    if (!(globalThis as { gc?: Gc }).gc || this.timer) return;
    this.timer = setInterval(() => this.check(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
