import { afterAll, describe, expect, it } from 'vitest';
import { testApp } from '../support/db.ts';

// Every API error is `{ error: { code, message, fields? } }`, on every router, and no input
// reaches a 500: wrong methods, unknown paths and wrong JSON types included.
const t = testApp();
afterAll(() => t.db.$client.close());

async function expectErrorShape(res: Response, status?: number) {
  if (status !== undefined) expect(res.status).toBe(status);
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await res.json()) as {
    error: { code: string; message: string; fields?: Array<{ path: string; message: string }> };
  };
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error.code).toMatch(/^[a-z_]+$/);
  expect(body.error.message.length).toBeGreaterThan(0);
  for (const f of body.error.fields ?? []) expect(f).toEqual({ path: expect.any(String), message: expect.any(String) });
  return body.error;
}

describe('405 with Allow on every router', () => {
  const cases: Array<[string, string, string]> = [
    ['DELETE', '/api/v1/incidents', 'POST'],
    ['PUT', '/api/v1/components/toluca-fibra', 'GET, HEAD, PATCH'],
    ['DELETE', '/api/v1/groups', 'GET, HEAD, POST'],
    ['GET', '/api/v1/subscribers/import', 'POST, DELETE'], // DELETE /subscribers/:id matches too
    ['GET', '/api/v1/subscribers/unsubscribe', 'POST, DELETE'],
    ['POST', '/api/v1/subscribers.csv', 'GET, HEAD'],
    ['PUT', '/api/v1/maintenances', 'GET, HEAD, POST'],
    ['PATCH', '/api/v1/webhooks', 'GET, HEAD, POST'],
    ['POST', '/api/v1/coverage', 'GET, HEAD, PUT'],
    ['POST', '/api/v2/summary.json', 'GET, HEAD'],
    ['DELETE', '/api/coverage.geojson', 'GET, HEAD'],
    ['POST', '/healthz', 'GET, HEAD'],
  ];
  for (const [method, path, allow] of cases) {
    it(`${method} ${path} → 405, Allow: ${allow}`, async () => {
      const res = await t.app.request(path, { method, headers: t.auth });
      const error = await expectErrorShape(res, 405);
      expect(error.code).toBe('method_not_allowed');
      expect(res.headers.get('allow')).toBe(allow);
    });
  }

  it('an unknown API path stays a JSON 404 under every prefix', async () => {
    for (const path of [
      '/api/v1/nada',
      '/api/v2/nada.json',
      '/api/v1/webhooks/x/y/z',
      '/api/v1/maintenances/x/y/z',
      '/api/nada',
    ]) {
      await expectErrorShape(await t.app.request(path, { method: 'POST', headers: t.auth }), 404);
    }
  });
});

describe('wrong JSON types never reach a 500', () => {
  it('every write route answers a clean 4xx (or accepts) for each field given a wrong type', async () => {
    const inc = await (
      await t.json('POST', '/api/v1/incidents', { name: 'Base', status: 'investigating', body: 'x' })
    ).json();
    const mnt = await (
      await t.json('POST', '/api/v1/maintenances', {
        name: 'Base',
        body: 'x',
        scheduled_for: '2026-12-10T06:00:00Z',
        scheduled_until: '2026-12-10T09:00:00Z',
        components: ['toluca'],
      })
    ).json();
    expect(inc.id).toBeTruthy();
    expect(mnt.id).toBeTruthy();
    const routes: Array<[string, string, Record<string, unknown>]> = [
      [
        'POST',
        '/api/v1/components',
        { name: 'C', description: 'd', group: 'toluca', position: 3, status: 'operational' },
      ],
      [
        'PATCH',
        '/api/v1/components/toluca-fibra',
        { name: 'Fibra óptica', position: 1, status: 'operational', group: 'toluca' },
      ],
      ['POST', '/api/v1/groups', { name: 'G', description: 'd', position: 2 }],
      ['PATCH', '/api/v1/groups/toluca', { name: 'Toluca', position: 1 }],
      [
        'POST',
        '/api/v1/incidents',
        {
          name: 'I',
          status: 'identified',
          impact: 'major',
          body: 'b',
          cause: 'c',
          eta: '2026-11-27T00:00:00Z',
          started_at: '2026-11-26T00:00:00Z',
          components: { 'toluca-fibra': 'major_outage' },
          deliver_notifications: false,
        },
      ],
      [
        'POST',
        `/api/v1/incidents/${inc.id}/updates`,
        {
          status: 'monitoring',
          body: 'b',
          cause: 'c',
          eta: '2026-11-27T00:00:00Z',
          components: { 'metepec-fibra': 'degraded_performance' },
          deliver_notifications: false,
        },
      ],
      ['PATCH', `/api/v1/incidents/${inc.id}`, { name: 'n', impact: 'minor', cause: 'c', eta: '2026-11-27T00:00:00Z' }],
      ['POST', '/api/v1/subscribers', { email: 'a@empresa.mx', components: ['toluca-fibra'], customer_id: 'X1' }],
      [
        'POST',
        '/api/v1/subscribers/import',
        { confirmed: true, subscribers: [{ email: 't@empresa.mx', components: ['toluca'], customer_id: 'C' }] },
      ],
      [
        'POST',
        '/api/v1/maintenances',
        {
          name: 'M',
          body: 'b',
          scheduled_for: '2026-12-11T06:00:00Z',
          scheduled_until: '2026-12-11T09:00:00Z',
          components: ['toluca'],
          impact_kind: 'outage',
          auto_transition: true,
          emergency: false,
        },
      ],
      [
        'PATCH',
        `/api/v1/maintenances/${mnt.id}`,
        { name: 'x', scheduled_until: '2026-12-10T08:00:00Z', reschedule_reason: 'r' },
      ],
      ['POST', `/api/v1/maintenances/${mnt.id}/updates`, { status: 'scheduled', body: 'b' }],
      ['POST', '/api/v1/webhooks', { url: 'https://example.com/h', components: ['toluca'], description: 'd' }],
      ['PUT', '/api/v1/coverage', { type: 'FeatureCollection', features: [] }],
    ];
    const wrong: unknown[] = [
      null,
      12345,
      -1.5,
      true,
      [],
      {},
      [null],
      { x: 1 },
      '',
      '2026-13-45T99:00:00Z',
      2 ** 53 + 1,
    ];
    let refused = 0;
    for (const [method, path, body] of routes) {
      for (const field of Object.keys(body)) {
        for (const value of wrong) {
          const res = await t.json(method, path, { ...body, [field]: value });
          expect(res.status, `${method} ${path} ${field}=${JSON.stringify(value)}`).toBeLessThan(500);
          if (res.status >= 400) {
            await expectErrorShape(res);
            refused++;
          } else await res.body?.cancel();
        }
      }
      for (const raw of ['[]', 'null', '1', '"x"', '{"a":', '{}']) {
        const res = await t.json(method, path, raw);
        if (res.status >= 400 || raw !== '{}') await expectErrorShape(res);
        else await res.body?.cancel();
      }
    }
    expect(refused).toBeGreaterThan(300);
  });
});
