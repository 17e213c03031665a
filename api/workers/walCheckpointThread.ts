// The thread of api/workers/walCheckpoint.ts: its own connection to the database file, which
// copies the write-ahead log back into the database (SQLite's PASSIVE checkpoint: it waits for
// no reader or writer) every `everyMs`, so that neither the copy nor its fsync runs on the
// server's event loop. Stops when the parent says so (or exits).
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, everyMs } = workerData as { path: string; everyMs: number };
const db = new Database(path, { fileMustExist: true });
// Never waits for a lock: a checkpoint that finds one busy is simply tried at the next beat.
db.pragma('busy_timeout = 0');
db.pragma('wal_autocheckpoint = 0');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');

const beat = () => {
  try {
    const [row] = checkpoint.all() as Array<{ busy: number; log: number; checkpointed: number }>;
    parentPort!.postMessage({ kind: 'checkpointed', log: row.log, checkpointed: row.checkpointed });
  } catch (err) {
    // SQLITE_BUSY (another checkpoint, a restore) is the weather: next beat.
    if ((err as { code?: string }).code !== 'SQLITE_BUSY')
      parentPort!.postMessage({ kind: 'failed', message: (err as Error).message });
  }
};
const timer = setInterval(beat, everyMs);
parentPort!.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  beat();
  db.close();
  parentPort!.close();
});
