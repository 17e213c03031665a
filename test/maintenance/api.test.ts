import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createApp } from '../../api/app.ts';
import { createApiToken } from '#db/commands/tokens.ts';
import { freshDb, testApp, testClock, testConfig } from '../support/db.ts';

// Clock: 2026-11-26T18:00:00Z = 12:00 in Mexico City (UTC−6, no DST).
const t = testApp();
const { json, db, clock } = t;

const base = {
  name: 'Cambio de tarjetas en el nodo Metepec',
  body: 'Sustituiremos tarjetas de línea del nodo Metepec.',
  // Tuesday 1 Dec 2026, 00:00–04:00 local.
  scheduled_for: '2026-12-01T00:00:00-06:00',
  scheduled_until: '2026-12-01T04:00:00-06:00',
  components: ['metepec-fibra'],
};

const counts = () => ({
  maintenances: db.get<{ n: number }>(sql`select count(*) as n from maintenances`).n,
  updates: db.get<{ n: number }>(sql`select count(*) as n from maintenance_updates`).n,
  links: db.get<{ n: number }>(sql`select count(*) as n from maintenance_components`).n,
  audit: db.get<{ n: number }>(sql`select count(*) as n from audit_log where action like 'maintenance.%'`).n,
});

async function expectRefused(res: Response, status: number, code: string, path?: string) {
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  if (path) expect(body.error.fields.map((f: { path: string }) => f.path)).toContain(path);
  return body;
}

