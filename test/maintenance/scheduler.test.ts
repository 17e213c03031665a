import { describe, expect, it, vi } from 'vitest';
import { eq } from 'drizzle-orm';
import { openDatabase, type Db } from '#db/client.ts';
import { seedDemoCatalogue } from '#db/seed.ts';
import { findComponent, updateComponent } from '#db/commands/catalog.ts';
import { createIncident, publishIncidentUpdate } from '#db/commands/incidents.ts';
import { advanceMaintenances, createMaintenance, nextMaintenanceDue } from '#db/commands/maintenances.ts';
import { registerFanOut, type NotificationEvent } from '#db/notifications/index.ts';
import { maintenanceDetail } from '#db/queries/index.ts';
import { componentStatusEvents } from '#db/schema/index.ts';
import { createApp } from '../../api/app.ts';
import { onCommit } from '#db/commands/transaction.ts';
import { createApiToken } from '#db/commands/tokens.ts';
import { clockWorker } from '../../api/workers/clock.ts';
import { tempDatabasePath, testClock, testConfig } from '../support/db.ts';

const HOUR = 3_600_000;
const actor = { kind: 'token' as const, name: 'tests' };

const events: NotificationEvent[] = [];
registerFanOut((_db, e) => {
  if (e.type.startsWith('maintenance.')) events.push(e);
});

function seeded(path = tempDatabasePath()): { db: Db; path: string } {
  const db = openDatabase(path);
  seedDemoCatalogue(db, new Date('2026-08-01T12:00:00Z'));
  return { db, path };
}

const statusOf = (db: Db, slug: string) => findComponent(db, slug)!.status;

function schedule(
  db: Db,
  now: Date,
  from: string,
  until: string,
  components = ['lerma-fibra'],
  extra: Partial<Parameters<typeof createMaintenance>[1]> = {},
) {
  return createMaintenance(
    db,
    {
      name: 'Migración de OLT en Lerma',
      body: 'Cambio de OLT.',
      scheduledFor: new Date(from),
      scheduledUntil: new Date(until),
      components,
      ...extra,
    },
    { now, actor },
  ).maintenance;
}

