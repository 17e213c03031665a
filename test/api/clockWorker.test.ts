// The clock worker (api/workers/clock.ts): one loop for the maintenance scheduler and the alert
// settler. It sleeps until the earliest instant either is due (not until a fixed poll), wakes on
// another process's write, and waits out a database another process holds without blocking.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Db } from '#db/client.ts';
import { findComponent } from '#db/commands/catalog.ts';
import { createMaintenance } from '#db/commands/maintenances.ts';
import { createApiToken } from '#db/commands/tokens.ts';
import { maintenanceDetail } from '#db/queries/index.ts';
import { alerts } from '#db/schema/index.ts';
import { createApp } from '../../api/app.ts';
import { readerRendering } from '../../api/readersFirst.ts';
import { clockWorker, type ClockJob } from '../../api/workers/clock.ts';
import { freshDb, testConfig } from '../support/db.ts';

/** A clock that runs at the wall clock's pace from wherever it is set. */
function liveClock(start: string) {
  let offset = 0;
  const set = (at: string | Date) => {
    offset = new Date(at).getTime() - Date.now();
  };
  set(start);
  return { now: () => new Date(Date.now() + offset), set };
}

const actor = { kind: 'cli' as const, name: 'pruebas' };
const statusOf = (db: Db, slug: string) => findComponent(db, slug)!.status;
const stops: Array<() => unknown> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

function schedule(db: Db, createdAt: Date, from: Date, component = 'lerma-fibra') {
  return createMaintenance(
    db,
    {
      name: 'Migración de OLT en Lerma',
      body: 'Cambio de OLT.',
      scheduledFor: from,
      scheduledUntil: new Date(from.getTime() + 3_600_000),
      components: [component],
    },
    { now: createdAt, actor },
  ).maintenance;
}

