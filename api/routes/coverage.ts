import { Hono } from 'hono';
import { coverageInput, replaceCoverage } from '#db/commands/coverage.ts';
import { coverageAreaList, feasibilityRequestList } from '#db/queries/index.ts';
import { requireToken } from '../auth.ts';
import type { AppDeps, Env } from '../context.ts';
import { scopeGuard } from '../scopes.ts';
import { commandInput } from '../validate.ts';
import { PUBLIC_CACHE_CONTROL } from '../cache.ts';
import { CORS_HEADERS, limitBody, serveCached, tokenContext } from '../http.ts';

/** Real coverage polygons are bigger than the NOC's other bodies (64 KB). */
export const MAX_COVERAGE_BYTES = 2 * 1024 * 1024;

/**
 * Coverage map data (NOC) and feasibility requests (NOC). Each route checks the token itself:
 * this module is mounted before /api/v1 so its body limit, not the 64 KB one, applies.
 */
export function coverageRoutes(deps: AppDeps) {
  const { db, now } = deps;
  const app = new Hono<Env>();
  const auth = requireToken(db, now);
  const needs = scopeGuard(deps);
  const limit = limitBody(MAX_COVERAGE_BYTES, 'El GeoJSON');

  const collection = () => {
    const { areas, demo } = coverageAreaList(db);
    return {
      type: 'FeatureCollection',
      demo,
      features: areas.map((a) => ({
        type: 'Feature',
        geometry: a.geometry,
        properties: { area: a.areaSlug, technology: a.technology, locality: a.locality },
      })),
    };
  };

  // Public, for SOMNET's main site (somnet.com.mx/cobertura) to draw the same areas.
  app.options('/api/coverage.geojson', (c) => c.body(null, 204, CORS_HEADERS));
  app.get('/api/coverage.geojson', (c) =>
    serveCached(c, deps, '/api/coverage.geojson', () => ({
      body: JSON.stringify(collection()),
      headers: {
        'content-type': 'application/geo+json; charset=utf-8',
        'cache-control': PUBLIC_CACHE_CONTROL,
        ...CORS_HEADERS,
      },
    })),
  );

  app.get('/api/v1/coverage', auth, needs('catalogue'), (c) => c.json(collection()));

  app.put('/api/v1/coverage', auth, needs('catalogue'), limit, async (c) => {
    const result = replaceCoverage(db, await commandInput(c, coverageInput), tokenContext(c, deps));
    return c.json({ features: result.count });
  });

  app.get('/api/v1/feasibility-requests', auth, needs('services'), (c) => {
    const rows = feasibilityRequestList(db);
    return c.json(
      {
        feasibility_requests: rows.map((r) => ({
          id: r.id,
          company: r.company,
          contact_name: r.contactName,
          email: r.email,
          phone: r.phone,
          latitude: r.latitude,
          longitude: r.longitude,
          address: r.address,
          service: r.service,
          bandwidth: r.bandwidth,
          notes: r.notes,
          created_at: r.createdAt.toISOString(),
        })),
      },
      200,
      { 'cache-control': 'no-store' },
    );
  });

  return app;
}
