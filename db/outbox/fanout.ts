// Fan-out without blocking: a notifying change records, in its own transaction, one fan-out (the
// event and its audience as resolved at that moment); the per-recipient outbox rows are written
// from it in slices. The change's own transaction writes every row of an audience of at most
// FANOUT_AT_COMMIT (a notice to a hundred people is complete at commit, as before); a larger
// audience is kept in chunks of FANOUT_SLICE, and the holder of the background lease expands them right after the commit
// (api/workers/fanout.ts), one chunk per short transaction that writes its rows, removes the
// chunk and advances the fan-out's cursor together: after a kill -9 the next holder continues at
// the first chunk not committed, so every recipient gets exactly one row per event.
//
// Who the audience is stays decided once, by each channel's fan-out (db/notifications/), with the
// same functions as before: the chunks keep the resolved recipients, so someone who subscribes
// after the commit is not in them, and someone who unsubscribes after it is treated as an
// unsubscribe always was (the channel's expander withdraws that message).
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../client.ts';
import { leaseHolder } from '../commands/lease.ts';
import { backgroundWrite, beforeEachWrite, isDatabaseBusy } from '../commands/transaction.ts';

/**
 * An audience of at most this many recipients is written whole by the change's own transaction:
 * such a notice is complete at commit. A larger one gets none of its rows at commit (the fan-out
 * row and its chunks are what makes it durable), since the background expansion follows within
 * milliseconds anyway: writing its first hundred rows in the request (a link token, a row and
 * their index entries each, ~30–60 µs a recipient at load 5–7) was 3–6 ms of a notifying POST
 * whose target is 50 ms.
 */
export const FANOUT_AT_COMMIT = 100;

/**
 * Recipients per slice afterwards: each slice is one synchronous transaction on the event loop
 * (a link token, a row and their index entries each, ~20 µs on a quiet machine, several times that
 * under load), so a slice holds the loop for a few milliseconds, ~15 ms on a loaded machine
 * (`npm run bench:fanout`).
 */
export const FANOUT_SLICE = 100;

export interface FanOutJob<P = unknown> {
  id: number;
  source: string;
  kind: string;
  eventKey: string;
  payload: P;
  createdAt: Date;
}

/** Writes the outbox rows of one slice of a fan-out's recipients; runs inside the slice's transaction. */
export type FanOutExpander<E, P> = (db: Db, job: FanOutJob<P>, entries: E[]) => void;

/** Reads a fan-out's audience from what its payload says (a deferred audience, `recordDeferredFanOut`), in recipient order. */
export type FanOutAudience<E, P> = (db: Db, job: FanOutJob<P>) => readonly E[];

const expanders = new Map<string, FanOutExpander<never, never>>();
const audiences = new Map<string, FanOutAudience<unknown, never>>();

/**
 * A channel family registers how its recipients become rows (and, if it defers reading a large
 * audience, how to read it), once, at import time of its module.
 */
export function registerFanOutExpander<E, P>(
  source: string,
  expander: FanOutExpander<E, P>,
  audience?: FanOutAudience<E, P>,
): void {
  expanders.set(source, expander as FanOutExpander<never, never>);
  if (audience) audiences.set(source, audience as FanOutAudience<unknown, never>);
}

function expanderFor(source: string): FanOutExpander<unknown, unknown> {
  const expander = expanders.get(source);
  // The module that records a source registers it: a fan-out of an unknown source is a bug.
  if (!expander) throw new Error(`No hay quien expanda los envíos de «${source}».`);
  return expander as FanOutExpander<unknown, unknown>;
}

function audienceFor(source: string): FanOutAudience<unknown, unknown> {
  const audience = audiences.get(source);
  if (!audience) throw new Error(`No hay quien lea los destinatarios de «${source}».`);
  return audience as FanOutAudience<unknown, unknown>;
}

const statements = new WeakMap<
  Db,
  Record<
    | 'job'
    | 'insertJob'
    | 'chunk'
    | 'insertChunk'
    | 'removeChunk'
    | 'removeChunks'
    | 'advance'
    | 'unread'
    | 'audienceRead',
    Statement
  >
>();

