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
import { backgroundWrite, isDatabaseBusy } from '../commands/transaction.ts';

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

const expanders = new Map<string, FanOutExpander<never, never>>();

/** A channel family registers how its recipients become rows, once, at import time of its module. */
export function registerFanOutExpander<E, P>(source: string, expander: FanOutExpander<E, P>): void {
  expanders.set(source, expander as FanOutExpander<never, never>);
}

function expanderFor(source: string): FanOutExpander<unknown, unknown> {
  const expander = expanders.get(source);
  // The module that records a source registers it: a fan-out of an unknown source is a bug.
  if (!expander) throw new Error(`No hay quien expanda los envíos de «${source}».`);
  return expander as FanOutExpander<unknown, unknown>;
}

const statements = new WeakMap<
  Db,
  Record<'job' | 'insertJob' | 'chunk' | 'insertChunk' | 'removeChunk' | 'removeChunks' | 'advance', Statement>
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
         VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)`,
      ),
      chunk: c.prepare('SELECT entries FROM outbox_fanout_chunks WHERE fanout_id = ? AND seq = ?').pluck(),
      insertChunk: c.prepare('INSERT INTO outbox_fanout_chunks (fanout_id, seq, entries) VALUES (?, ?, ?)'),
      removeChunk: c.prepare('DELETE FROM outbox_fanout_chunks WHERE fanout_id = ? AND seq = ?'),
      removeChunks: c.prepare('DELETE FROM outbox_fanout_chunks WHERE fanout_id = ?'),
      advance: c.prepare(
        'UPDATE outbox_fanouts SET expanded = ?, next_chunk = next_chunk + 1, claimed_by = ?, finished_at = ? WHERE id = ?',
      ),
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
      fanOut.at.getTime(),
      done ? fanOut.at.getTime() : null,
    ).lastInsertRowid,
  );
  if (done) {
    const { source, kind, eventKey, payload, at } = fanOut;
    expand(db, { id, source, kind, eventKey, payload, createdAt: at }, entries as E[]);
    return 0;
  }
  for (let seq = 1, from = 0; from < entries.length; seq++, from += FANOUT_SLICE)
    s.insertChunk.run(id, seq, JSON.stringify(entries.slice(from, from + FANOUT_SLICE)));
  return entries.length;
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
      const stored = s.chunk.get(row.id, row.next_chunk) as string | undefined;
      // A chunk is removed in the transaction that advances past it: a missing one means the
      // fan-out was cut short some other way (a restore); whatever was stored is done.
      const entries = stored === undefined ? [] : (JSON.parse(stored) as unknown[]);
      expanderFor(row.source)(
        db,
        {
          id: row.id,
          source: row.source,
          kind: row.kind,
          eventKey: row.event_key,
          payload: JSON.parse(row.payload),
          createdAt: new Date(row.created_at),
        },
        entries,
      );
      s.removeChunk.run(row.id, row.next_chunk);
      const finished = stored === undefined || row.expanded + entries.length >= row.total;
      const at = (options.now ?? new Date()).getTime();
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