describe('the clock worker', () => {
  it('sleeps until the earliest due instant of both jobs: a window starts at its time, a flapping alert settles at its own', async () => {
    const db = freshDb();
    const clock = liveClock('2026-11-26T18:00:00Z');
    const { app, deps } = createApp({ db, config: testConfig, now: clock.now });
    const { token } = createApiToken(db, 'pruebas', clock.now());
    const post = async (body: object) => {
      const res = await app.request('/api/v1/alerts', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
    };
    const flap = {
      source: 'librenms',
      id: '77',
      status: 'firing',
      component: 'zinacantepec-inalambrico',
      severity: 'critical',
      summary: 'Radio Zinacantepec sin enlace',
    };
    // Fires, resolves, fires again within the 5-minute hold-down: "Intermitencia" until 18:07:00.
    await post(flap);
    clock.set('2026-11-26T18:01:00Z');
    await post({ ...flap, status: 'resolved' });
    clock.set('2026-11-26T18:02:00Z');
    await post(flap);
    expect(statusOf(db, 'zinacantepec-inalambrico')).toBe('partial_outage');
    // A window announced days ago, due at 18:06:57.5.
    const m = schedule(db, new Date('2026-11-20T18:00:00Z'), new Date('2026-11-26T18:06:57.500Z'));

    // 18:06:57.2: the window is due in 0.3 s, the alert's hold-down ends in 2.8 s. The worker is
    // allowed a minute between passes, and nothing else writes: only its own sleep can be on time.
    clock.set('2026-11-26T18:06:57.200Z');
    stops.push(clockWorker({ maxSleepMs: 60_000 }).start(deps));
    await vi.waitFor(() => expect(maintenanceDetail(db, m.id)!.status).toBe('in_progress'), {
      timeout: 2000,
      interval: 10,
    });
    expect(statusOf(db, 'lerma-fibra')).toBe('under_maintenance');
    // Not yet: its hold-down has not ended.
    expect(db.select().from(alerts).get()!.flapping).toBe(true);
    expect(statusOf(db, 'zinacantepec-inalambrico')).toBe('partial_outage');
    await vi.waitFor(() => expect(db.select().from(alerts).get()!.flapping).toBe(false), {
      timeout: 5000,
      interval: 10,
    });
    // Still firing when it settled: it shows its own status again.
    expect(statusOf(db, 'zinacantepec-inalambrico')).toBe('major_outage');
    expect(clock.now().getTime()).toBeGreaterThanOrEqual(new Date('2026-11-26T18:07:00Z').getTime());
  });

  it("wakes on another process's write (the noc CLI) instead of at the end of its sleep", async () => {
    const db = freshDb();
    const clock = liveClock('2026-12-01T06:00:00Z');
    stops.push(clockWorker({ maxSleepMs: 60_000 }).start(createApp({ db, config: testConfig, now: clock.now }).deps));
    await new Promise((r) => setTimeout(r, 50)); // asleep, nothing due for a minute
    const other = openDatabase(db.$client.name);
    const m = schedule(other, new Date('2026-11-26T18:00:00Z'), new Date('2026-12-01T05:59:00Z'));
    other.$client.close();
    await vi.waitFor(() => expect(maintenanceDetail(db, m.id)!.status).toBe('in_progress'), {
      timeout: 5000,
      interval: 20,
    });
  });

  it('backs off while another process holds the write lock, without blocking requests, and catches up after', async () => {
    const db = freshDb();
    const clock = liveClock('2026-12-01T06:00:00Z');
    const m = schedule(db, new Date('2026-11-26T18:00:00Z'), new Date('2026-12-01T05:59:00Z'));
    const errors = vi.spyOn(console, 'error');
    const other = new Database(db.$client.name);
    other.exec('BEGIN IMMEDIATE');
    let longestGap = 0;
    try {
      stops.push(clockWorker({ maxSleepMs: 60_000 }).start(createApp({ db, config: testConfig, now: clock.now }).deps));
      // The event loop keeps turning: the worker never waits for the lock (busy_timeout is 5 s).
      let last = performance.now();
      const beat = setInterval(() => {
        longestGap = Math.max(longestGap, performance.now() - last);
        last = performance.now();
      }, 10);
      await new Promise((r) => setTimeout(r, 1500));
      clearInterval(beat);
      expect(maintenanceDetail(db, m.id)!.status).toBe('scheduled');
    } finally {
      // Released without a commit: nothing tells the worker; its back-off brings it back.
      other.exec('ROLLBACK');
      other.close();
    }
    expect(longestGap).toBeLessThan(500);
    await vi.waitFor(() => expect(maintenanceDetail(db, m.id)!.status).toBe('in_progress'), {
      timeout: 8000,
      interval: 20,
    });
    // A busy database is the weather, not an error.
    expect(errors).not.toHaveBeenCalled();
    errors.mockRestore();
  });

  it('looks again after a public write only once no reader waits for a page being rendered', async () => {
    const db = freshDb();
    let runs = 0;
    const counting: ClockJob = { label: 'prueba', run: () => runs++, nextDue: () => null };
    stops.push(clockWorker({ jobs: [counting], maxSleepMs: 60_000 }).start(createApp({ db, config: testConfig }).deps));
    expect(runs).toBe(1);
    // A reader waits for `/` (rendered again after the write) until `release`.
    let release!: () => void;
    const reader = readerRendering(new Promise<void>((resolve) => (release = resolve)));
    schedule(db, new Date(), new Date(Date.now() + 5 * 86_400_000));
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 30));
    expect(runs).toBe(1);
    release();
    await reader;
    await vi.waitFor(() => expect(runs).toBe(2), { timeout: 2000, interval: 5 });
    // With no reader waiting, the next write is looked at within a turn or two.
    schedule(db, new Date(), new Date(Date.now() + 6 * 86_400_000));
    await vi.waitFor(() => expect(runs).toBe(3), { timeout: 2000, interval: 5 });
  });
});
