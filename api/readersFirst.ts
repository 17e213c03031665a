// Readers first: while a reader waits for a page being rendered (`/` right after a change is the
// common case: the cache was just dropped), background work that yields between slices — the
// fan-out's expansion into outbox rows, the publisher's renderings — waits for that rendering to
// finish instead of running between its steps. An Astro rendering awaits between components, and
// each of those turns let a slice of background work in: on a loaded machine `/` took 100–200 ms
// instead of 60 after a notifying change. Background work waits MAX_WAIT_MS at most per slice,
// so a stream of readers of different pages never stops it.

/** The longest a slice of background work waits for readers. */
export const MAX_WAIT_MS = 250;

let rendering = 0;
let waiting: Array<() => void> = [];

/**
 * The same count in memory shared with threads (the fan-out's, api/workers/fanoutThread.ts),
 * which wait on it with `Atomics.wait` (`waitForReaders`): woken when it falls to zero.
 */
export const readersGauge = new Int32Array(new SharedArrayBuffer(4));

/** Marks a reader's rendering in progress until `work` settles; returns `work`. */
export function readerRendering<T>(work: Promise<T>): Promise<T> {
  rendering++;
  Atomics.store(readersGauge, 0, rendering);
  return work.finally(() => {
    Atomics.store(readersGauge, 0, --rendering);
    if (rendering === 0) {
      Atomics.notify(readersGauge, 0);
      for (const resume of waiting.splice(0)) resume();
    }
  });
}

/**
 * In a thread: blocks it while a reader of the server's event loop waits for a rendering, at most
 * `maxWaitMs` (the thread's CPU then goes to the rendering on a busy machine, as the slices on
 * the event loop wait in `readersServed`).
 */
export function waitForReaders(gauge: Int32Array, maxWaitMs = MAX_WAIT_MS): void {
  const until = performance.now() + maxWaitMs;
  for (let n = Atomics.load(gauge, 0); n > 0; n = Atomics.load(gauge, 0)) {
    const left = until - performance.now();
    if (left <= 0) return;
    Atomics.wait(gauge, 0, n, left);
  }
}

/** Resolves when no reader waits for a rendering (at once when none does), or after MAX_WAIT_MS. */
export function readersServed(maxWaitMs = MAX_WAIT_MS): Promise<void> {
  if (rendering === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, maxWaitMs);
    function done() {
      clearTimeout(timer);
      waiting = waiting.filter((w) => w !== done);
      resolve();
    }
    waiting.push(done);
  });
}

/** Readers waiting for a rendering now (tests). */
export function readersRendering(): number {
  return rendering;
}
