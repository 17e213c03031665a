// Render workers for a full publish (every deploy, a new PUBLIC_URL, a catalogue restructured,
// `npm run export`): each renders a share of the paths in its own process, with its own read-only
// connection and its own copy of the built site (api/publish/renderWorker.ts), so a full publish
// uses every core while the server's event loop stays free to answer requests and publish new
// writes. The pool is started for one full publish and ended after it. Child processes rather
// than worker threads: a thread's memory stays in the server's RSS after it ends (measured: 453
// MB after a full publish of 5,000 incidents with threads), a process's goes back to the system.
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.ts';
import type { RenderResult, RenderResults, RenderTask, RenderWorkerData } from './renderWorker.ts';

export interface RenderPoolOptions {
  config: Config;
  entry?: string;
  /** Processes; PUBLISH_WORKERS, by default the machine's cores (at most 4). 0: no pool, this process renders. */
  size?: number;
}

/** Render workers a full publish uses unless PUBLISH_WORKERS says otherwise. */
export function defaultPoolSize(): number {
  return Math.min(4, availableParallelism());
}

/**
 * Paths sent to a worker in one message: it renders them in one read transaction with their
 * incidents loaded together (api/publish/renderWorker.ts). Each rendering comes back in a message
 * of its own as soon as it is done: one message of a whole batch's bytes (a megabyte) arrives in
 * pipe-sized pieces that Node's IPC concatenates again with each piece (measured: 2 s of
 * Buffer.concat and 7 s of garbage collection in the server at 20,000 incidents).
 */
export const BATCH = 24;

const INCIDENT_PAGE = /^\/incidentes\/([a-z0-9]+)$/;

/**
 * The incident an incident page shows: those pages are batched (a few milliseconds each, their
 * data loaded together). Any other path goes alone: the few but slow ones (a month of
 * availability, a component's feed) would otherwise leave one worker with a long batch at the end
 * while the other has nothing left.
 */
export function incidentOfPage(path: string): string | undefined {
  return INCIDENT_PAGE.exec(path)?.[1];
}

const SCOPE_FEED = /^\/componentes\/([a-z0-9-]+)\/feed\.(?:rss|atom|json)$/;

/**
 * What a path shares with the paths next to it in a full publish's queue: the three feeds of a
 * component or area (api/publish/publisher.ts puts them together) read the same incidents, which
 * a worker keeps for the next one (db/queries/feeds.ts, keepFeedSnapshots). The pool sends such
 * paths to the worker that got the previous one.
 */
export function affinityOf(path: string): string | undefined {
  return SCOPE_FEED.exec(path)?.[1];
}

/**
 * A larger young generation than V8's default (16 MB): loading the site allocates a few hundred
 * megabytes of short-lived objects (type stripping, module records), and each scavenge copies
 * what is still alive. Measured on the 2-core machine: 0.5–0.7 s less CPU to start a worker
 * (3.6 → 2.9 s, 4.4 → 3.6 s, under load). The worker exits with the full publish.
 */
const WORKER_NODE_OPTIONS = ['--max-semi-space-size=32'];

/** Batches each worker has at once: one rendering while the next one's message travels. */
const DEPTH = 2;

interface RenderWorker {
  worker: ChildProcess;
  /** Work sent (or about to be) and not answered yet: an incident page counts 1, any other path a whole batch. */
  busy: number;
  /** Tasks not sent yet: they go as one message once BATCH are there, or at the next turn of the event loop. */
  pending: RenderTask[];
  /** affinityOf the last path sent to it. */
  affinity?: string;
}

/** What the pool sends a worker: its settings first, then batches of paths. */
export interface RenderBatch {
  batch: RenderTask[];
}

export class RenderPool {
  private readonly workers: RenderWorker[] = [];
  private readonly waiting = new Map<
    number,
    { resolve: (r: RenderResult) => void; thread: RenderWorker; weight: number }
  >();
  private nextId = 0;
  private failed: Error | undefined;
  /** Resolves once every worker has loaded the site (rejects if one could not). */
  readonly ready: Promise<void>;
  private isReady = false;
  private closing = false;