describe('POST /api/v1/maintenances', () => {
  it('creates a maintenance inside the low-impact window and answers v2 JSON plus policy fields', async () => {
    const res = await json('POST', '/api/v1/maintenances', base);
    expect(res.status).toBe(201);
    const m = await res.json();
    expect(m).toMatchObject({
      name: base.name,
      status: 'scheduled',
      impact: 'maintenance',
      scheduled_for: '2026-12-01T06:00:00.000Z',
      scheduled_until: '2026-12-01T10:00:00.000Z',
      low_impact_window: true,
      emergency: false,
      warnings: [],
    });
    expect(m.components.map((c: { somnet: { slug: string } }) => c.somnet.slug)).toEqual(['metepec-fibra']);
    expect(m.incident_updates).toHaveLength(1);
    expect(m.incident_updates[0]).toMatchObject({ status: 'scheduled', body: base.body, incident_id: m.id });
    expect(m.somnet.notice_hours).toBe(108);
    const got = await (await json('GET', `/api/v1/maintenances/${m.id}`)).json();
    expect(got.id).toBe(m.id);
  });

  it('accepts exactly 72 h of notice and refuses one second less with notice_too_short', async () => {
    const before = counts();
    const short = await json('POST', '/api/v1/maintenances', {
      ...base,
      scheduled_for: '2026-11-29T17:59:59Z',
      scheduled_until: '2026-11-29T19:00:00Z',
    });
    const body = await expectRefused(short, 422, 'notice_too_short', 'scheduled_for');
    expect(body.error.message).toMatch(/72 horas/);
    expect(counts()).toEqual(before);
    const exact = await json('POST', '/api/v1/maintenances', {
      ...base,
      scheduled_for: '2026-11-29T18:00:00Z',
      scheduled_until: '2026-11-29T19:00:00Z',
    });
    expect(exact.status).toBe(201);
  });

  it('measures notice on the instant, whatever offset the timestamp carries', async () => {
    // 2026-11-29T18:00:00Z written as +02:00 and −06:00: both exactly 72 h away.
    for (const scheduled_for of ['2026-11-29T20:00:00+02:00', '2026-11-29T12:00:00-06:00']) {
      const res = await json('POST', '/api/v1/maintenances', {
        ...base,
        scheduled_for,
        scheduled_until: '2026-11-29T20:00:00Z',
      });
      expect(res.status).toBe(201);
      expect((await res.json()).scheduled_for).toBe('2026-11-29T18:00:00.000Z');
    }
    const oneMinuteShort = await json('POST', '/api/v1/maintenances', {
      ...base,
      scheduled_for: '2026-11-29T19:59:00+02:00',
      scheduled_until: '2026-11-29T20:00:00Z',
    });
    await expectRefused(oneMinuteShort, 422, 'notice_too_short');
  });

  it('allows short notice for an emergency with a reason, and refuses an emergency without one', async () => {
    const before = counts();
    await expectRefused(
      await json('POST', '/api/v1/maintenances', {
        ...base,
        scheduled_for: '2026-11-27T06:00:00Z',
        scheduled_until: '2026-11-27T08:00:00Z',
        emergency: true,
      }),
      422,
      'emergency_reason_required',
      'emergency_reason',
    );
    await expectRefused(
      await json('POST', '/api/v1/maintenances', {
        ...base,
        scheduled_for: '2026-11-27T06:00:00Z',
        scheduled_until: '2026-11-27T08:00:00Z',
        emergency: true,
        emergency_reason: '   ',
      }),
      422,
      'emergency_reason_required',
    );
    expect(counts()).toEqual(before);
    const res = await json('POST', '/api/v1/maintenances', {
      ...base,
      scheduled_for: '2026-11-27T06:00:00Z',
      scheduled_until: '2026-11-27T08:00:00Z',
      emergency: true,
      emergency_reason: 'Tarjeta con fallas intermitentes; riesgo de caída total.',
    });
    expect(res.status).toBe(201);
    const m = await res.json();
    expect(m.emergency).toBe(true);
    expect(m.somnet.emergency_reason).toMatch(/Tarjeta/);
    // Published with 12 h of notice: it cannot stop being an emergency.
    await expectRefused(
      await json('PATCH', `/api/v1/maintenances/${m.id}`, { emergency: false }),
      422,
      'notice_too_short',
      'emergency',
    );
    const list = await (await json('GET', '/api/v1/maintenances')).json();
    expect(list.scheduled_maintenances.map((x: { id: string }) => x.id)).toContain(m.id);
  });

  it('starts an emergency window that begins now at once', async () => {
    const res = await json('POST', '/api/v1/maintenances', {
      ...base,
      components: ['san-mateo-atenco-fibra'],
      scheduled_for: '2026-11-26T12:00:00-06:00',
      scheduled_until: '2026-11-26T14:00:00-06:00',
      emergency: true,
      emergency_reason: 'Fibra dañada por obra; reparación inmediata.',
    });
    expect(res.status).toBe(201);
    const m = await res.json();
    expect(m.status).toBe('in_progress');
    expect(m.components[0].status).toBe('under_maintenance');
    expect(m.incident_updates.map((u: { status: string }) => u.status)).toEqual(['in_progress', 'scheduled']);
    // An emergency still cannot start in the past.
    await expectRefused(
      await json('POST', '/api/v1/maintenances', {
        ...base,
        scheduled_for: '2026-11-26T11:00:00-06:00',
        scheduled_until: '2026-11-26T14:00:00-06:00',
        emergency: true,
        emergency_reason: 'x',
      }),
      422,
      'validation_failed',
      'scheduled_for',
    );
  });

  it('accepts a window outside 00:00–04:00 with low_impact_window false and a warning', async () => {
    // Crossing midnight: 23:00–01:00 local.
    const res = await json('POST', '/api/v1/maintenances', {
      ...base,
      scheduled_for: '2026-12-01T23:00:00-06:00',
      scheduled_until: '2026-12-02T01:00:00-06:00',
    });
    expect(res.status).toBe(201);
    const m = await res.json();
    expect(m.low_impact_window).toBe(false);
    expect(m.warnings).toEqual([
      expect.objectContaining({ code: 'low_impact_window', message: expect.stringMatching(/bajo impacto/) }),
    ]);
    // Ending one minute after 04:00 is outside too; 00:00 in UTC (18:00 local) as well.
    const late = await (
      await json('POST', '/api/v1/maintenances', { ...base, scheduled_until: '2026-12-01T04:01:00-06:00' })
    ).json();
    expect(late.low_impact_window).toBe(false);
    const utcMidnight = await (
      await json('POST', '/api/v1/maintenances', {
        ...base,
        scheduled_for: '2026-12-02T00:00:00Z',
        scheduled_until: '2026-12-02T02:00:00Z',
      })
    ).json();
    expect(utcMidnight.low_impact_window).toBe(false);
    // The same local window written in UTC is inside.
    const inside = await (
      await json('POST', '/api/v1/maintenances', {
        ...base,
        scheduled_for: '2026-12-03T07:00:00Z',
        scheduled_until: '2026-12-03T10:00:00Z',
      })
    ).json();
    expect(inside.low_impact_window).toBe(true);
  });

  it('refuses bad windows, unknown components and timestamps without offset, writing nothing', async () => {
    const before = counts();
    await expectRefused(
      await json('POST', '/api/v1/maintenances', { ...base, scheduled_until: '2026-11-30T23:00:00-06:00' }),
      422,
      'invalid_window',
      'scheduled_until',
    );
    await expectRefused(
      await json('POST', '/api/v1/maintenances', { ...base, scheduled_until: base.scheduled_for }),
      422,
      'invalid_window',
    );
    await expectRefused(
      await json('POST', '/api/v1/maintenances', { ...base, scheduled_until: '2026-12-01T12:00:01-06:00' }),
      422,
      'window_too_long',
      'scheduled_until',
    );
    await expectRefused(
      await json('POST', '/api/v1/maintenances', { ...base, components: ['metepec-fibra', 'no-existe'] }),
      422,
      'unknown_component',
      'components.1',
    );
    await expectRefused(
      await json('POST', '/api/v1/maintenances', { ...base, components: [] }),
      422,
      'validation_failed',
      'components',
    );
    await expectRefused(
      await json('POST', '/api/v1/maintenances', { ...base, scheduled_for: '2026-12-01T00:00:00' }),
      422,
      'validation_failed',
      'scheduled_for',
    );
    await expectRefused(
      await json('POST', '/api/v1/maintenances', { ...base, impact_kind: 'catastrophe' }),
      422,
      'validation_failed',
      'impact_kind',
    );
    await expectRefused(await json('POST', '/api/v1/maintenances', { ...base, extra: 1 }), 422, 'validation_failed');
    await expectRefused(await json('POST', '/api/v1/maintenances', '{"name":'), 400, 'invalid_json');
    await expectRefused(await json('POST', '/api/v1/maintenances', ''), 400, 'empty_body');
    await expectRefused(await json('POST', '/api/v1/maintenances', base, {}), 401, 'unauthorized');
    const wrongType = await t.app.request('/api/v1/maintenances', {
      method: 'POST',
      headers: { ...t.auth, 'content-type': 'text/plain' },
      body: JSON.stringify(base),
    });
    await expectRefused(wrongType, 415, 'unsupported_media_type');
    expect(counts()).toEqual(before);
  });

  it('expands a group reference into its components', async () => {
    const m = await (
      await json('POST', '/api/v1/maintenances', { ...base, components: ['toluca', 'toluca-fibra'] })
    ).json();
    expect(m.components.map((c: { somnet: { slug: string } }) => c.somnet.slug)).toEqual([
      'toluca-fibra',
      'toluca-inalambrico',
    ]);
  });

  it('uses MAINTENANCE_MAX_HOURS from the configuration', async () => {
    const db2 = freshDb();
    const { app } = createApp({ db: db2, config: { ...testConfig, maintenanceMaxHours: 2 }, now: clock.now });
    const { token } = createApiToken(db2, 'x', clock.now());
    const post = (b: unknown) =>
      app.request('/api/v1/maintenances', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(b),
      });
    await expectRefused(await post({ ...base, scheduled_until: '2026-12-01T02:01:00-06:00' }), 422, 'window_too_long');
    expect((await post({ ...base, scheduled_until: '2026-12-01T02:00:00-06:00' })).status).toBe(201);
  });
});

