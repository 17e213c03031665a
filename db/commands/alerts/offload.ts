// The server's side of the intake worker (./intakeWorker.ts): one worker thread per process,
// started with the server (`startIntakeWorker`: loading its modules takes about a second of CPU,
// which the first storm must not wait for) or else by the first large body, then kept (an idle
// thread costs some 20 MB of memory; Alertmanager resends the group every group_interval), never
// keeping the process alive. A body is read there first (its group named, its bytes digested),
// then either dropped (an unchanged resend, answered by the server) or validated whole, packed and
// gzipped (as the body is stored). While a large group is applied it also checkpoints the WAL
// (`WorkerCheckpoints`). If the worker cannot run, the caller reads the body in process as before.
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { CommandError, FieldError } from '../errors.ts';
import type { EnvelopeFormat, PackedGroup } from './envelopes.ts';

export type WorkerRequest =
  /** `body` null: the body is the chunks sent before under the same id (`chunk`). */
  | { id: number; kind: 'read'; format: EnvelopeFormat; body: string | ArrayBuffer | null }
  /** A piece of a body as it arrives (transferred), kept by the worker until its `read` (or `drop`). */
  | { id: number; kind: 'chunk'; bytes: ArrayBuffer }
  | { id: number; kind: 'validate' | 'drop' }
  | { id: number; kind: 'checkpoint'; path: string };

export type WorkerReply =
  | {
      id: number;
      kind: 'read';
      named: { receiver: string; groupKey: string; fingerprints: string[] } | null;
      rawDigest: string;
      /** The body as text, when it was sent as bytes (decoded there: the server only copies it). */
      text?: string;
    }
  /** `gzip`: the body's text, gzipped, as alert_delivery_bodies keeps a large one. */
  | { id: number; kind: 'packed'; group: PackedGroup; gzip: ArrayBuffer }
  /** `PRAGMA wal_checkpoint(PASSIVE)`'s answer: frames in the WAL, and how many of them are now in the database file. */
  | { id: number; kind: 'checkpointed'; busy: boolean; log: number; checkpointed: number }
  | {
      id: number;
      kind: 'refused';
      status: CommandError['status'];
      code: string;
      message: string;
      fields: FieldError[] | undefined;
    }
  | { id: number; kind: 'failed'; message: string };

/** Bodies from this size on are read by the worker; smaller ones (up to ~250 alerts) in process, at once. */
export const OFFLOAD_MIN_BYTES = 128 * 1024;

let worker: Worker | undefined;
let nextId = 0;
const waiting = new Map<number, (reply: WorkerReply) => void>();

function failAll(message: string) {
  for (const [id, answer] of waiting) answer({ id, kind: 'failed', message });
  waiting.clear();
}

function started(): Worker {
  if (worker) return worker;
  const thread = new Worker(new URL('./intakeWorker.ts', import.meta.url), {
    resourceLimits: { maxYoungGenerationSizeMb: 8 },
  });
  thread.unref();
  thread.on('message', (reply: WorkerReply) => {
    const answer = waiting.get(reply.id);
    waiting.delete(reply.id);
    answer?.(reply);
    if (waiting.size === 0) thread.unref();
  });
  thread.on('error', (err) => {
    if (worker === thread) worker = undefined;
    failAll(err.message);
  });
  thread.on('exit', (code) => {
    if (worker === thread) worker = undefined;
    failAll(`el proceso de lectura de alertas terminó (código ${code})`);
  });
  worker = thread;
  return thread;
}

/** Starts the intake worker now (the server does, once listening), so the first large group does not wait for it. */
export function startIntakeWorker(): void {
  started();
}

function ask(request: WorkerRequest, thread = started(), transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
  return new Promise((resolve) => {
    waiting.set(request.id, resolve);
    // Referenced while it works: a request waiting for it keeps the process alive, as any I/O does.
    thread.ref();
    thread.postMessage(request, transfer);
  });
}

