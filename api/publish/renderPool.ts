// Worker threads for a full publish (every deploy, a new PUBLIC_URL, a catalogue restructured,
// `npm run export`): each renders a share of the paths in its own thread, with its own read-only
// connection and its own copy of the built site (api/publish/renderWorker.ts), so a full publish
// uses every core while the server's event loop stays free to answer requests and publish new
// writes. The pool is started for one full publish and ended after it: its memory goes with it.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config.ts';
import type { RenderResult, RenderTask, RenderWorkerData } from './renderWorker.ts';

export interface RenderPoolOptions {
  config: Config;
  entry?: string;
  /** Threads; PUBLISH_WORKERS, by default the machine's cores (at most 4). 0: no pool, the main thread renders. */
  size?: number;
}

/** Threads a full publish uses unless PUBLISH_WORKERS says otherwise. */
export function defaultPoolSize(): number {
  return Math.min(4, availableParallelism());
}

/** Tasks each thread has at once: one rendering while the next one's message travels. */
const DEPTH = 2;

interface Thread {
  worker: Worker;
  busy: number;
}

export class RenderPool {
  private readonly threads: Thread[] = [];
  private readonly waiting = new Map<number, { resolve: (r: RenderResult) => void; thread: Thread }>();
  private nextId = 0;
  private failed: Error | undefined;
  /** Resolves once every thread has loaded the site (rejects if one could not). */
  readonly ready: Promise<void>;
  private isReady = false;

  constructor(options: RenderPoolOptions & { size: number; databasePath: string }) {
    const data: RenderWorkerData = {
      databasePath: options.databasePath,
      config: options.config,
      ...(options.entry ? { entry: options.entry } : {}),
    };
    const started: Array<Promise<void>> = [];
    for (let i = 0; i < options.size; i++) {
      const worker = new Worker(new URL('./renderWorker.ts', import.meta.url), { workerData: data });
      // A thread must not keep a finished `npm run export` alive.
      worker.unref();
      const thread: Thread = { worker, busy: 0 };
      this.threads.push(thread);
      started.push(
        new Promise<void>((resolve, reject) => {
          worker.on('message', (message: RenderResult | { ready: true }) => {
            if ('ready' in message) return resolve();
            const waiter = this.waiting.get(message.id);
            if (!waiter) return;
            this.waiting.delete(message.id);
            waiter.thread.busy--;
            waiter.resolve(message);
          });
          worker.on('error', (err) => {
            this.fail(err);
            reject(err);
          });
          worker.on('exit', (code) => {
            if (code !== 0) this.fail(new Error(`un hilo de publicación terminó con código ${code}`));
            reject(new Error('el hilo de publicación terminó'));
          });
        }),
      );
    }
    this.ready = Promise.all(started).then(() => {
      this.isReady = true;
    });
    // Observed through `usable` and `render`; never an unhandled rejection.
    this.ready.catch(() => {});
  }

  get size(): number {
    return this.threads.length;
  }

  /** Ready to take tasks (false while the threads load the site, and for good once one failed). */
  get usable(): boolean {
    return this.isReady && !this.failed;
  }

  /** Whether another task can be sent without queueing behind others. */
  get hasRoom(): boolean {
    return this.threads.some((t) => t.busy < DEPTH);
  }

  private fail(err: Error): void {
    this.failed ??= err;
    // Whatever was sent and will not come back is answered as a failure (retried by the publisher).
    for (const [id, waiter] of this.waiting) waiter.resolve({ id, kind: 'error', message: err.message });
    this.waiting.clear();
  }

  /** Renders one path in the least busy thread. */
  render(task: Omit<RenderTask, 'id'>): Promise<RenderResult> {
    const id = ++this.nextId;
    if (this.failed) return Promise.resolve({ id, kind: 'error', message: this.failed.message });
    const thread = this.threads.reduce((a, b) => (b.busy < a.busy ? b : a));
    thread.busy++;
    return new Promise((resolve) => {
      this.waiting.set(id, { resolve, thread });
      thread.worker.postMessage({ ...task, id } satisfies RenderTask);
    });
  }

  /** Ends every thread (their memory is returned to the process). */
  async close(): Promise<void> {
    this.fail(new Error('la publicación en hilos terminó'));
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}
