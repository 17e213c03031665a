// The background lease (db/schema/lease.ts): one server instance at a time does the background
// work of a database. Bookkeeping of the running processes, not a change anyone made: no audit
// row, no commit listener. Every write here is a background write: it never waits for another
// process's write lock on the event loop (a busy database is tried again at the next beat).
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { withoutWaiting, type Db } from '../client.ts';

/** The lease everything in the background shares. */
export const BACKGROUND_LEASE = 'background';
/** A holder that has not renewed for this long is presumed dead and replaced. */
export const LEASE_TTL_MS = 10_000;
/** How often the holder renews, and a standby looks whether it may take over. */
export const LEASE_BEAT_MS = 2_000;

/** One server instance, as the lease and the work it claims name it. */
export interface LeaseOwner {
  id: string;
  host: string;
  pid: number;
}

/** A new identity for a server instance of this process (two servers in one process are two owners). */
export function newLeaseOwner(): LeaseOwner {
  const host = hostname();
  return { id: `${host}/${process.pid}/${randomBytes(4).toString('hex')}`, host, pid: process.pid };
}

export interface LeaseHolder {
  owner: string;
  host: string;
  pid: number;
  acquiredAt: Date;
  renewedAt: Date;
  expiresAt: Date;
}

type LeaseRow = {
  owner: string;
  host: string;
  pid: number;
  acquired_at: number;
  renewed_at: number;
  expires_at: number;
};

function holderOf(row: LeaseRow): LeaseHolder {
  return {
    owner: row.owner,
    host: row.host,
    pid: row.pid,
    acquiredAt: new Date(row.acquired_at),
    renewedAt: new Date(row.renewed_at),
    expiresAt: new Date(row.expires_at),
  };
}

/** True when `pid` names no process on this machine (signal 0 checks without sending anything). */
function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Whether a holder still holds: its lease has not expired and, when it ran on this machine under
 * another pid, that process still exists (so a restart after a crash does not wait out the TTL).
 */
export function isLive(holder: Pick<LeaseHolder, 'host' | 'pid' | 'expiresAt'>, now: number): boolean {
  if (holder.expiresAt.getTime() <= now) return false;
  if (holder.host === hostname() && holder.pid !== process.pid && processGone(holder.pid)) return false;
  return true;
}

/**
 * Whether the work an owner claimed (`host/pid/…`, see newLeaseOwner) is still its: its own lease
 * on that work has not run out and its process, when on this machine, still exists.
 */
export function ownerLive(ownerId: string | null, until: Date | null, now: number): boolean {
  if (!ownerId || !until) return false;
  const [host, pid] = ownerId.split('/');
  return isLive({ host, pid: Number(pid), expiresAt: until }, now);
}

/** The live holder of a lease, or null. */
export function leaseHolder(db: Db, now: number, name = BACKGROUND_LEASE): LeaseHolder | null {
  const row = db.$client
    .prepare('SELECT owner, host, pid, acquired_at, renewed_at, expires_at FROM background_leases WHERE name = ?')
    .get(name) as LeaseRow | undefined;
  if (!row) return null;
  const holder = holderOf(row);
  return isLive(holder, now) ? holder : null;
}

/**
 * Takes the lease when nobody live holds it, or renews it when `owner` already does. Returns the
 * holder afterwards (`owner` itself when it got or kept it). Throws SQLITE_BUSY when another
 * process holds the write lock: the caller tries again at its next beat.
 */
export function acquireLease(db: Db, owner: LeaseOwner, now: number, name = BACKGROUND_LEASE): LeaseHolder {
  return withoutWaiting(db, () =>
    db.$client
      .transaction(() => {
        const current = leaseHolder(db, now, name);
        if (current && current.owner !== owner.id) return current;
        db.$client
          .prepare(
            `INSERT INTO background_leases (name, owner, host, pid, acquired_at, renewed_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (name) DO UPDATE SET
               owner = excluded.owner, host = excluded.host, pid = excluded.pid,
               acquired_at = CASE WHEN background_leases.owner = excluded.owner THEN background_leases.acquired_at ELSE excluded.acquired_at END,
               renewed_at = excluded.renewed_at, expires_at = excluded.expires_at`,
          )
          .run(name, owner.id, owner.host, owner.pid, now, now, now + LEASE_TTL_MS);
        return leaseHolder(db, now, name)!;
      })
      .immediate(),
  );
}

/**
 * Extends `owner`'s lease; false when it no longer holds it (it expired and another process took
 * it): the caller must stop its background work at once.
 */
export function renewLease(db: Db, owner: LeaseOwner, now: number, name = BACKGROUND_LEASE): boolean {
  return (
    withoutWaiting(db, () =>
      db.$client
        .prepare('UPDATE background_leases SET renewed_at = ?, expires_at = ? WHERE name = ? AND owner = ?')
        .run(now, now + LEASE_TTL_MS, name, owner.id),
    ).changes === 1
  );
}

/** Gives the lease up (a clean stop): a standby process takes it at its next beat, without waiting out the TTL. */
export function releaseLease(db: Db, owner: LeaseOwner, name = BACKGROUND_LEASE): void {
  db.$client.prepare('DELETE FROM background_leases WHERE name = ? AND owner = ?').run(name, owner.id);
}