/** A large body being read by the worker: its group and digest, then validated and packed, or dropped. */
export interface OffloadedBody {
  kind: 'body';
  /** The body as text (as received, or as the worker decoded the bytes it was given). */
  text: string;
  named: Extract<WorkerReply, { kind: 'read' }>['named'];
  rawDigest: string;
  validate(): Promise<Extract<WorkerReply, { kind: 'packed' | 'refused' | 'failed' }>>;
  drop(): void;
}

/**
 * Reads a body in the worker; a refusal (malformed JSON) or a failure as the worker answered it.
 * Bytes are handed over (a copy of them, transferred), not serialised: decoding 2 MB and
 * copying the text into the message took the server's thread some 10 ms each.
 */
export async function readInWorker(
  format: EnvelopeFormat,
  body: string | Uint8Array,
): Promise<OffloadedBody | Extract<WorkerReply, { kind: 'refused' | 'failed' }>> {
  let thread: Worker;
  try {
    thread = started();
  } catch (err) {
    return { id: -1, kind: 'failed', message: err instanceof Error ? err.message : String(err) };
  }
  const sent = typeof body === 'string' ? body : body.slice().buffer;
  return offloaded(format, ++nextId, thread, sent, typeof body === 'string' ? body : undefined);
}

/** Bodies and chunks handed to the worker as they arrived, since the process started (tests, diagnostics). */
export const streamedToWorker = { bodies: 0, chunks: 0 };

/**
 * A body read as it arrives (a request's stream): once OFFLOAD_MIN_BYTES of it have come, its
 * chunks go to the worker one by one (each copied out of the socket's buffer and transferred),
 * so the server's thread never concatenates the 2 MB of a storm nor copies them whole. A body
 * that ends smaller is handed back as its bytes (read in process, as before). When the stream
 * fails (too large, the client gone), the worker forgets the chunks and the error goes on. A
 * worker that cannot start reads nothing: the body is then concatenated here, as before.
 */
export async function readStreamInWorker(
  format: EnvelopeFormat,
  chunks: AsyncIterable<Uint8Array>,
): Promise<
  OffloadedBody | Extract<WorkerReply, { kind: 'refused' | 'failed' }> | { kind: 'bytes'; bytes: Uint8Array }
> {
  const iterator = chunks[Symbol.asyncIterator]();
  const held: Uint8Array[] = [];
  let size = 0;
  let ended = false;
  while (size < OFFLOAD_MIN_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    held.push(next.value);
    size += next.value.byteLength;
  }
  let thread: Worker | undefined;
  if (!ended)
    try {
      thread = started();
    } catch {
      thread = undefined;
    }
  if (!thread) {
    // Small (or no worker): the bytes as one, read in process.
    for (let next = ended ? null : await iterator.next(); next && !next.done; next = await iterator.next())
      held.push(next.value);
    return { kind: 'bytes', bytes: held.length === 1 ? held[0] : Buffer.concat(held) };
  }
  const id = ++nextId;
  // Referenced while the body streams in, as a request waiting for it.
  thread.ref();
  const send = (chunk: Uint8Array) => {
    // A copy of its own: a chunk is a view of the socket's buffer, which may hold more than it.
    const bytes = chunk.slice().buffer;
    thread.postMessage({ id, kind: 'chunk', bytes } satisfies WorkerRequest, [bytes]);
    streamedToWorker.chunks++;
  };
  try {
    for (const chunk of held.splice(0)) send(chunk);
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) send(next.value);
  } catch (err) {
    if (worker === thread) thread.postMessage({ id, kind: 'drop' } satisfies WorkerRequest);
    if (waiting.size === 0) thread.unref();
    throw err;
  }
  // The worker ended while the body came in: its pieces went with it (a 503: Alertmanager sends again).
  if (worker !== thread) return { id, kind: 'failed', message: 'el proceso de lectura de alertas terminó' };
  streamedToWorker.bodies++;
  return offloaded(format, id, thread, null);
}