describe('advanceMaintenances (injected clock)', () => {
  it('reminds 24 h before, starts at scheduled_for and completes at scheduled_until, at the exact instants', () => {
    const { db } = seeded();
    const m = schedule(db, new Date('2026-11-26T18:00:00Z'), '2026-12-01T06:00:00Z', '2026-12-01T10:00:00Z');
    events.length = 0;
    expect(nextMaintenanceDue(db)?.toISOString()).toBe('2026-11-30T06:00:00.000Z');

    expect(advanceMaintenances(db, new Date('2026-11-30T05:59:59.999Z'))).toEqual([]);
    expect(advanceMaintenances(db, new Date('2026-11-30T06:00:00Z'))).toEqual([
      { maintenanceId: m.id, action: 'reminder' },
    ]);
    expect(advanceMaintenances(db, new Date('2026-11-30T07:00:00Z'))).toEqual([]);
    expect(events.map((e) => e.type)).toEqual(['maintenance.reminder']);
    expect(nextMaintenanceDue(db)?.toISOString()).toBe('2026-12-01T06:00:00.000Z');

    expect(advanceMaintenances(db, new Date('2026-12-01T05:59:59.999Z'))).toEqual([]);
    expect(advanceMaintenances(db, new Date('2026-12-01T06:00:00Z'))).toEqual([
      { maintenanceId: m.id, action: 'started' },
    ]);
    expect(statusOf(db, 'lerma-fibra')).toBe('under_maintenance');
    expect(maintenanceDetail(db, m.id)!.status).toBe('in_progress');

    expect(advanceMaintenances(db, new Date('2026-12-01T09:59:59.999Z'))).toEqual([]);
    expect(advanceMaintenances(db, new Date('2026-12-01T10:00:00Z'))).toEqual([
      { maintenanceId: m.id, action: 'completed' },
    ]);
    expect(statusOf(db, 'lerma-fibra')).toBe('operational');
    const done = maintenanceDetail(db, m.id)!;
    expect(done.status).toBe('completed');
    expect(done.completedAt?.toISOString()).toBe('2026-12-01T10:00:00.000Z');
    expect(events.map((e) => e.type)).toEqual(['maintenance.reminder', 'maintenance.started', 'maintenance.completed']);
    expect(events[1]).toMatchObject({ maintenanceId: m.id, componentIds: [findComponent(db, 'lerma-fibra')!.id] });

    // Each transition is a status event caused by the maintenance.
    const lerma = findComponent(db, 'lerma-fibra')!.id;
    const trail = db
      .select()
      .from(componentStatusEvents)
      .where(eq(componentStatusEvents.componentId, lerma))
      .all()
      .slice(1);
    expect(trail.map((e) => [e.status, e.causeKind, e.causeId])).toEqual([
      ['under_maintenance', 'maintenance', m.id],
      ['operational', 'maintenance', m.id],
    ]);
    expect(nextMaintenanceDue(db)).toBeNull();
  });

  it('sends no reminder for a window announced less than 24 h ahead', () => {
    const { db } = seeded();
    const m = schedule(
      db,
      new Date('2026-11-30T12:00:00Z'),
      '2026-12-01T06:00:00Z',
      '2026-12-01T07:00:00Z',
      ['lerma-fibra'],
      { emergency: true, emergencyReason: 'Falla de energía en el nodo.' },
    );
    expect(advanceMaintenances(db, new Date('2026-11-30T13:00:00Z'))).toEqual([]);
    expect(advanceMaintenances(db, new Date('2026-12-01T06:00:00Z'))).toEqual([
      { maintenanceId: m.id, action: 'started' },
    ]);
  });

  it('leaves a component an incident changed meanwhile, and never hides an outage behind maintenance', () => {
    const { db } = seeded();
    const now = new Date('2026-11-26T18:00:00Z');
    // Toluca wireless is already down when the window opens: it stays down.
    createIncident(
      db,
      {
        name: 'Caída de enlace',
        status: 'identified',
        body: 'Sin servicio.',
        components: { 'toluca-inalambrico': 'major_outage' },
      },
      { now, actor },
    );
    const m = schedule(db, now, '2026-12-01T06:00:00Z', '2026-12-01T10:00:00Z', [
      'toluca-fibra',
      'toluca-inalambrico',
      'metepec-fibra',
    ]);
    advanceMaintenances(db, new Date('2026-12-01T06:00:00Z'));
    expect(statusOf(db, 'toluca-fibra')).toBe('under_maintenance');
    expect(statusOf(db, 'toluca-inalambrico')).toBe('major_outage');
    // During the window an incident hits Metepec fibre.
    const inc = createIncident(
      db,
      {
        name: 'Corte de fibra',
        status: 'investigating',
        body: 'Revisando.',
        components: { 'metepec-fibra': 'partial_outage' },
      },
      { now: new Date('2026-12-01T07:00:00Z'), actor },
    );
    advanceMaintenances(db, new Date('2026-12-01T10:00:00Z'));
    expect(maintenanceDetail(db, m.id)!.status).toBe('completed');
    expect(statusOf(db, 'toluca-fibra')).toBe('operational');
    expect(statusOf(db, 'toluca-inalambrico')).toBe('major_outage');
    expect(statusOf(db, 'metepec-fibra')).toBe('partial_outage');
    publishIncidentUpdate(
      db,
      inc.id,
      { status: 'resolved', body: 'Reparado.' },
      { now: new Date('2026-12-01T11:00:00Z'), actor },
    );
    expect(statusOf(db, 'metepec-fibra')).toBe('operational');
  });

  it('keeps a component under maintenance while an overlapping window still holds it', () => {
    const { db } = seeded();
    const now = new Date('2026-11-26T18:00:00Z');
    const a = schedule(db, now, '2026-12-01T06:00:00Z', '2026-12-01T08:00:00Z');
    const b = schedule(db, now, '2026-12-01T07:00:00Z', '2026-12-01T09:00:00Z');
    advanceMaintenances(db, new Date('2026-12-01T06:00:00Z'));
    advanceMaintenances(db, new Date('2026-12-01T07:00:00Z'));
    advanceMaintenances(db, new Date('2026-12-01T08:00:00Z'));
    expect(maintenanceDetail(db, a.id)!.status).toBe('completed');
    expect(statusOf(db, 'lerma-fibra')).toBe('under_maintenance');
    advanceMaintenances(db, new Date('2026-12-01T09:00:00Z'));
    expect(maintenanceDetail(db, b.id)!.status).toBe('completed');
    expect(statusOf(db, 'lerma-fibra')).toBe('operational');
  });

  it('does not touch components without auto_transition', () => {
    const { db } = seeded();
    const m = schedule(
      db,
      new Date('2026-11-26T18:00:00Z'),
      '2026-12-01T06:00:00Z',
      '2026-12-01T10:00:00Z',
      ['lerma-fibra'],
      { autoTransition: false },
    );
    advanceMaintenances(db, new Date('2026-12-01T06:00:00Z'));
    expect(maintenanceDetail(db, m.id)!.status).toBe('in_progress');
    expect(statusOf(db, 'lerma-fibra')).toBe('operational');
  });
});

