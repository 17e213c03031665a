import { beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { testApp } from '../support/db.ts';
import { auditLog, componentStatusEvents } from '#db/schema/index.ts';

type T = ReturnType<typeof testApp>;
let t: T;
beforeEach(() => {
  t = testApp();
});

/** Row counts of every table: a failed request must leave them all unchanged. */
function counts(db: T['db']): Record<string, number> {
  const tables = db.all<{ name: string }>(
    sql`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%'`,
  );
  return Object.fromEntries(
    tables.map(({ name }) => [name, db.get<{ n: number }>(sql.raw(`SELECT count(*) AS n FROM "${name}"`))!.n]),
  );
}

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = await res.json();
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  return body.error as { code: string; message: string; fields?: Array<{ path: string; message: string }> };
}

const incident = {
  name: 'Corte de fibra en Metepec',
  status: 'identified',
  body: 'Cuadrilla en camino al punto del corte.',
  cause: 'Corte de fibra por obra civil',
  eta: '2026-11-26T18:00:00-06:00',
  components: { 'metepec-fibra': 'major_outage', 'metepec-inalambrico': 'degraded_performance' },
};

describe('authentication', () => {
  it('refuses a missing or wrong token with 401 and writes nothing', async () => {
    const before = counts(t.db);
    await expectError(await t.json('POST', '/api/v1/incidents', incident, {}), 401, 'unauthorized');
    const res = await t.json('POST', '/api/v1/incidents', incident, { authorization: 'Bearer snt_wrong' });
    await expectError(res, 401, 'unauthorized');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    await expectError(
      await t.json('GET', '/api/v1/components', undefined, { authorization: 'Basic abc' }),
      401,
      'unauthorized',
    );
    expect(counts(t.db)).toEqual(before);
  });
});

