import { beforeEach, describe, expect, it } from 'vitest';
import { testApp } from '../support/db.ts';

let t: ReturnType<typeof testApp>;
beforeEach(() => {
  t = testApp();
});

const get = async (path: string, headers: Record<string, string> = {}) => t.app.request(path, { headers });
const componentKeys = [
  'id',
  'name',
  'status',
  'created_at',
  'updated_at',
  'position',
  'description',
  'showcase',
  'start_date',
  'group_id',
  'page_id',
  'group',
  'only_show_if_degraded',
  'somnet',
];
const incidentKeys = [
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
  'somnet',
];
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
];

async function postIncident(components: Record<string, string> = { 'lerma-fibra': 'partial_outage' }) {
  return (await (
    await t.json('POST', '/api/v1/incidents', {
      name: 'Intermitencia en Lerma',
      status: 'investigating',
      body: 'Revisando',
      components,
    })
  ).json()) as { id: string };
}

describe('Statuspage v2 documents', () => {
  it('summary.json has the exact Statuspage shape', async () => {
    await postIncident();
    const res = await get('/api/v2/summary.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = await res.json();
    expect(Object.keys(body).sort()).toEqual(['components', 'incidents', 'page', 'scheduled_maintenances', 'status']);
    expect(body.page).toEqual({
      id: 'somnet',
      name: 'SOMNET',
      url: 'https://status.example.test',
      time_zone: 'America/Mexico_City',
      updated_at: '2026-11-26T18:00:00.000Z',
    });
    expect(body.status).toEqual({ indicator: 'major', description: 'Interrupción parcial del servicio' });
    expect(body.scheduled_maintenances).toEqual([]);
    // Groups are components with group: true and the ids of their children; children follow their group.
    const [toluca, tolucaFibra] = body.components;
    expect(Object.keys(toluca).sort()).toEqual([...componentKeys, 'components'].sort());
    expect(toluca).toMatchObject({ name: 'Toluca', group: true, group_id: null });
    expect(toluca.components).toContain(tolucaFibra.id);
    expect(Object.keys(tolucaFibra).sort()).toEqual([...componentKeys].sort());
    expect(tolucaFibra).toMatchObject({
      name: 'Fibra óptica',
      group: false,
      group_id: toluca.id,
      page_id: 'somnet',
      showcase: true,
      only_show_if_degraded: false,
    });
    expect(body.components).toHaveLength(6 + 14);
    expect(body.incidents).toHaveLength(1);
    expect(Object.keys(body.incidents[0]).sort()).toEqual([...incidentKeys].sort());
    expect(Object.keys(body.incidents[0].incident_updates[0]).sort()).toEqual([...updateKeys].sort());
  });

  it('status.json, components.json, incidents.json and unresolved.json', async () => {
    const open = await postIncident();
    const closed = await postIncident({ 'toluca-fibra': 'major_outage' });
    await t.json('POST', `/api/v1/incidents/${closed.id}/updates`, { status: 'resolved', body: 'Listo' });
    const status = await (await get('/api/v2/status.json')).json();
    expect(Object.keys(status).sort()).toEqual(['page', 'status']);
    expect(status.status.indicator).toBe('major');
    const components = await (await get('/api/v2/components.json')).json();
    expect(Object.keys(components).sort()).toEqual(['components', 'page']);
    const all = await (await get('/api/v2/incidents.json')).json();
    expect(all.incidents.map((i: { id: string }) => i.id).sort()).toEqual([open.id, closed.id].sort());
    const unresolved = await (await get('/api/v2/incidents/unresolved.json')).json();
    expect(unresolved.incidents.map((i: { id: string }) => i.id)).toEqual([open.id]);
    for (const path of [
      'scheduled-maintenances.json',
      'scheduled-maintenances/upcoming.json',
      'scheduled-maintenances/active.json',
    ]) {
      const doc = await (await get(`/api/v2/${path}`)).json();
      expect(Object.keys(doc).sort()).toEqual(['page', 'scheduled_maintenances']);
    }
  });

  it('incidents.json keeps the 50 most recent, newest first', async () => {
    for (let i = 0; i < 53; i++) {
      t.clock.advance(60_000);
      await t.json('POST', '/api/v1/incidents', { name: `Aviso ${i}`, status: 'resolved', body: 'x' });
    }
    const body = await (await get('/api/v2/incidents.json')).json();
    expect(body.incidents).toHaveLength(50);
    expect(body.incidents[0].name).toBe('Aviso 52');
    expect(body.incidents[49].name).toBe('Aviso 3');
  });

  it('is open to other origins (CORS) for GET', async () => {
    const res = await get('/api/v2/summary.json', { origin: 'https://intranet.cliente.mx' });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const pre = await t.app.request('/api/v2/summary.json', {
      method: 'OPTIONS',
      headers: { origin: 'https://x.mx', 'access-control-request-method': 'GET' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-methods')).toContain('GET');
  });

  it('is rendered once, answers 304 to its ETag and changes on the next request after a write', async () => {
    const first = await get('/api/v2/status.json');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get('cache-control')).toMatch(/public/);
    const again = await get('/api/v2/status.json', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.text()).toBe('');
    await postIncident({ 'zinacantepec-fibra': 'major_outage' });
    const after = await get('/api/v2/status.json', { 'if-none-match': etag });
    expect(after.status).toBe(200);
    expect((await after.json()).status.indicator).toBe('critical');
  });

  it('sees writes made by another connection (the noc CLI) through data_version', async () => {
    const before = await (await get('/api/v2/status.json')).json();
    expect(before.status.indicator).toBe('none');
    const other = (await import('#db/client.ts')).openDatabase(t.db.$client.name);
    other.$client.prepare("UPDATE components SET status = 'degraded_performance' WHERE slug = 'lerma-fibra'").run();
    other.$client.close();
    expect((await (await get('/api/v2/status.json')).json()).status.indicator).toBe('minor');
  });

  it('serves gzip and brotli with per-encoding ETags', async () => {
    const br = await get('/api/v2/summary.json', { 'accept-encoding': 'gzip, br' });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('vary')).toBe('Accept-Encoding');
    const gz = await get('/api/v2/summary.json', { 'accept-encoding': 'gzip' });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gz.headers.get('etag')).not.toBe(br.headers.get('etag'));
    const none = await get('/api/v2/summary.json', { 'accept-encoding': 'br;q=0, gzip;q=0' });
    expect(none.headers.get('content-encoding')).toBeNull();
  });

  it('healthz answers once the database is open and migrated', async () => {
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    // Its whole answer is tested in test/ops/metrics.test.ts.
    expect(await res.json()).toMatchObject({ status: 'ok', database: { writable: true } });
    expect(res.headers.get('cache-control')).toBe('no-store');
  });
});
