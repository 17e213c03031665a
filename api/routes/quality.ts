// Network quality: the NOC's API (push samples, the Prometheus mapping, thresholds;
// bearer token) and the public files beside /calidad/:area (JSON, CSV).
import { Hono } from 'hono';
import {
  pushQualitySamples,
  qualityPushInput,
  qualitySourcesInput,
  qualityThresholdsInput,
  replaceQualitySources,
  replaceQualityThresholds,
} from '#db/commands/quality.ts';
import {
  areaQuality,
  componentCatalogue,
  qualitySourcesDocument,
  qualityThresholdsDocument,
} from '#db/queries/index.ts';
import { requireToken } from '../auth.ts';
import { scopeGuard } from '../scopes.ts';
import { PUBLIC_CACHE_CONTROL } from '../cache.ts';
import type { AppDeps, Env } from '../context.ts';
import { CORS_HEADERS, limitBody, MAX_BODY_BYTES, serveCached, tokenContext, type Rendering } from '../http.ts';
import { qualityCsv, qualityJson, qualitySourcesStatus } from '../render/quality.ts';
import { commandInput } from '../validate.ts';

/** 10,000 samples as `["2026-12-07T10:00:00-06:00", 12.3]` are about 400 KB; room for long component names. */
export const MAX_QUALITY_BODY_BYTES = 2 * 1024 * 1024;

/** /api/v1/quality…, mounted before the NOC routes so the push's body limit, not the 64 KB one, applies. */
export function qualityRoutes(deps: AppDeps) {
  const { db, now } = deps;
  const app = new Hono<Env>();
  const needs = scopeGuard(deps);
  app.use('*', requireToken(db, now));
  app.post('/', needs('quality'), limitBody(MAX_QUALITY_BODY_BYTES, 'El envío de calidad'), async (c) => {
    const result = pushQualitySamples(db, await commandInput(c, qualityPushInput), tokenContext(c, deps));
    return c.json({ accepted: result.samples, series: result.series });
  });
  const small = limitBody(MAX_BODY_BYTES);
  app.get('/sources', needs('quality'), (c) =>
    c.json({ sources: qualitySourcesDocument(db), status: qualitySourcesStatus(db, deps.config.prometheusUrl) }, 200, {
      'cache-control': 'no-store',
    }),
  );
  app.put('/sources', needs('quality'), small, async (c) => {
    replaceQualitySources(db, await commandInput(c, qualitySourcesInput), tokenContext(c, deps));
    return c.json({ sources: qualitySourcesDocument(db), status: qualitySourcesStatus(db, deps.config.prometheusUrl) });
  });
  app.get('/thresholds', needs('quality'), (c) =>
    c.json({ thresholds: qualityThresholdsDocument(db, componentCatalogue(db)) }, 200, { 'cache-control': 'no-store' }),
  );
  app.put('/thresholds', needs('quality'), small, async (c) => {
    replaceQualityThresholds(db, await commandInput(c, qualityThresholdsInput), tokenContext(c, deps));
    return c.json({ thresholds: qualityThresholdsDocument(db) });
  });
  return app;
}

const notFoundFile = (): Rendering => ({
  status: 404,
  body: 'No existe esa zona.',
  headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
});

/** Public: /calidad/metepec.json and /calidad/metepec.csv, in the published snapshot like the page. */
export function qualityFileRoutes(deps: AppDeps) {
  const { db, now } = deps;
  const app = new Hono();
  app.options('/calidad/:file{[a-z0-9-]+\\.json}', (c) => c.body(null, 204, CORS_HEADERS));
  app.get('/calidad/:file{[a-z0-9-]+\\.json}', (c) => {
    const slug = c.req.param('file').slice(0, -'.json'.length);
    return serveCached(c, deps, `/calidad/${slug}.json`, (): Rendering => {
      const view = areaQuality(db, slug, now());
      if (!view) return notFoundFile();
      return {
        body: JSON.stringify(qualityJson(view)),
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': PUBLIC_CACHE_CONTROL,
          'x-content-type-options': 'nosniff',
          ...CORS_HEADERS,
        },
      };
    });
  });
  app.get('/calidad/:file{[a-z0-9-]+\\.csv}', (c) => {
    const slug = c.req.param('file').slice(0, -'.csv'.length);
    return serveCached(c, deps, `/calidad/${slug}.csv`, (): Rendering => {
      const view = areaQuality(db, slug, now());
      if (!view) return notFoundFile();
      return {
        body: qualityCsv(view),
        headers: {
          'content-type': 'text/csv; charset=utf-8',
          'cache-control': PUBLIC_CACHE_CONTROL,
          'x-content-type-options': 'nosniff',
          'content-disposition': `attachment; filename="somnet-calidad-${slug}.csv"`,
        },
      };
    });
  });
  return app;
}