  constructor(options: RenderPoolOptions & { size: number; databasePath: string; writeDir?: string }) {
    const data: RenderWorkerData = {
      databasePath: options.databasePath,
      config: options.config,
      ...(options.entry ? { entry: options.entry } : {}),
      ...(options.writeDir ? { writeDir: options.writeDir } : {}),
    };
    const started: Array<Promise<void>> = [];
    const script = fileURLToPath(new URL('./renderWorkerStart.ts', import.meta.url));
    for (let i = 0; i < options.size; i++) {
      // `advanced`: Buffers travel as bytes (structured clone), not as JSON arrays of numbers.
      const worker = fork(script, [], {
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        execArgv: [...process.execArgv, ...WORKER_NODE_OPTIONS],
      });
      const thread: RenderWorker = { worker, busy: 0, pending: [] };
      this.workers.push(thread);
      started.push(
        new Promise<void>((resolve, reject) => {
          worker.on('message', (message: RenderResult | RenderResults | { ready: true }) => {
            if ('ready' in message) return resolve();
            for (const result of 'results' in message ? message.results : [message]) {
              const waiter = this.waiting.get(result.id);
              if (!waiter) continue;
              this.waiting.delete(result.id);
              waiter.thread.busy -= waiter.weight;
              waiter.resolve(result);
            }
          });
          worker.on('error', (err) => {
            this.fail(err);
            reject(err);
          });
          worker.on('exit', (code, signal) => {
            // Ended on purpose (the full publish finished before it was ready): not a failure.
            if (this.closing) return resolve();
            const err = new Error(`un proceso de publicación terminó (${signal ?? `código ${code}`})`);
            this.fail(err);
            reject(err);
          });
        }),
      );
      worker.send(data);
    }
    this.ready = Promise.all(started).then(() => {
      this.isReady = true;
    });
    // Observed through `usable` and `render`; never an unhandled rejection.
    this.ready.catch(() => {});
  }

  get size(): number {
    return this.workers.length;
  }

  /** Ready to take tasks (false while the workers load the site, and for good once one failed). */
  get usable(): boolean {
    return this.isReady && !this.failed;
  }

  /** Whether another task can be sent without queueing behind others. */
  get hasRoom(): boolean {
    return this.workers.some((t) => t.busy < DEPTH * BATCH);
  }

  private fail(err: Error): void {
    this.failed ??= err;
    // Whatever was sent and will not come back is answered as a failure (retried by the publisher).
    for (const [id, waiter] of this.waiting) waiter.resolve({ id, kind: 'error', message: err.message });
    this.waiting.clear();
    for (const thread of this.workers) thread.pending = [];
  }

  /** Renders one path in the least busy worker. */
  render(task: Omit<RenderTask, 'id'>): Promise<RenderResult> {
    const id = ++this.nextId;
    if (this.failed) return Promise.resolve({ id, kind: 'error', message: this.failed.message });
    const affinity = affinityOf(task.path);
    const thread =
      (affinity !== undefined && this.workers.find((t) => t.affinity === affinity && t.busy < DEPTH * BATCH)) ||
      this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    thread.affinity = affinity;
    const alone = incidentOfPage(task.path) === undefined;
    const weight = alone ? BATCH : 1;
    thread.busy += weight;
    return new Promise((resolve) => {
      this.waiting.set(id, { resolve, thread, weight });
      thread.pending.push({ ...task, id });
      if (thread.pending.length >= BATCH || alone) this.flush(thread);
      else if (thread.pending.length === 1) setImmediate(() => this.flush(thread));
    });
  }

  /** Sends a worker the tasks gathered for it. */
  private flush(thread: RenderWorker): void {
    if (thread.pending.length === 0 || this.failed) return;
    const batch = thread.pending;
    thread.pending = [];
    thread.worker.send({ batch } satisfies RenderBatch);
  }

  /** Ends every worker (their memory goes back to the system). */
  async close(): Promise<void> {
    this.closing = true;
    this.fail(new Error('la publicación en paralelo terminó'));
    await Promise.all(
      this.workers.map(async (t) => {
        if (t.worker.exitCode !== null || t.worker.signalCode !== null) return;
        const exited = new Promise((r) => t.worker.once('exit', r));
        t.worker.kill('SIGTERM');
        await exited;
      }),
    );
  }
}