describe('POST /api/v1/incidents', () => {
  it('creates the incident, its first update, transitions and status events; answers v2 JSON', async () => {
    const res = await t.json('POST', '/api/v1/incidents', incident);
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toMatchObject({
      name: incident.name,
      status: 'identified',
      impact: 'critical',
      resolved_at: null,
      page_id: 'somnet',
      started_at: '2026-11-26T18:00:00.000Z',
      shortlink: `https://status.example.test/incidentes/${body.id}`,
      somnet: {
        cause: incident.cause,
        eta: '2026-11-27T00:00:00.000Z',
        status_label: 'Identificado',
        impact_label: 'Alta',
      },
    });
    expect(body.incident_updates).toHaveLength(1);
    const update = body.incident_updates[0];
    expect(update).toMatchObject({
      status: 'identified',
      body: incident.body,
      incident_id: body.id,
      deliver_notifications: true,
    });
    expect(update.affected_components).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'Metepec · Fibra óptica',
          old_status: 'operational',
          new_status: 'major_outage',
        }),
        expect.objectContaining({
          name: 'Metepec · Inalámbrico (microondas)',
          old_status: 'operational',
          new_status: 'degraded_performance',
        }),
      ]),
    );
    expect(body.components.map((c: { somnet: { slug: string } }) => c.somnet.slug)).toEqual([
      'metepec-fibra',
      'metepec-inalambrico',
    ]);
    const comps = await (await t.json('GET', '/api/v1/components')).json();
    const fibra = comps.components.find((c: { somnet: { slug: string } }) => c.somnet.slug === 'metepec-fibra');
    expect(fibra.status).toBe('major_outage');
    const events = t.db
      .select()
      .from(componentStatusEvents)
      .where(sql`cause_kind = 'incident'`)
      .all();
    expect(events).toHaveLength(2);
    expect(events.every((e) => e.causeId === body.id)).toBe(true);
    const audit = t.db
      .select()
      .from(auditLog)
      .where(sql`action = 'incident.create'`)
      .all();
    expect(audit).toEqual([expect.objectContaining({ actorKind: 'token', actorName: 'tests', subjectId: body.id })]);
  });

  it('derives the impact from the worst component status when not given (manual 1.3)', async () => {
    // «Baja velocidad» is a degradation of the service: Media (major), answered within 2 hours.
    const res = await t.json('POST', '/api/v1/incidents', {
      name: 'Lentitud',
      status: 'investigating',
      body: 'Revisando',
      components: { 'toluca-fibra': 'degraded_performance' },
    });
    expect((await res.json()).impact).toBe('major');
    const down = await t.json('POST', '/api/v1/incidents', {
      name: 'Corte',
      status: 'investigating',
      body: 'Revisando',
      components: { 'toluca-inalambrico': 'major_outage', 'lerma-fibra': 'partial_outage' },
    });
    expect((await down.json()).impact).toBe('critical');
    const none = await t.json('POST', '/api/v1/incidents', {
      name: 'Aviso',
      status: 'investigating',
      body: 'Sin afectación',
    });
    expect((await none.json()).impact).toBe('none');
  });

  it('accepts components by id as well as slug, and started_at in the past', async () => {
    const comps = await (await t.json('GET', '/api/v1/components')).json();
    const id = comps.components[0].id;
    const res = await t.json('POST', '/api/v1/incidents', {
      ...incident,
      components: { [id]: 'partial_outage' },
      started_at: '2026-11-26T11:30:00-06:00',
    });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body.components[0].id).toBe(id);
    expect(body.started_at).toBe('2026-11-26T17:30:00.000Z');
  });

  const invalid: Array<[string, unknown, string]> = [
    ['unknown component', { ...incident, components: { 'no-existe': 'major_outage' } }, 'components.no-existe'],
    ['invalid status enum', { ...incident, status: 'broken' }, 'status'],
    ['invalid component status', { ...incident, components: { 'metepec-fibra': 'down' } }, 'components.metepec-fibra'],
    ['invalid impact', { ...incident, impact: 'huge' }, 'impact'],
    ['timestamp without offset', { ...incident, eta: '2026-11-26T18:00:00' }, 'eta'],
    ['not a timestamp', { ...incident, started_at: 'ayer' }, 'started_at'],
    ['empty name', { ...incident, name: '   ' }, 'name'],
    ['missing body', { name: 'x', status: 'investigating' }, 'body'],
    ['unknown field', { ...incident, compnents: {} }, 'compnents'],
    ['future start', { ...incident, started_at: '2027-01-01T00:00:00Z' }, 'started_at'],
  ];
  for (const [what, payload, path] of invalid) {
    it(`rejects ${what} with 422, the field path, and writes nothing`, async () => {
      const before = counts(t.db);
      const error = await expectError(
        await t.json('POST', '/api/v1/incidents', payload),
        422,
        what === 'unknown component' ? 'unknown_component' : 'validation_failed',
      );
      expect(error.fields?.map((f) => f.path)).toContain(path);
      expect(counts(t.db)).toEqual(before);
    });
  }

  it('rejects malformed and empty bodies with 400, wrong content type with 415, oversize with 413', async () => {
    const before = counts(t.db);
    await expectError(await t.json('POST', '/api/v1/incidents', '{"name": '), 400, 'invalid_json');
    await expectError(await t.json('POST', '/api/v1/incidents', '[1,2]'), 400, 'invalid_json');
    await expectError(await t.json('POST', '/api/v1/incidents', ''), 400, 'empty_body');
    await expectError(
      await t.app.request('/api/v1/incidents', {
        method: 'POST',
        headers: { ...t.auth, 'content-type': 'text/plain' },
        body: JSON.stringify(incident),
      }),
      415,
      'unsupported_media_type',
    );
    await expectError(
      await t.app.request('/api/v1/incidents', { method: 'POST', headers: t.auth, body: JSON.stringify(incident) }),
      415,
      'unsupported_media_type',
    );
    const big = { ...incident, body: 'x'.repeat(70 * 1024) };
    await expectError(await t.json('POST', '/api/v1/incidents', big), 413, 'payload_too_large');
    expect(counts(t.db)).toEqual(before);
  });
});

