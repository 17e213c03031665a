import { Hono } from 'hono';
import { z } from 'zod';
import { replaceCoverage } from '../../db/commands/coverage.ts';
import { coverageTechnologies, ringProblem } from '../../db/domain/coverage.ts';
import { coverageAreaList, feasibilityRequestList } from '../../db/queries/index.ts';
import { requireToken } from '../auth.ts';
import type { AppDeps, Env } from '../context.ts';
import { parseJsonBody } from '../validate.ts';
import { PUBLIC_CACHE_CONTROL } from '../cache.ts';
import { CORS_HEADERS, limitBody, serveCached, tokenContext } from '../http.ts';

/** Real coverage polygons are bigger than the NOC's other bodies (64 KB). */
export const MAX_COVERAGE_BYTES = 2 * 1024 * 1024;

const position = z.array(z.number()).min(2).max(3);
const ring = z.array(position).superRefine((r, ctx) => {
  const problem = ringProblem(r);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
const polygon = z.strictObject({ type: z.literal('Polygon'), coordinates: z.array(ring).min(1, 'Un polígono necesita al menos su anillo exterior.') });
const multiPolygon = z.strictObject({ type: z.literal('MultiPolygon'), coordinates: z.array(z.array(ring).min(1)).min(1) });

/** RFC 7946 FeatureCollection of (Multi)Polygons, each tagged with its area and technology. */
const coverageCollection = z.object({
  type: z.literal('FeatureCollection', { error: 'Se esperaba un GeoJSON FeatureCollection.' }),
  features: z.array(z.object({
    type: z.literal('Feature'),
    geometry: z.discriminatedUnion('type', [polygon, multiPolygon], { error: 'La geometría debe ser Polygon o MultiPolygon.' }),
    properties: z.object({
      area: z.string().trim().min(1, 'Indique la zona (slug del grupo del catálogo, p. ej. metepec).'),
      technology: z.enum(coverageTechnologies, { error: 'La tecnología debe ser fiber o microwave.' }),
      locality: z.string().trim().min(1, 'Indique la localidad que se lista sin mapa.').max(120),
    }),
  })).min(1, 'Envíe al menos un área de cobertura.').max(2000),
});

/**
 * Coverage map data (NOC) and feasibility requests (NOC). Each route checks the token itself:
 * this module is mounted before /api/v1 so its body limit, not the 64 KB one, applies.
 */
export function coverageRoutes(deps: AppDeps) {
  const { db, now } = deps;
  const app = new Hono<Env>();
  const auth = requireToken(db, now);
  const limit = limitBody(MAX_COVERAGE_BYTES, 'El GeoJSON');

  const collection = () => {
    const { areas, demo } = coverageAreaList(db);
    return {
      type: 'FeatureCollection',
      demo,
      features: areas.map((a) => ({ type: 'Feature', geometry: a.geometry, properties: { area: a.areaSlug, technology: a.technology, locality: a.locality } })),
    };
  };

  // Public, for SOMNET's main site (somnet.com.mx/cobertura) to draw the same areas.
  app.options('/api/coverage.geojson', (c) => c.body(null, 204, CORS_HEADERS));
  app.get('/api/coverage.geojson', (c) =>
    serveCached(c, deps, '/api/coverage.geojson', () => ({
      body: JSON.stringify(collection()),
      headers: { 'content-type': 'application/geo+json; charset=utf-8', 'cache-control': PUBLIC_CACHE_CONTROL, ...CORS_HEADERS },
    })));

  app.get('/api/v1/coverage', auth, (c) => c.json(collection()));

  app.put('/api/v1/coverage', auth, limit, async (c) => {
    const input = await parseJsonBody(c, coverageCollection);
    const result = replaceCoverage(db, input.features.map((f) => ({
      area: f.properties.area, technology: f.properties.technology, locality: f.properties.locality, geometry: f.geometry,
    })), tokenContext(c, deps));
    return c.json({ features: result.count });
  });

  app.get('/api/v1/feasibility-requests', auth, (c) => {
    const rows = feasibilityRequestList(db);
    return c.json({
      feasibility_requests: rows.map((r) => ({
        id: r.id, company: r.company, contact_name: r.contactName, email: r.email, phone: r.phone,
        latitude: r.latitude, longitude: r.longitude, address: r.address, service: r.service,
        bandwidth: r.bandwidth, notes: r.notes, created_at: r.createdAt.toISOString(),
      })),
    }, 200, { 'cache-control': 'no-store' });
  });

  return app;
}