describe('advanceMaintenances without anything due', () => {
  it('writes nothing, so the public page cache is not dropped', () => {
    const { db } = seeded();
    schedule(db, new Date('2026-11-26T18:00:00Z'), '2026-12-01T06:00:00Z', '2026-12-01T10:00:00Z');
    let commits = 0;
    const off = onCommit(db, () => {
      commits++;
    });
    expect(advanceMaintenances(db, new Date('2026-11-27T00:00:00Z'))).toEqual([]);
    expect(commits).toBe(0);
    advanceMaintenances(db, new Date('2026-11-30T06:00:00Z'));
    expect(commits).toBe(1);
    off();
  });
});

describe('the clock worker, for maintenance windows', () => {
  it('looks again as soon as a write commits instead of sleeping until its next check', async () => {
    const { db } = seeded();
    const clock = testClock('2026-11-26T18:00:00Z');
    const { deps } = createApp({ db, config: testConfig, now: clock.now });
    const stop = clockWorker({ maxSleepMs: 60_000 }).start(deps);
    try {
      const m = schedule(db, clock.now(), '2026-12-01T06:00:00Z', '2026-12-01T10:00:00Z');
      // Its wake on that commit has passed: asleep until the window, days away by its clock.
      await new Promise((r) => setTimeout(r, 50));
      clock.set('2026-12-01T06:00:00Z');
      // A write on no public page (a new API token) does not wake it…
      createApiToken(db, 'despertador', clock.now());
      await new Promise((r) => setTimeout(r, 50));
      expect(maintenanceDetail(db, m.id)!.status).toBe('scheduled');
      // …any public one does; here an unrelated one (another component's status).
      updateComponent(db, 'toluca-fibra', { status: 'degraded_performance' }, { now: clock.now(), actor });
      await vi.waitFor(() => expect(maintenanceDetail(db, m.id)!.status).toBe('in_progress'), {
        timeout: 2000,
        interval: 10,
      });
    } finally {
      await stop();
    }
  });

  it('runs transitions on its own with an injected clock and stops cleanly', async () => {
    const { db } = seeded();
    const clock = testClock('2026-11-26T18:00:00Z');
    const { deps } = createApp({ db, config: testConfig, now: clock.now });
    const m = schedule(db, clock.now(), '2026-12-01T06:00:00Z', '2026-12-01T10:00:00Z');
    const stop = clockWorker({ maxSleepMs: 20 }).start(deps);
    try {
      clock.set('2026-12-01T06:00:00Z');
      await vi.waitFor(() => expect(statusOf(db, 'lerma-fibra')).toBe('under_maintenance'), {
        timeout: 3000,
        interval: 10,
      });
      clock.set('2026-12-01T10:00:00Z');
      await vi.waitFor(() => expect(maintenanceDetail(db, m.id)!.status).toBe('completed'), {
        timeout: 3000,
        interval: 10,
      });
      expect(statusOf(db, 'lerma-fibra')).toBe('operational');
    } finally {
      await stop();
    }
    // Stopped: nothing moves any more.
    const n = schedule(db, new Date('2026-12-01T10:00:00Z'), '2026-12-05T06:00:00Z', '2026-12-05T07:00:00Z');
    clock.set('2026-12-05T06:30:00Z');
    await new Promise((r) => setTimeout(r, 100));
    expect(maintenanceDetail(db, n.id)!.status).toBe('scheduled');
  });

  it('catches up after a restart: a window that began while the server was down is in progress when it comes back', async () => {
    const { db, path } = seeded();
    const clock = testClock('2026-11-26T18:00:00Z');
    const running = schedule(db, clock.now(), '2026-12-01T06:00:00Z', '2026-12-01T10:00:00Z', ['lerma-fibra']);
    const missed = schedule(db, clock.now(), '2026-12-01T02:00:00Z', '2026-12-01T03:00:00Z', ['metepec-fibra']);
    const first = clockWorker({ maxSleepMs: 20 }).start(createApp({ db, config: testConfig, now: clock.now }).deps);
    await first();
    db.$client.close();

    // The server is down from 26 Nov to 1 Dec 07:00: both windows began, one also ended.
    clock.set('2026-12-01T07:00:00Z');
    const reopened = openDatabase(path);
    const stop = clockWorker({ maxSleepMs: 20 }).start(
      createApp({ db: reopened, config: testConfig, now: clock.now }).deps,
    );
    try {
      // The first tick runs synchronously at start.
      expect(maintenanceDetail(reopened, running.id)!.status).toBe('in_progress');
      expect(statusOf(reopened, 'lerma-fibra')).toBe('under_maintenance');
      const past = maintenanceDetail(reopened, missed.id)!;
      expect(past.status).toBe('completed');
      expect(past.startedAt?.toISOString()).toBe('2026-12-01T02:00:00.000Z');
      expect(past.completedAt?.toISOString()).toBe('2026-12-01T03:00:00.000Z');
      // A window that is already over never flips its components.
      expect(statusOf(reopened, 'metepec-fibra')).toBe('operational');
      clock.set('2026-12-01T10:00:00Z');
      await vi.waitFor(() => expect(statusOf(reopened, 'lerma-fibra')).toBe('operational'), {
        timeout: 3000,
        interval: 10,
      });
    } finally {
      await stop();
      reopened.$client.close();
    }
  });
});

