import { describe, expect, it } from 'vitest';
import { testApp } from '../support/db.ts';

const t = testApp();
const { json, app, clock } = t;

const get = async (path: string) => {
  const res = await app.request(path);
  expect(res.status).toBe(200);
  expect(res.headers.get('access-control-allow-origin')).toBe('*');
  return res.json();
};

const maintenanceKeys = [
  'id',
  'name',
  'status',
  'created_at',
  'updated_at',
  'monitoring_at',
  'resolved_at',
  'impact',
  'shortlink',
  'started_at',
  'page_id',
  'incident_updates',
  'components',
  'scheduled_for',
  'scheduled_until',
  'somnet',
].sort();
const updateKeys = [
  'id',
  'status',
  'body',
  'incident_id',
  'created_at',
  'updated_at',
  'display_at',
  'affected_components',
  'deliver_notifications',
  'somnet',
].sort();

async function create(name: string, from: string, until: string, components: string[]) {
  const res = await json('POST', '/api/v1/maintenances', {
    name,
    body: `${name}.`,
    scheduled_for: from,
    scheduled_until: until,
    components,
  });
  expect(res.status).toBe(201);
  return (await res.json()).id as string;
}

describe('Statuspage v2 scheduled maintenances', () => {
  it('answers empty lists in the right shape before any maintenance exists', async () => {
    for (const path of [
      'scheduled-maintenances.json',
      'scheduled-maintenances/upcoming.json',
      'scheduled-maintenances/active.json',
    ]) {
      const doc = await get(`/api/v2/${path}`);
      expect(Object.keys(doc).sort()).toEqual(['page', 'scheduled_maintenances']);
      expect(doc.scheduled_maintenances).toEqual([]);
    }
    expect((await get('/api/v2/summary.json')).status.indicator).toBe('none');
  });

  it('lists upcoming, active and recent windows with the exact Statuspage fields', async () => {
    const soon = await create('Ventana Metepec', '2026-12-01T00:00:00-06:00', '2026-12-01T02:00:00-06:00', [
      'metepec-fibra',
    ]);
    const later = await create('Ventana Lerma', '2026-12-10T00:00:00-06:00', '2026-12-10T02:00:00-06:00', [
      'lerma-fibra',
    ]);
    const dropped = await create('Ventana cancelada', '2026-12-12T00:00:00-06:00', '2026-12-12T02:00:00-06:00', [
      'toluca-fibra',
    ]);
    expect((await json('POST', `/api/v1/maintenances/${dropped}/cancel`)).status).toBe(200);

    let upcoming = (await get('/api/v2/scheduled-maintenances/upcoming.json')).scheduled_maintenances;
    expect(upcoming.map((m: { id: string }) => m.id)).toEqual([soon, later]);
    const m = upcoming[0];
    expect(Object.keys(m).sort()).toEqual(maintenanceKeys);
    expect(m).toMatchObject({
      status: 'scheduled',
      impact: 'maintenance',
      page_id: 'somnet',
      monitoring_at: null,
      resolved_at: null,
      scheduled_for: '2026-12-01T06:00:00.000Z',
      scheduled_until: '2026-12-01T08:00:00.000Z',
      shortlink: `https://status.example.test/mantenimiento/${soon}`,
    });
    expect(Object.keys(m.incident_updates[0]).sort()).toEqual(updateKeys);
    expect(m.components[0]).toMatchObject({ name: 'Fibra óptica', status: 'operational', group: false });

    // Start the first one: it moves from upcoming to active, and the page indicator says maintenance.
    clock.set('2026-12-01T06:00:00Z');
    expect(
      (await json('POST', `/api/v1/maintenances/${soon}/updates`, { status: 'in_progress', body: 'Iniciado.' })).status,
    ).toBe(201);
    upcoming = (await get('/api/v2/scheduled-maintenances/upcoming.json')).scheduled_maintenances;
    expect(upcoming.map((x: { id: string }) => x.id)).toEqual([later]);
    const active = (await get('/api/v2/scheduled-maintenances/active.json')).scheduled_maintenances;
    expect(active.map((x: { id: string; status: string }) => [x.id, x.status])).toEqual([[soon, 'in_progress']]);
    expect(active[0].incident_updates[0].affected_components).toEqual([
      expect.objectContaining({ old_status: 'operational', new_status: 'under_maintenance' }),
    ]);

    const all = (await get('/api/v2/scheduled-maintenances.json')).scheduled_maintenances;
    expect(all.map((x: { id: string }) => x.id)).toEqual([later, soon]);
    expect(all.map((x: { id: string }) => x.id)).not.toContain(dropped);

    const summary = await get('/api/v2/summary.json');
    expect(summary.scheduled_maintenances.map((x: { id: string }) => x.id)).toEqual([later, soon]);
    expect(summary.status).toEqual({ indicator: 'maintenance', description: 'Mantenimiento en curso' });
    expect((await get('/api/v2/status.json')).status.indicator).toBe('maintenance');
  });

  it('lets anything worse than maintenance win the indicator', async () => {
    const res = await json('POST', '/api/v1/incidents', {
      name: 'Corte en Toluca',
      status: 'identified',
      body: 'Cuadrilla en camino.',
      components: { 'toluca-fibra': 'partial_outage' },
    });
    expect(res.status).toBe(201);
    const summary = await get('/api/v2/summary.json');
    expect(summary.status.indicator).toBe('major');
    expect(summary.scheduled_maintenances.length).toBe(2);
  });

  it('says maintenance while a window without automatic transitions is open', async () => {
    const t2 = testApp();
    const res = await t2.json('POST', '/api/v1/maintenances', {
      name: 'Revisión sin corte',
      body: 'Sin afectación.',
      scheduled_for: '2026-12-01T00:00:00-06:00',
      scheduled_until: '2026-12-01T02:00:00-06:00',
      components: ['portal-clientes'],
      auto_transition: false,
      impact_kind: 'no_impact',
    });
    const { id } = await res.json();
    expect(
      (await t2.json('POST', `/api/v1/maintenances/${id}/updates`, { status: 'in_progress', body: 'Iniciado.' }))
        .status,
    ).toBe(201);
    const summary = await (await t2.app.request('/api/v2/summary.json')).json();
    expect(summary.components.every((c: { status: string }) => c.status === 'operational')).toBe(true);
    expect(summary.status.indicator).toBe('maintenance');
  });
});