function prepared(db: Db) {
  let s = statements.get(db);
  if (!s) {
    const c = db.$client;
    s = {
      job: c.prepare(
        `SELECT id, source, kind, event_key, payload, total, expanded, next_chunk, created_at FROM outbox_fanouts
          WHERE finished_at IS NULL ORDER BY id LIMIT 1`,
      ),
      insertJob: c.prepare(
        `INSERT INTO outbox_fanouts (source, kind, event_key, payload, total, expanded, next_chunk, created_at, finished_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      chunk: c.prepare('SELECT entries FROM outbox_fanout_chunks WHERE fanout_id = ? AND seq = ?').pluck(),
      insertChunk: c.prepare('INSERT INTO outbox_fanout_chunks (fanout_id, seq, entries) VALUES (?, ?, ?)'),
      removeChunk: c.prepare('DELETE FROM outbox_fanout_chunks WHERE fanout_id = ? AND seq = ?'),
      removeChunks: c.prepare('DELETE FROM outbox_fanout_chunks WHERE fanout_id = ?'),
      advance: c.prepare(
        'UPDATE outbox_fanouts SET expanded = ?, next_chunk = next_chunk + 1, claimed_by = ?, finished_at = ? WHERE id = ?',
      ),
      // The partial index of unfinished fan-outs (a handful at most) answers it: every command's
      // transaction asks (beforeEachWrite).
      unread: c.prepare(
        `SELECT id, source, kind, event_key, payload, total, expanded, next_chunk, created_at FROM outbox_fanouts
          WHERE finished_at IS NULL AND next_chunk = ${AUDIENCE_UNREAD} ORDER BY id`,
      ),
      audienceRead: c.prepare('UPDATE outbox_fanouts SET total = ?, next_chunk = 1, finished_at = ? WHERE id = ?'),
    };
    statements.set(db, s);
  }
  return s;
}

/**
 * Records a fan-out; call it inside the change's transaction. An audience of at most
 * FANOUT_AT_COMMIT gets its outbox rows at once; a larger one is stored, in order, in chunks of
 * FANOUT_SLICE for the background expansion, and none of its rows is written now.
 * Returns how many recipients are left for later (0: complete at commit).
 */
export function recordFanOut<E, P>(
  db: Db,
  fanOut: { source: string; kind: string; eventKey: string; payload: P; entries: readonly E[]; at: Date },
): number {
  const { entries } = fanOut;
  if (entries.length === 0) return 0;
  const expand = expanderFor(fanOut.source);
  const s = prepared(db);
  const done = entries.length <= FANOUT_AT_COMMIT;
  const id = Number(
    s.insertJob.run(
      fanOut.source,
      fanOut.kind,
      fanOut.eventKey,
      JSON.stringify(fanOut.payload),
      entries.length,
      done ? entries.length : 0,
      1,
      fanOut.at.getTime(),
      done ? fanOut.at.getTime() : null,
    ).lastInsertRowid,
  );
  if (done) {
    const { source, kind, eventKey, payload, at } = fanOut;
    expand(db, { id, source, kind, eventKey, payload, createdAt: at }, entries as E[]);
    return 0;
  }
  storeChunks(s, id, entries);
  return entries.length;
}

function storeChunks(s: ReturnType<typeof prepared>, id: number, entries: readonly unknown[]): void {
  for (let seq = 1, from = 0; from < entries.length; seq++, from += FANOUT_SLICE)
    s.insertChunk.run(id, seq, JSON.stringify(entries.slice(from, from + FANOUT_SLICE)));
}

/** `next_chunk` of a fan-out whose audience is still to be read (recordDeferredFanOut). */
const AUDIENCE_UNREAD = 0;

/**
 * Records a fan-out whose audience is read later, from its payload (the notice's scope), by the
 * source's registered `audience`; call it inside the change's transaction, for an audience known
 * to be larger than FANOUT_AT_COMMIT. Reading 11,600 recipients was the largest part of a
 * notifying POST (8–20 ms of its CPU, more with SQLite's pages of them not yet in its cache), so
 * it is done after the answer, by whoever writes next: the fan-out's first slice (its thread,
 * right after the answer) or, if another command's transaction comes first, that transaction
 * before its own writes (beforeEachWrite) — nothing that changes who a notice reaches can commit
 * between the notice's commit and the reading of its audience, so the recipients are still those
 * the audience had at commit. `estimate` (what the count of its subscribers said) is the total
 * the console shows until then.
 */
export function recordDeferredFanOut<P>(
  db: Db,
  fanOut: { source: string; kind: string; eventKey: string; payload: P; estimate: number; at: Date },
): void {
  audienceFor(fanOut.source);
  prepared(db).insertJob.run(
    fanOut.source,
    fanOut.kind,
    fanOut.eventKey,
    JSON.stringify(fanOut.payload),
    fanOut.estimate,
    0,
    AUDIENCE_UNREAD,
    fanOut.at.getTime(),
    null,
  );
}

const jobOf = (row: JobRow): FanOutJob => ({
  id: row.id,
  source: row.source,
  kind: row.kind,
  eventKey: row.event_key,
  payload: JSON.parse(row.payload),
  createdAt: new Date(row.created_at),
});

/** Reads a deferred audience and stores it in chunks, inside the caller's write transaction. Returns its size. */
function readAudience(db: Db, row: JobRow, at: number): number {
  const s = prepared(db);
  const entries = audienceFor(row.source)(db, jobOf(row));
  storeChunks(s, row.id, entries);
  s.audienceRead.run(entries.length, entries.length === 0 ? at : null, row.id);
  return entries.length;
}

/**
 * Reads every audience still unread; runs first in every command's transaction (beforeEachWrite),
 * so a later change of subscriptions, preferences or the inventory never reaches a notice
 * committed before it.
 */
export function readUnreadAudiences(db: Db): void {
  const rows = prepared(db).unread.all() as JobRow[];
  // A process that cannot read a source's audience (it never imported that channel, e.g. a tool
  // with only some commands) leaves it to the server, whose first slice reads it, rather than
  // failing every write of its own.
  for (const row of rows) if (audiences.has(row.source)) readAudience(db, row, Date.now());
}

/** Whether a fan-out still waits for its rows (one indexed look, no lock). */
export function hasUnfinishedFanOut(db: Db): boolean {
  return prepared(db).job.get() !== undefined;
}

export interface ExpandedSlice {
  fanoutId: number;
  /** Recipients whose rows this slice wrote. */
  expanded: number;
  /** Recipients of that fan-out still waiting. */
  remaining: number;
}

type JobRow = {
  id: number;
  source: string;
  kind: string;
  event_key: string;
  payload: string;
  total: number;
  expanded: number;
  next_chunk: number;
  created_at: number;
};

/**
 * Expands the next chunk of the oldest unfinished fan-out, in one short transaction: its rows,
 * the chunk's removal and the cursor commit together. With `owner` (a server instance), only
 * while it holds the background lease. Null when there is nothing to expand (or no lease).
 */
export function expandFanOutSlice(db: Db, options: { owner?: string | null; now?: Date } = {}): ExpandedSlice | null {
  const s = prepared(db);
  const owner = options.owner ?? null;
  // Looked at before taking the write lock: the worker asks after every commit.
  if (s.job.get() === undefined) return null;
  return db.$client
    .transaction((): ExpandedSlice | null => {
      if (owner !== null && leaseHolder(db, Date.now())?.owner !== owner) return null;
      const row = s.job.get() as JobRow | undefined;
      if (!row) return null;
      const at = (options.now ?? new Date()).getTime();
      if (row.next_chunk === AUDIENCE_UNREAD) {
        const total = readAudience(db, row, at);
        return { fanoutId: row.id, expanded: 0, remaining: total };
      }
      const stored = s.chunk.get(row.id, row.next_chunk) as string | undefined;
      // A chunk is removed in the transaction that advances past it: a missing one means the
      // fan-out was cut short some other way (a restore); whatever was stored is done.
      const entries = stored === undefined ? [] : (JSON.parse(stored) as unknown[]);
      expanderFor(row.source)(db, jobOf(row), entries);
      s.removeChunk.run(row.id, row.next_chunk);
      const finished = stored === undefined || row.expanded + entries.length >= row.total;
      s.advance.run(row.expanded + entries.length, owner, finished ? at : null, row.id);
      if (finished) s.removeChunks.run(row.id);
      return {
        fanoutId: row.id,
        expanded: entries.length,
        remaining: finished ? 0 : row.total - row.expanded - entries.length,
      };
    })
    .immediate();
}

/**
 * Expands every unfinished fan-out, slice after slice, with a turn of the event loop between
 * (requests go first) and, with `between`, whatever else it says to wait for (the server: readers
 * waiting for a page, api/readersFirst.ts). Stops when nothing is left, the database is busy
 * (another process holds the write lock: the next wake tries again), the lease is lost, or
 * `stopped()` says so. Returns how many recipients got their rows.
 */
export async function expandFanOuts(
  db: Db,
  options: { owner?: string | null; now?: () => Date; stopped?: () => boolean; between?: () => Promise<void> } = {},
): Promise<number> {
  let total = 0;
  while (!options.stopped?.()) {
    let slice: ExpandedSlice | null;
    try {
      slice = await backgroundWrite(db, () =>
        expandFanOutSlice(db, { owner: options.owner, now: options.now?.() ?? new Date() }),
      );
    } catch (err) {
      if (isDatabaseBusy(err)) break;
      throw err;
    }
    if (!slice) break;
    total += slice.expanded;
    await nextTurn();
    await options.between?.();
  }
  return total;
}

export interface FanOutProgress {
  /** Fan-outs still being expanded. */
  fanouts: number;
  /** Their recipients, all together, and how many of them already have their rows. */
  total: number;
  expanded: number;
}

/** What is still being prepared: the console's «preparando N de M». */
export function fanOutProgress(db: Db): FanOutProgress {
  const row = db.$client
    .prepare(
      'SELECT count(*) AS fanouts, coalesce(sum(total), 0) AS total, coalesce(sum(expanded), 0) AS expanded FROM outbox_fanouts WHERE finished_at IS NULL',
    )
    .get() as FanOutProgress;
  return row;
}

beforeEachWrite(readUnreadAudiences);