describe('notices published for the subscriber system', () => {
  it('announces, reschedules (re-arming the reminder) and cancels, each with the affected components', async () => {
    const { db } = seeded();
    const { updateMaintenance, cancelMaintenance } = await import('#db/commands/maintenances.ts');
    events.length = 0;
    const m = schedule(db, new Date('2026-11-26T18:00:00Z'), '2026-12-01T06:00:00Z', '2026-12-01T08:00:00Z', [
      'metepec',
    ]);
    expect(advanceMaintenances(db, new Date('2026-11-30T06:00:00Z'))).toEqual([
      { maintenanceId: m.id, action: 'reminder' },
    ]);
    updateMaintenance(
      db,
      m.id,
      { scheduledFor: new Date('2026-12-08T06:00:00Z'), scheduledUntil: new Date('2026-12-08T08:00:00Z') },
      { now: new Date('2026-11-30T07:00:00Z'), actor },
    );
    // The new start is a week away: a new reminder is due 24 h before it, not before.
    expect(advanceMaintenances(db, new Date('2026-12-07T05:59:00Z'))).toEqual([]);
    expect(advanceMaintenances(db, new Date('2026-12-07T06:00:00Z'))).toEqual([
      { maintenanceId: m.id, action: 'reminder' },
    ]);
    cancelMaintenance(db, m.id, {}, { now: new Date('2026-12-07T07:00:00Z'), actor });
    expect(advanceMaintenances(db, new Date('2026-12-08T06:00:00Z'))).toEqual([]);
    expect(events.map((e) => e.type)).toEqual([
      'maintenance.announced',
      'maintenance.reminder',
      'maintenance.rescheduled',
      'maintenance.reminder',
      'maintenance.cancelled',
    ]);
    const metepec = ['metepec-fibra', 'metepec-inalambrico'].map((s) => findComponent(db, s)!.id);
    for (const e of events)
      expect(e).toMatchObject({ maintenanceId: m.id, componentIds: expect.arrayContaining(metepec) });
    expect(events[2].at.toISOString()).toBe('2026-11-30T07:00:00.000Z');
  });
});
