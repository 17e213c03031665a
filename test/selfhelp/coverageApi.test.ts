import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { testApp } from '../support/db.ts';
import { coverageMap } from '#db/queries/index.ts';
import { MAX_COVERAGE_BYTES } from '../../api/routes/coverage.ts';
import { loadConfig } from '../../api/config.ts';

const ring = [
  [-99.7, 19.2],
  [-99.6, 19.2],
  [-99.6, 19.3],
  [-99.7, 19.3],
  [-99.7, 19.2],
];
const feature = (over: Record<string, unknown> = {}, props: Record<string, unknown> = {}) => ({
  type: 'Feature',
  geometry: { type: 'Polygon', coordinates: [ring] },
  properties: { area: 'toluca', technology: 'fiber', locality: 'Toluca oriente', ...props },
  ...over,
});
const collection = (...features: unknown[]) => ({ type: 'FeatureCollection', features });

describe('PUT /api/v1/coverage', () => {
  const t = testApp();
  const rowCount = () => t.db.get<{ n: number }>(sql`SELECT count(*) AS n FROM coverage_areas`)!.n;

  it('needs a bearer token', async () => {
    const res = await t.json('PUT', '/api/v1/coverage', collection(feature()), {});
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/Bearer/);
    const bad = await t.json('PUT', '/api/v1/coverage', collection(feature()), { authorization: 'Bearer nope' });
    expect(bad.status).toBe(401);
  });

  it('refuses a body that is not JSON', async () => {
    const res = await t.app.request('/api/v1/coverage', {
      method: 'PUT',
      headers: { ...t.auth, 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(res.status).toBe(415);
    const broken = await t.json('PUT', '/api/v1/coverage', '{"type":"FeatureCollection",');
    expect(broken.status).toBe(400);
    expect((await broken.json()).error.code).toBe('invalid_json');
  });

  it.each([
    ['not a FeatureCollection', { type: 'Feature', features: [] }, 'type'],
    ['no features', collection(), 'features'],
    [
      'a Point geometry',
      collection(feature({ geometry: { type: 'Point', coordinates: [-99.6, 19.2] } })),
      'features.0.geometry.type',
    ],
    [
      'an open ring',
      collection(feature({ geometry: { type: 'Polygon', coordinates: [ring.slice(0, 4)] } })),
      'features.0.geometry.coordinates.0',
    ],
    [
      'a ring of three positions',
      collection(feature({ geometry: { type: 'Polygon', coordinates: [[ring[0], ring[1], ring[0]]] } })),
      'features.0.geometry.coordinates.0',
    ],
    [
      'a latitude out of range',
      collection(
        feature({
          geometry: {
            type: 'Polygon',
            coordinates: [
              [
                [-99.7, 19.2],
                [-99.6, 99],
                [-99.6, 19.3],
                [-99.7, 19.2],
              ],
            ],
          },
        }),
      ),
      'features.0.geometry.coordinates.0',
    ],
    [
      'coordinates as strings',
      collection(
        feature({ geometry: { type: 'Polygon', coordinates: [ring.map(([x, y]) => [String(x), String(y)])] } }),
      ),
      'features.0.geometry.coordinates.0.0.0',
    ],
    ['an unknown technology', collection(feature({}, { technology: 'satellite' })), 'features.0.properties.technology'],
    ['a missing locality', collection(feature({}, { locality: '' })), 'features.0.properties.locality'],
    [
      'a MultiPolygon with an open ring',
      collection(feature({ geometry: { type: 'MultiPolygon', coordinates: [[ring], [ring.slice(0, 4)]] } })),
      'features.0.geometry.coordinates.1.0',
    ],
  ])('rejects %s with 422 naming the field, writing nothing', async (_name, body, path) => {
    const res = await t.json('PUT', '/api/v1/coverage', body);
    expect(res.status).toBe(422);
    const { error } = await res.json();
    expect(error.code).toBe('validation_failed');
    expect(error.fields.map((f: { path: string }) => f.path)).toContain(path);
    expect(error.fields.every((f: { message: string }) => f.message.length > 0)).toBe(true);
    expect(rowCount()).toBe(0);
  });

  it('rejects an area that is not in the catalogue, naming the feature', async () => {
    const res = await t.json('PUT', '/api/v1/coverage', collection(feature(), feature({}, { area: 'atlantida' })));
    expect(res.status).toBe(422);
    const { error } = await res.json();
    expect(error.code).toBe('unknown_area');
    expect(error.fields).toEqual([
      { path: 'features.1.properties.area', message: 'No existe la zona «atlantida» en el catálogo.' },
    ]);
    expect(rowCount()).toBe(0);
    expect(coverageMap(t.db).demo).toBe(true);
  });

  it('rejects a body over the limit with 413', async () => {
    const big = JSON.stringify(collection(feature({}, { locality: 'x'.repeat(MAX_COVERAGE_BYTES) })));
    const res = await t.json('PUT', '/api/v1/coverage', big);
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('payload_too_large');
  });

  it('accepts bodies bigger than the 64 KB of other NOC routes (real polygons are large)', async () => {
    const dense = Array.from({ length: 3000 }, (_, i) => [-99.7 + (i / 3000) * 0.1, 19.2 + Math.sin(i) * 0.001]);
    const bigRing = [...dense, [-99.6, 19.3], [-99.7, 19.3], dense[0]];
    const body = collection(feature({ geometry: { type: 'Polygon', coordinates: [bigRing] } }));
    expect(JSON.stringify(body).length).toBeGreaterThan(64 * 1024);
    const res = await t.json('PUT', '/api/v1/coverage', body);
    expect(res.status).toBe(200);
  });

  it('replaces all areas at once; the map and GET answer the new ones', async () => {
    const res = await t.json(
      'PUT',
      '/api/v1/coverage',
      collection(feature(), feature({}, { area: 'metepec', technology: 'microwave', locality: 'Metepec sur' })),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ features: 2 });
    expect(rowCount()).toBe(2);
    const view = coverageMap(t.db);
    expect(view.demo).toBe(false);
    expect(view.localities.fiber.map((l) => l.locality)).toEqual(['Toluca oriente']);
    expect(view.localities.microwave.map((l) => l.locality)).toEqual(['Metepec sur']);
    const got = await (await t.app.request('/api/v1/coverage', { headers: t.auth })).json();
    expect(got.demo).toBe(false);
    expect(got.features[1].properties).toEqual({ area: 'metepec', technology: 'microwave', locality: 'Metepec sur' });
    const audit = t.db.get<{ action: string; actor_name: string }>(
      sql`SELECT action, actor_name FROM audit_log WHERE action = 'coverage.replaced' ORDER BY id DESC LIMIT 1`,
    );
    expect(audit).toEqual({ action: 'coverage.replaced', actor_name: 'tests' });
  });

  it('the public GeoJSON follows the upload: cached with an ETag, 304, CORS open, no token', async () => {
    const first = await t.app.request('/api/coverage.geojson');
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/geo+json; charset=utf-8');
    expect(first.headers.get('access-control-allow-origin')).toBe('*');
    const body = await first.json();
    expect(body.demo).toBe(false);
    expect(body.features.map((f: { properties: { locality: string } }) => f.properties.locality)).toEqual([
      'Toluca oriente',
      'Metepec sur',
    ]);
    const etag = first.headers.get('etag')!;
    expect((await t.app.request('/api/coverage.geojson', { headers: { 'if-none-match': etag } })).status).toBe(304);
    await t.json('PUT', '/api/v1/coverage', collection(feature({}, { locality: 'Toluca norte' })));
    const after = await t.app.request('/api/coverage.geojson', { headers: { 'if-none-match': etag } });
    expect(after.status).toBe(200);
    expect((await after.json()).features[0].properties.locality).toBe('Toluca norte');
    await t.json(
      'PUT',
      '/api/v1/coverage',
      collection(feature(), feature({}, { area: 'metepec', technology: 'microwave', locality: 'Metepec sur' })),
    );
  });

  it('the map shows the live status of the area and technology', async () => {
    await t.json('POST', '/api/v1/incidents', {
      name: 'Corte',
      status: 'identified',
      impact: 'critical',
      body: 'Corte de fibra.',
      components: { 'toluca-fibra': 'major_outage' },
    });
    const view = coverageMap(t.db);
    expect(view.statuses['toluca:fiber'].status).toBe('major_outage');
    expect(view.statuses['metepec:microwave'].status).toBe('operational');
  });
});

describe('GET /api/v1/coverage before any upload', () => {
  it('returns the demo polygons, marked as demo', async () => {
    const t = testApp();
    const got = await (await t.app.request('/api/v1/coverage', { headers: t.auth })).json();
    expect(got.demo).toBe(true);
    expect(got.features).toHaveLength(10);
    expect((await t.app.request('/api/v1/coverage')).status).toBe(401);
  });
});

describe('MAP_TILE_URL configuration', () => {
  it('is optional, takes a {z}/{x}/{y} template and refuses anything else with one line', () => {
    expect(loadConfig({}).mapTileUrl).toBeUndefined();
    expect(loadConfig({ MAP_TILE_URL: 'https://tiles.example.mx/{z}/{x}/{y}.png' }).mapTileUrl).toBe(
      'https://tiles.example.mx/{z}/{x}/{y}.png',
    );
    expect(() => loadConfig({ MAP_TILE_URL: 'https://tiles.example.mx/tile.png' })).toThrow(
      /MAP_TILE_URL debe ser una URL https:\/\/ de teselas/,
    );
    expect(() => loadConfig({ MAP_TILE_URL: 'ftp://x/{z}/{x}/{y}' })).toThrow(/MAP_TILE_URL/);
  });
  it('drives the map view, with OpenStreetMap and its attribution by default', () => {
    const t = testApp();
    expect(coverageMap(t.db).tiles.url).toBe('https://tile.openstreetmap.org/{z}/{x}/{y}.png');
    expect(coverageMap(t.db).tiles.attribution).toContain('OpenStreetMap');
    expect(coverageMap(t.db, { tileUrl: 'https://t.example/{z}/{x}/{y}.png' }).tiles.url).toBe(
      'https://t.example/{z}/{x}/{y}.png',
    );
  });
});