describe('incident updates', () => {
  async function create() {
    return (await (await t.json('POST', '/api/v1/incidents', incident)).json()) as {
      id: string;
      incident_updates: Array<{ id: string; body: string; status: string }>;
    };
  }

  it('appends updates newest first and moves components with transitions', async () => {
    const { id } = await create();
    t.clock.advance(10 * 60_000);
    const res = await t.json('POST', `/api/v1/incidents/${id}/updates`, {
      status: 'monitoring',
      body: 'Fibra empalmada; monitoreando.',
      components: { 'metepec-fibra': 'degraded_performance' },
    });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body.status).toBe('monitoring');
    expect(body.monitoring_at).toBe('2026-11-26T18:10:00.000Z');
    expect(body.incident_updates.map((u: { status: string }) => u.status)).toEqual(['monitoring', 'identified']);
    expect(body.incident_updates[0].affected_components).toEqual([
      expect.objectContaining({
        name: 'Metepec · Fibra óptica',
        old_status: 'major_outage',
        new_status: 'degraded_performance',
      }),
    ]);
    // Cause and ETA carry over when an update does not restate them.
    expect(body.somnet.cause).toBe(incident.cause);
  });

  it('resolving sets resolved_at and returns the incident components to service', async () => {
    const { id } = await create();
    t.clock.advance(90 * 60_000);
    const res = await t.json('POST', `/api/v1/incidents/${id}/updates`, {
      status: 'resolved',
      body: 'Servicio restablecido.',
    });
    const body = await res.json();
    expect(body.status).toBe('resolved');
    expect(body.resolved_at).toBe('2026-11-26T19:30:00.000Z');
    expect(body.incident_updates[0].affected_components.map((c: { new_status: string }) => c.new_status)).toEqual([
      'operational',
      'operational',
    ]);
    const comps = await (await t.json('GET', '/api/v1/components')).json();
    expect(comps.components.every((c: { status: string }) => c.status === 'operational')).toBe(true);
  });

  it('resolving leaves a component held by another open incident', async () => {
    const a = await create();
    await t.json('POST', '/api/v1/incidents', {
      name: 'Falla eléctrica en nodo Metepec',
      status: 'investigating',
      body: 'Revisando',
      components: { 'metepec-fibra': 'major_outage' },
    });
    const body = await (
      await t.json('POST', `/api/v1/incidents/${a.id}/updates`, { status: 'resolved', body: 'Corte reparado' })
    ).json();
    expect(
      body.incident_updates[0].affected_components.map((c: { code: string; new_status: string }) => c.new_status),
    ).toEqual(['operational']);
    const comps = await (await t.json('GET', '/api/v1/components')).json();
    expect(comps.components.find((c: { somnet: { slug: string } }) => c.somnet.slug === 'metepec-fibra').status).toBe(
      'major_outage',
    );
  });

  it('404 for an unknown incident, 422 for invalid input, nothing written', async () => {
    const { id } = await create();
    const before = counts(t.db);
    await expectError(
      await t.json('POST', '/api/v1/incidents/nope/updates', { status: 'resolved', body: 'x' }),
      404,
      'not_found',
    );
    await expectError(
      await t.json('POST', `/api/v1/incidents/${id}/updates`, { status: 'resolved' }),
      422,
      'validation_failed',
    );
    await expectError(
      await t.json('POST', `/api/v1/incidents/${id}/updates`, {
        status: 'resolved',
        body: 'x',
        components: { 'metepec-fibra': 'operational', ghost: 'operational' },
      }),
      422,
      'unknown_component',
    );
    expect(counts(t.db)).toEqual(before);
  });

  it('PATCH edits name, impact, cause and eta only', async () => {
    const { id } = await create();
    const res = await t.json('PATCH', `/api/v1/incidents/${id}`, {
      name: 'Corte de fibra troncal en Metepec',
      impact: 'major',
      cause: null,
      eta: '2026-11-26T20:00:00Z',
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({
      name: 'Corte de fibra troncal en Metepec',
      impact: 'major',
      somnet: { cause: null, eta: '2026-11-26T20:00:00.000Z' },
    });
    await expectError(await t.json('PATCH', `/api/v1/incidents/${id}`, {}), 422, 'validation_failed');
    await expectError(
      await t.json('PATCH', `/api/v1/incidents/${id}`, { status: 'resolved' }),
      422,
      'validation_failed',
    );
    await expectError(await t.json('PATCH', '/api/v1/incidents/zzz', { name: 'x' }), 404, 'not_found');
    expect((await (await t.json('GET', `/api/v1/incidents/${id}`)).json()).name).toBe(
      'Corte de fibra troncal en Metepec',
    );
  });

  it("PATCH /incidents/:id/updates/:update_id corrects an update's text only, audited with before and after", async () => {
    const {
      id,
      incident_updates: [first],
    } = await create();
    const res = await t.json('PATCH', `/api/v1/incidents/${id}/updates/${first.id}`, {
      body: 'Cuadrilla en camino al tramo Metepec–Toluca.',
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.incident_updates[0]).toMatchObject({
      id: first.id,
      body: 'Cuadrilla en camino al tramo Metepec–Toluca.',
      status: first.status,
    });
    const audit = t.db.$client
      .prepare("SELECT details FROM audit_log WHERE action = 'incident.update_edit'")
      .all() as Array<{ details: string }>;
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0].details)).toEqual({
      updateId: first.id,
      before: first.body,
      after: 'Cuadrilla en camino al tramo Metepec–Toluca.',
    });
    const before = counts(t.db);
    await expectError(
      await t.json('PATCH', `/api/v1/incidents/${id}/updates/${first.id}`, { body: '' }),
      422,
      'validation_failed',
    );
    await expectError(
      await t.json('PATCH', `/api/v1/incidents/${id}/updates/${first.id}`, { body: 'x', status: 'resolved' }),
      422,
      'validation_failed',
    );
    await expectError(await t.json('PATCH', `/api/v1/incidents/${id}/updates/nope`, { body: 'x' }), 404, 'not_found');
    await expectError(
      await t.json('PATCH', `/api/v1/incidents/otro/updates/${first.id}`, { body: 'x' }),
      404,
      'not_found',
    );
    expect(counts(t.db)).toEqual(before);
  });
});

