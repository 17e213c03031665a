// The background lease and the outbox claims that carry its owner, on a real database: one holder
// at a time; a live claimant's batch is never taken, however slow its provider; a dead or
// replaced claimant's batch is sent again by the new holder under the same key.
import { describe, expect, it } from 'vitest';
import {
  acquireLease,
  LEASE_TTL_MS,
  leaseHolder,
  newLeaseOwner,
  releaseLease,
  renewLease,
} from '#db/commands/lease.ts';
import { enqueueMessages } from '#db/outbox/enqueue.ts';
import { drainOutbox, type DeliveryResult, type OutboxRow, type Transport } from '#db/outbox/worker.ts';
import { freshDb } from '../support/db.ts';

describe('background lease', () => {
  it('has one holder; a second owner waits until it is released or expires', () => {
    const db = freshDb();
    const a = newLeaseOwner();
    const b = newLeaseOwner();
    const t0 = Date.now();
    expect(acquireLease(db, a, t0).owner).toBe(a.id);
    expect(acquireLease(db, b, t0 + 1000).owner).toBe(a.id);
    expect(renewLease(db, a, t0 + 2000)).toBe(true);
    // Past the TTL without renewal: b takes it, and a learns it lost it.
    expect(acquireLease(db, b, t0 + 2000 + LEASE_TTL_MS).owner).toBe(b.id);
    expect(renewLease(db, a, t0 + 2000 + LEASE_TTL_MS)).toBe(false);
    // Released: free at once.
    releaseLease(db, b);
    expect(leaseHolder(db, Date.now())).toBeNull();
    expect(acquireLease(db, a, Date.now()).owner).toBe(a.id);
  });

  it('does not wait out the TTL for a holder on this machine whose process is gone', () => {
    const db = freshDb();
    const now = Date.now();
    db.$client
      .prepare(
        "INSERT INTO background_leases (name, owner, host, pid, acquired_at, renewed_at, expires_at) VALUES ('background', 'muerto', ?, 2147483646, ?, ?, ?)",
      )
      .run(newLeaseOwner().host, now, now, now + LEASE_TTL_MS);
    const me = newLeaseOwner();
    expect(acquireLease(db, me, now + 1).owner).toBe(me.id);
  });
});

describe('outbox claims carry their owner', () => {
  /** A transport whose provider answers when the test says so. */
  function slowTransport() {
    const calls: string[][] = [];
    let release: () => void = () => {};
    const transport: Transport = {
      channel: 'webhook',
      batchSize: 10,
      async send(batch: OutboxRow[]): Promise<DeliveryResult[]> {
        calls.push(batch.map((r) => r.dedupeKey));
        await new Promise<void>((r) => (release = r));
        return batch.map((r) => ({ id: r.id, outcome: 'sent' as const }));
      },
    };
    return { transport, calls, answer: () => release() };
  }

  it('leaves a live holder’s batch in flight alone, and takes a replaced holder’s over', async () => {
    const db = freshDb();
    const now = new Date();
    enqueueMessages(
      db,
      [1, 2, 3].map((i) => ({ channel: 'webhook', kind: 'prueba', dedupeKey: `d-${i}`, recipient: 'x', payload: {} })),
      now,
    );
    const a = newLeaseOwner();
    const b = newLeaseOwner();
    acquireLease(db, a, Date.now());
    const slowA = slowTransport();
    const drainA = drainOutbox(db, slowA.transport, { owner: a.id, maxBatches: 1 });
    await new Promise((r) => setTimeout(r, 20));
    expect(slowA.calls).toEqual([['d-1', 'd-2', 'd-3']]);
    // b is not the holder: it claims nothing, and above all not a's batch in flight.
    const fast = slowTransport();
    expect(await drainOutbox(db, fast.transport, { owner: b.id })).toBe(0);
    expect(fast.calls).toEqual([]);

    // a froze past its lease; b took over and sends a's leftover again, under the same batch key.
    db.$client.prepare('UPDATE background_leases SET expires_at = ?').run(Date.now() - 1);
    acquireLease(db, b, Date.now());
    const drainB = drainOutbox(db, fast.transport, { owner: b.id, maxBatches: 1 });
    await new Promise((r) => setTimeout(r, 20));
    expect(fast.calls).toEqual([['d-1', 'd-2', 'd-3']]);
    fast.answer();
    expect(await drainB).toBe(3);
    // a wakes up and hears back from its provider: the outcome b recorded stands.
    slowA.answer();
    await drainA;
    const rows = db.$client.prepare('SELECT status, attempts, claimed_by FROM outbox_messages').all();
    expect(rows).toEqual([1, 2, 3].map(() => ({ status: 'sent', attempts: 1, claimed_by: null })));
  });
});