describe('PATCH, updates and cancel', () => {
  it('reschedules keeping the history, bumps nothing it should not, and reports it in the timeline', async () => {
    const m = await (await json('POST', '/api/v1/maintenances', base)).json();
    const res = await json('PATCH', `/api/v1/maintenances/${m.id}`, {
      scheduled_for: '2026-12-08T00:00:00-06:00',
      scheduled_until: '2026-12-08T03:00:00-06:00',
      reschedule_reason: 'Llegada tardía del equipo.',
    });
    expect(res.status).toBe(200);
    const after = await res.json();
    expect(after.scheduled_for).toBe('2026-12-08T06:00:00.000Z');
    expect(after.somnet.reschedules).toEqual([
      expect.objectContaining({
        previous_for: '2026-12-01T06:00:00.000Z',
        previous_until: '2026-12-01T10:00:00.000Z',
        scheduled_for: '2026-12-08T06:00:00.000Z',
        scheduled_until: '2026-12-08T09:00:00.000Z',
        reason: 'Llegada tardía del equipo.',
      }),
    ]);
    expect(after.incident_updates[0].body).toMatch(/^Reprogramado\. Antes: 1 dic 2026, 00:00 – 1 dic 2026, 04:00/);
    expect(after.incident_updates[0].body).toMatch(/Llegada tardía/);
    // A plain edit is not a reschedule.
    const edited = await (
      await json('PATCH', `/api/v1/maintenances/${m.id}`, { name: 'Cambio de tarjetas (nodo Metepec)' })
    ).json();
    expect(edited.name).toBe('Cambio de tarjetas (nodo Metepec)');
    expect(edited.somnet.reschedules).toHaveLength(1);
  });

  it('refuses to bring a window forward inside 72 h, but lets it be postponed', async () => {
    const m = await (
      await json('POST', '/api/v1/maintenances', {
        ...base,
        scheduled_for: '2026-11-29T18:00:00Z',
        scheduled_until: '2026-11-29T19:00:00Z',
      })
    ).json();
    clock.advance(24 * 3_600_000);
    await expectRefused(
      await json('PATCH', `/api/v1/maintenances/${m.id}`, { scheduled_for: '2026-11-29T17:00:00Z' }),
      422,
      'notice_too_short',
    );
    // Moving later is fine even though it is now less than 72 h away.
    const later = await json('PATCH', `/api/v1/maintenances/${m.id}`, {
      scheduled_for: '2026-11-29T19:00:00Z',
      scheduled_until: '2026-11-29T20:00:00Z',
    });
    expect(later.status).toBe(200);
    await expectRefused(await json('PATCH', `/api/v1/maintenances/${m.id}`, {}), 422, 'validation_failed');
    await expectRefused(await json('PATCH', '/api/v1/maintenances/nope', { name: 'x' }), 404, 'not_found');
    clock.set('2026-11-26T18:00:00Z');
  });

  it('moves through in_progress → verifying → completed with NOC updates and refuses going back', async () => {
    const m = await (await json('POST', '/api/v1/maintenances', base)).json();
    await expectRefused(
      await json('POST', `/api/v1/maintenances/${m.id}/updates`, { status: 'completed', body: 'x' }),
      409,
      'invalid_transition',
      'status',
    );
    await expectRefused(
      await json('POST', `/api/v1/maintenances/${m.id}/updates`, { status: 'cancelled', body: 'x' }),
      422,
      'validation_failed',
      'status',
    );
    const started = await json('POST', `/api/v1/maintenances/${m.id}/updates`, {
      status: 'in_progress',
      body: 'Iniciamos antes: la cuadrilla ya está en sitio.',
    });
    expect(started.status).toBe(201);
    const s = await started.json();
    expect(s.status).toBe('in_progress');
    expect(s.incident_updates[0].affected_components).toEqual([
      expect.objectContaining({ old_status: 'operational', new_status: 'under_maintenance' }),
    ]);
    await expectRefused(
      await json('PATCH', `/api/v1/maintenances/${m.id}`, { auto_transition: false }),
      422,
      'already_started',
      'auto_transition',
    );
    await expectRefused(
      await json('PATCH', `/api/v1/maintenances/${m.id}`, { components: ['lerma-fibra'] }),
      422,
      'already_started',
      'components',
    );
    // Extending a window in progress is allowed, and recorded as a reschedule.
    const extended = await (
      await json('PATCH', `/api/v1/maintenances/${m.id}`, { scheduled_until: '2026-12-01T05:00:00-06:00' })
    ).json();
    expect(extended.somnet.reschedules).toHaveLength(1);
    expect(extended.status).toBe('in_progress');
    await expectRefused(
      await json('POST', `/api/v1/maintenances/${m.id}/updates`, { status: 'scheduled', body: 'x' }),
      409,
      'invalid_transition',
    );
    await expectRefused(
      await json('PATCH', `/api/v1/maintenances/${m.id}`, { scheduled_for: '2026-12-02T00:00:00-06:00' }),
      422,
      'already_started',
      'scheduled_for',
    );
    expect(
      (
        await (
          await json('POST', `/api/v1/maintenances/${m.id}/updates`, { status: 'verifying', body: 'Verificando.' })
        ).json()
      ).status,
    ).toBe('verifying');
    const done = await (
      await json('POST', `/api/v1/maintenances/${m.id}/updates`, { status: 'completed', body: 'Listo.' })
    ).json();
    expect(done.status).toBe('completed');
    expect(done.incident_updates[0].affected_components).toEqual([
      expect.objectContaining({ old_status: 'under_maintenance', new_status: 'operational' }),
    ]);
    await expectRefused(await json('POST', `/api/v1/maintenances/${m.id}/cancel`), 409, 'maintenance_closed');
    await expectRefused(await json('PATCH', `/api/v1/maintenances/${m.id}`, { name: 'x' }), 409, 'maintenance_closed');
  });

  it('cancels with or without an explanation', async () => {
    const a = await (await json('POST', '/api/v1/maintenances', base)).json();
    const cancelled = await json('POST', `/api/v1/maintenances/${a.id}/cancel`, {
      body: 'El proveedor aplazó la entrega.',
    });
    expect(cancelled.status).toBe(200);
    const c = await cancelled.json();
    expect(c.status).toBe('cancelled');
    expect(c.incident_updates[0]).toMatchObject({ status: 'cancelled', body: 'El proveedor aplazó la entrega.' });
    const b = await (await json('POST', '/api/v1/maintenances', base)).json();
    const plain = await t.app.request(`/api/v1/maintenances/${b.id}/cancel`, { method: 'POST', headers: t.auth });
    expect(plain.status).toBe(200);
    expect((await plain.json()).incident_updates[0].body).toBe('Mantenimiento cancelado.');
    await expectRefused(await json('POST', '/api/v1/maintenances/nope/cancel'), 404, 'not_found');
    await expectRefused(
      await json('POST', `/api/v1/maintenances/${b.id}/cancel`, { reason: 1 }),
      422,
      'validation_failed',
    );
  });
});

describe('MAINTENANCE_MAX_HOURS configuration', () => {
  it('defaults to 12 h and refuses values that are not whole hours between 1 and 168', async () => {
    const { loadConfig, ConfigError } = await import('../../api/config.ts');
    expect(loadConfig({}).maintenanceMaxHours).toBe(12);
    expect(loadConfig({ MAINTENANCE_MAX_HOURS: '6' }).maintenanceMaxHours).toBe(6);
    for (const bad of ['0', '169', '2.5', 'doce']) {
      expect(() => loadConfig({ MAINTENANCE_MAX_HOURS: bad })).toThrow(ConfigError);
    }
    expect(() => loadConfig({ MAINTENANCE_MAX_HOURS: 'doce' })).toThrow(/MAINTENANCE_MAX_HOURS/);
  });
});
