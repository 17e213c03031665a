// Bounds on dates: a window at most two years ahead, an incident not before 2000-01-01 (422 with
// the path, nothing written); and the publisher's month families bounded by the data that exists
// even when older data (written before the rules) holds a window in 2099 or an incident in 1000.
import { describe, expect, it } from 'vitest';
import { collections } from '../../api/publish/collections.ts';
import { testApp } from '../support/db.ts';

const t = testApp();
const count = (table: string) => (t.db.$client.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

async function refused(method: string, path: string, body: unknown, field: string) {
  const res = await t.json(method, path, body);
  expect(res.status, JSON.stringify(body)).toBe(422);
  const { error } = await res.json();
  expect(error.fields.map((f: { path: string }) => f.path)).toContain(field);
  return error;
}

describe('dates the API refuses', () => {
  it('a window more than two years ahead, created or moved', async () => {
    const far = (iso: string) => ({
      name: 'Cambio de tarjetas',
      body: 'Cortes breves.',
      scheduled_for: iso,
      scheduled_until: iso.replace('T06', 'T08'),
      components: ['metepec-fibra'],
    });
    for (const when of ['2099-06-01T06:00:00Z', '9999-01-01T06:00:00Z', '2028-11-27T06:00:00Z'])
      await refused('POST', '/api/v1/maintenances', far(when), 'scheduled_for');
    expect(count('maintenances')).toBe(0);
    // Within two years: accepted; moving it beyond: refused.
    const ok = await t.json('POST', '/api/v1/maintenances', far('2028-11-20T06:00:00Z'));
    expect(ok.status).toBe(201);
    const { id } = await ok.json();
    await refused(
      'PATCH',
      `/api/v1/maintenances/${id}`,
      { scheduled_for: '2030-01-01T06:00:00Z', scheduled_until: '2030-01-01T08:00:00Z' },
      'scheduled_for',
    );
  });

  it('an incident that starts before 2000-01-01', async () => {
    const incident = (started_at: string) => ({
      name: 'Corte',
      status: 'investigating',
      body: 'Revisando.',
      started_at,
    });
    for (const when of ['1000-01-01T00:00:00Z', '1999-12-31T12:00:00-06:00'])
      await refused('POST', '/api/v1/incidents', incident(when), 'started_at');
    expect(count('incidents')).toBe(0);
    expect((await t.json('POST', '/api/v1/incidents', incident('2000-01-01T00:00:00-06:00'))).status).toBe(201);
  });
});

describe('the publisher’s month families', () => {
  it('stay within 2000-01 and two years ahead whatever old data holds', () => {
    const now = t.clock.now();
    const insert = t.db.$client.prepare(
      `INSERT INTO maintenances (id, name, body, status, impact_kind, auto_transition, emergency, low_impact_window, scheduled_for, scheduled_until, created_at, updated_at)
       VALUES (?, 'Vieja', 'x', 'scheduled', 'outage', 1, 0, 1, ?, ?, ?, ?)`,
    );
    insert.run('m9999', Date.UTC(9999, 0, 1, 6), Date.UTC(9999, 0, 1, 8), now.getTime(), now.getTime());
    t.db.$client
      .prepare(
        `INSERT INTO incidents (id, name, status, impact, started_at, resolved_at, created_at, updated_at) VALUES ('i1000', 'Antiguo', 'resolved', 'minor', ?, ?, ?, ?)`,
      )
      .run(Date.UTC(1000, 0, 1), Date.UTC(1000, 0, 2), now.getTime(), now.getTime());
    const calendar = collections.calendarMonths.all(t.db, now);
    expect(calendar.at(-1)).toBe('2028-11');
    expect(calendar.length).toBeLessThanOrEqual(26);
    const history = collections.historyMonths.all(t.db, now);
    expect(history[0]).toBe('2000-01');
    expect(history.at(-1)).toBe('2026-11');
    expect(collections.availabilityMonths.all(t.db, now).length).toBeLessThan(400);
  });
});
