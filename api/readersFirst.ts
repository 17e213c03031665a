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

/** Marks a reader's rendering in progress until `work` settles; returns `work`. */
export function readerRendering<T>(work: Promise<T>): Promise<T> {
  rendering++;
  return work.finally(() => {
    if (--rendering === 0) for (const resume of waiting.splice(0)) resume();
  });
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