describe('catalogue API', () => {
  it('lists groups and components', async () => {
    const body = await (await t.json('GET', '/api/v1/components')).json();
    expect(body.groups.map((g: { name: string }) => g.name)).toEqual([
      'Toluca',
      'Metepec',
      'Zinacantepec',
      'Lerma',
      'San Mateo Atenco',
      'Servicios centrales',
    ]);
    expect(body.components).toHaveLength(14);
    expect((await (await t.json('GET', '/api/v1/groups')).json()).groups).toHaveLength(6);
  });

  it('creates and edits groups and components; status changes are events', async () => {
    const g = await t.json('POST', '/api/v1/groups', { name: 'Ocoyoacac', description: 'Nueva zona' });
    expect(g.status).toBe(201);
    const group = await g.json();
    expect(group).toMatchObject({ name: 'Ocoyoacac', group: true, components: [], somnet: { slug: 'ocoyoacac' } });
    const c = await t.json('POST', '/api/v1/components', {
      name: 'Fibra óptica',
      slug: 'ocoyoacac-fibra',
      group: 'ocoyoacac',
      position: 1,
    });
    expect(c.status).toBe(201);
    const component = await c.json();
    expect(component).toMatchObject({ name: 'Fibra óptica', group_id: group.id, status: 'operational', position: 1 });
    const p = await t.json('PATCH', '/api/v1/components/ocoyoacac-fibra', {
      status: 'partial_outage',
      description: 'Enlaces de fibra',
    });
    expect(await p.json()).toMatchObject({ status: 'partial_outage', description: 'Enlaces de fibra' });
    const events = t.db
      .select()
      .from(componentStatusEvents)
      .where(sql`component_id = ${component.id}`)
      .all();
    expect(events.map((e) => [e.previousStatus, e.status, e.causeKind])).toEqual([
      [null, 'operational', 'manual'],
      ['operational', 'partial_outage', 'manual'],
    ]);
    const pg = await t.json('PATCH', `/api/v1/groups/${group.id}`, { name: 'Ocoyoacac y Capulhuac', position: 7 });
    expect(await pg.json()).toMatchObject({ name: 'Ocoyoacac y Capulhuac', position: 7, components: [component.id] });
  });

  it('refuses duplicates, unknown groups and bad slugs without writing', async () => {
    const before = counts(t.db);
    await expectError(
      await t.json('POST', '/api/v1/components', { name: 'Otra', slug: 'toluca-fibra' }),
      409,
      'slug_taken',
    );
    await expectError(await t.json('POST', '/api/v1/components', { name: 'Otra', slug: 'toluca' }), 409, 'slug_taken');
    await expectError(await t.json('POST', '/api/v1/groups', { name: 'Toluca' }), 409, 'slug_taken');
    await expectError(
      await t.json('POST', '/api/v1/components', { name: 'Otra', group: 'atlantida' }),
      422,
      'unknown_group',
    );
    await expectError(
      await t.json('POST', '/api/v1/components', { name: 'Otra', slug: 'Con Espacios' }),
      422,
      'validation_failed',
    );
    await expectError(
      await t.json('PATCH', '/api/v1/components/toluca-fibra', { status: 'rota' }),
      422,
      'validation_failed',
    );
    await expectError(await t.json('PATCH', '/api/v1/components/no-existe', { name: 'x' }), 404, 'not_found');
    await expectError(await t.json('PATCH', '/api/v1/groups/no-existe', { name: 'x' }), 404, 'not_found');
    expect(counts(t.db)).toEqual(before);
  });

  it('unknown API routes are JSON 404s', async () => {
    await expectError(await t.json('GET', '/api/v1/nada'), 404, 'not_found');
    await expectError(await t.app.request('/api/v3/summary.json'), 404, 'not_found');
  });
});
