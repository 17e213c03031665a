// A commit that leaves SQLite's write-ahead log past 1,000 pages copies the log into the database
// file (a checkpoint) inside that commit, on the server's one thread: 20–40 ms in whichever
// request committed then. The lease holder's wal-checkpoint worker does the copy in a thread of
// its own; a commit on the server's connection then returns with the log still uncopied, and
// the thread copies it within its beat.
import { statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Db } from '#db/client.ts';
import { freshDb } from '../support/db.ts';
import type { AppDeps } from '../../api/context.ts';
import { AUTOCHECKPOINT_FALLBACK_PAGES, walCheckpointWorker } from '../../api/workers/walCheckpoint.ts';

const PAGE = 4096;
const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** One transaction writing ~2,000 pages (8 MB): twice SQLite's automatic checkpoint threshold. */
function bigCommit(db: Db): void {
  db.$client.exec('CREATE TABLE IF NOT EXISTS ballast (n INTEGER PRIMARY KEY, bytes BLOB)');
  const insert = db.$client.prepare('INSERT INTO ballast (bytes) VALUES (randomblob(?))');
  db.$client.transaction(() => {
    for (let i = 0; i < 2_000; i++) insert.run(PAGE - 100);
  })();
}

const fileSize = (db: Db) => statSync(db.$client.name).size;

describe('the write-ahead log is copied off the event loop', () => {
  it('without the worker, SQLite copies it inside the commit that crossed 1,000 pages', () => {
    const db = freshDb();
    const before = fileSize(db);
    bigCommit(db);
    // The commit itself checkpointed: the database file holds the new pages already.
    expect(fileSize(db) - before).toBeGreaterThan(1_500 * PAGE);
    db.$client.close();
  });

  it('with it, the commit leaves the log uncopied and the thread copies it within its beat', async () => {
    const db = freshDb();
    const stop = walCheckpointWorker({ everyMs: 50 }).start({ db } as AppDeps);
    stops.push(stop); // (a second stop does nothing)
    expect(db.$client.pragma('wal_autocheckpoint', { simple: true })).toBe(AUTOCHECKPOINT_FALLBACK_PAGES);
    const before = fileSize(db);
    // The thread may copy between two statements, not within a transaction not yet committed:
    // right after the commit nothing of it is in the file yet.
    bigCommit(db);
    expect(fileSize(db) - before).toBeLessThan(100 * PAGE);
    const deadline = Date.now() + 20_000;
    while (fileSize(db) - before < 1_500 * PAGE && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(fileSize(db) - before).toBeGreaterThan(1_500 * PAGE);
    // Stopping gives the connection SQLite's own checkpoint back.
    await stop();
    expect(db.$client.pragma('wal_autocheckpoint', { simple: true })).toBe(1_000);
    db.$client.close();
  });
});