/** The worker's answer to a `read` (of a body sent whole, or of the chunks sent before), as an OffloadedBody. */
async function offloaded(
  format: EnvelopeFormat,
  id: number,
  thread: Worker,
  body: string | ArrayBuffer | null,
  text?: string,
): Promise<OffloadedBody | Extract<WorkerReply, { kind: 'refused' | 'failed' }>> {
  const read = await ask({ id, kind: 'read', format, body }, thread, body instanceof ArrayBuffer ? [body] : []);
  if (read.kind !== 'read') return read as Extract<WorkerReply, { kind: 'refused' | 'failed' }>;
  let asked = false;
  return {
    kind: 'body',
    text: text ?? read.text ?? '',
    named: read.named,
    rawDigest: read.rawDigest,
    validate: () => {
      asked = true;
      return ask({ id, kind: 'validate' }, thread) as ReturnType<OffloadedBody['validate']>;
    },
    drop: () => {
      if (!asked && worker === thread) thread.postMessage({ id, kind: 'drop' } satisfies WorkerRequest);
      asked = true;
    },
  };
}

/**
 * Copies what the WAL holds into the database file from the intake worker's own connection
 * (`PRAGMA wal_checkpoint(PASSIVE)`: it waits for no reader and no writer, and the server's
 * connection keeps writing meanwhile). The reply, or a failure as the worker words it.
 */
export async function checkpointInWorker(
  path: string,
): Promise<Extract<WorkerReply, { kind: 'checkpointed' | 'failed' | 'refused' }>> {
  let thread: Worker;
  try {
    thread = started();
  } catch (err) {
    return { id: -1, kind: 'failed', message: err instanceof Error ? err.message : String(err) };
  }
  return (await ask({ id: ++nextId, kind: 'checkpoint', path }, thread)) as Extract<
    WorkerReply,
    { kind: 'checkpointed' | 'failed' | 'refused' }
  >;
}

/** At most this often during a large delivery (some 2 MB of WAL at a storm's pace), one at a time. */
export const WORKER_CHECKPOINT_MS = 200;

/**
 * While a large delivery is applied, the WAL is copied into the database file by the intake
 * worker instead of by the server's connection. SQLite checkpoints on the commit that takes the
 * WAL past 1,000 pages, in the connection that commits: a storm's 5,000 alerts, their audit rows
 * and its 2 MB body took the WAL past it three or four times, each time a slice's commit copying
 * 4 MB and syncing the file on the event loop. Here the connection's automatic checkpoint is off
 * from `start` to `end` (which restores it and asks for a last copy); `afterSlice` asks the worker
 * for a checkpoint at most every WORKER_CHECKPOINT_MS, never two at once. A database in memory,
 * or a worker that cannot run, keeps SQLite's own checkpoints (the worker's failure turns them back on).
 */
export class WorkerCheckpoints {
  private readonly sqlite: Database.Database;
  private readonly previous: number | null;
  private running: Promise<unknown> | null = null;
  private last = 0;

  constructor(sqlite: Database.Database) {
    this.sqlite = sqlite;
    this.previous = sqlite.memory ? null : (sqlite.pragma('wal_autocheckpoint', { simple: true }) as number);
    if (this.previous !== null && this.previous > 0) sqlite.pragma('wal_autocheckpoint = 0');
  }

  private failed = false;

  private get active(): boolean {
    return this.previous !== null && this.previous > 0 && !this.failed;
  }

  private request(): void {
    if (this.running || !this.active) return;
    this.last = Date.now();
    const running = checkpointInWorker(this.sqlite.name).then((reply) => {
      // The worker could not: SQLite's own checkpoints again, for the rest of this delivery.
      if (reply.kind !== 'checkpointed') {
        this.restore();
        this.failed = true;
      }
      if (this.running === running) this.running = null;
    });
    this.running = running;
  }

  private restore(): void {
    if (this.active && this.sqlite.open) this.sqlite.pragma(`wal_autocheckpoint = ${this.previous}`);
  }

  /** A slice committed: a checkpoint, unless one runs or the last was less than WORKER_CHECKPOINT_MS ago. */
  afterSlice(): void {
    if (Date.now() - this.last >= WORKER_CHECKPOINT_MS) this.request();
  }

  /** The delivery is over (applied, or it threw): SQLite's own checkpoints again, after a last copy by the worker. */
  end(): void {
    this.restore();
    if (this.sqlite.open) this.request();
  }
}
