// The site's state as its own monitoring reads it, computed when asked (a scrape of /metrics, a
// GET /healthz): the database is the truth for the outbox, the publisher for how far the files
// are current. Nothing here is cached: a stuck worker shows at the next scrape.
import { statfsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { withoutWaiting, sqliteFailure, type Db } from '#db/client.ts';
import { PRIVATE_SUBJECTS } from '#db/auditSubjects.ts';
import { oldestChangeAfter, outboxState } from '#db/queries/index.ts';
import type { AppDeps } from '../context.ts';
import { KNOWN_CHANNELS } from './registry.ts';

export interface OutboxView {
  channel: string;
  pending: number;
  due: number;
  oldestPendingSeconds: number;
  oldestDueSeconds: number;
}

export interface PublishView {
  /** Seconds since the oldest committed change the files do not show yet was committed; 0 when current. */
  lagSeconds: number;
  lastPublishAt: Date | null;
  /** Paths a full publish in progress has still to write. */
  fullPublishRemaining: number;
}

const seconds = (ms: number) => Math.max(0, ms) / 1000;

export function outboxView(db: Db, now: Date): OutboxView[] {
  return outboxState(db, now, KNOWN_CHANNELS).map((s) => ({
    channel: s.channel,
    pending: s.pending,
    due: s.due,
    oldestPendingSeconds: s.oldestPendingAt ? seconds(now.getTime() - s.oldestPendingAt.getTime()) : 0,
    oldestDueSeconds: s.oldestDueAt ? seconds(now.getTime() - s.oldestDueAt.getTime()) : 0,
  }));
}

/** Null without PUBLISH_DIR: pages are then rendered from the database on request, never behind. */
export function publishView(deps: AppDeps, now: Date): PublishView | null {
  const publisher = deps.publishing;
  if (!publisher) return null;
  const { through, readAt, at } = publisher.published;
  const oldest = oldestChangeAfter(deps.db, through, PRIVATE_SUBJECTS);
  // A change after `through` committed after `through` was read: its own recorded time may be
  // earlier (a status event carries the time it took effect).
  const committed = oldest ? Math.max(oldest.getTime(), readAt) : null;
  return {
    lagSeconds: committed === null ? 0 : seconds(now.getTime() - committed),
    lastPublishAt: at,
    fullPublishRemaining: publisher.backlogRemaining,
  };
}

export interface Volume {
  volume: 'database' | 'publish';
  freeBytes: number;
  sizeBytes: number;
}

/** The filesystems holding the database and the snapshot (what "disk nearly full" watches). */
export function volumes(deps: AppDeps): Volume[] {
  const out: Volume[] = [];
  const add = (volume: Volume['volume'], dir: string) => {
    try {
      const s = statfsSync(dir);
      out.push({ volume, freeBytes: s.bavail * s.bsize, sizeBytes: s.blocks * s.bsize });
    } catch {
      // A directory that vanished is reported by the checks that write to it.
    }
  };
  if (deps.config.databasePath !== ':memory:') add('database', dirname(resolve(deps.config.databasePath)));
  if (deps.config.publishDir) add('publish', deps.config.publishDir);
  return out;
}

/** The database file and its write-ahead log, in bytes (0 for an in-memory database). */
export function databaseBytes(path: string): number {
  if (path === ':memory:') return 0;
  let total = 0;
  for (const file of [path, `${path}-wal`]) {
    try {
      total += statSync(file).size;
    } catch {
      // No WAL right after a checkpoint that truncated it.
    }
  }
  return total;
}

/** Below this, a write would most likely fail for want of space (SQLITE_FULL). */
export const MIN_FREE_BYTES = 1024 * 1024;

export type WriteCheck = { writable: true } | { writable: false; code: string; message: string };

/**
 * Whether a write could commit now, without writing (a write would tell every other process's
 * page cache that the data changed): take the write lock and give it back at once, without
 * waiting for it, and look at the free space where the database lives.
 */
export function checkWritable(deps: AppDeps): WriteCheck {
  const db = deps.db;
  try {
    if (!db.$client.inTransaction) {
      withoutWaiting(db, () => {
        db.$client.exec('BEGIN IMMEDIATE');
        db.$client.exec('ROLLBACK');
      });
    }
  } catch (err) {
    const failure = sqliteFailure(err);
    const code = (err as { code?: string }).code ?? '';
    if (failure === 'busy')
      return {
        writable: false,
        code: 'database_busy',
        message: 'Otra conexión tiene tomada la escritura de la base de datos.',
      };
    if (code.startsWith('SQLITE_READONLY'))
      return { writable: false, code: 'database_readonly', message: 'La base de datos es de solo lectura.' };
    return {
      writable: false,
      code: 'database_unavailable',
      message: `No se puede escribir en la base de datos: ${(err as Error).message}`,
    };
  }
  const volume = volumes(deps).find((v) => v.volume === 'database');
  if (volume && volume.freeBytes < MIN_FREE_BYTES)
    return {
      writable: false,
      code: 'storage_full',
      message: `Quedan ${Math.round(volume.freeBytes / 1024)} KB libres donde está la base de datos.`,
    };
  return { writable: true };
}
