// Monthly figures: the public CSV beside /disponibilidad/AAAA-MM, and the NOC's reports API
// (bearer token), JSON by default, CSV with format=csv or Accept: text/csv.
import { Hono, type Context } from 'hono';
import { availabilityMonthRefusal, availabilityReport, reportQuery, serviceMonths } from '#db/queries/index.ts';
import { parseInput } from '#db/commands/input.ts';
import { zonedMonthKey } from '#db/domain/time.ts';
import { PUBLIC_CACHE_CONTROL } from '../cache.ts';
import type { AppDeps } from '../context.ts';
import { errorResponse } from '../errors.ts';
import { nocRoutes, serveCached, type Rendering } from '../http.ts';
import { scopeGuard } from '../scopes.ts';
import { availabilityCsv, availabilityJson, servicesCsv, servicesJson } from '../render/availability.ts';

const CSV_TYPE = 'text/csv; charset=utf-8';

/** Public: /disponibilidad/2026-11.csv, in the published snapshot like the page. */
export function reportFileRoutes(deps: AppDeps) {
  const { db, now } = deps;
  const app = new Hono();
  app.get('/disponibilidad/:file{[0-9]{4}-[0-9]{2}\\.csv}', (c) => {
    const month = c.req.param('file').slice(0, 7);
    return serveCached(c, deps, `/disponibilidad/${month}.csv`, (): Rendering => {
      const refusal = availabilityMonthRefusal(db, month, now());
      if (refusal)
        return {
          status: 404,
          body: refusal.message,
          headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
        };
      return {
        body: availabilityCsv(availabilityReport(db, month, now(), { months: 1 }).month),
        headers: {
          'content-type': CSV_TYPE,
          'cache-control': PUBLIC_CACHE_CONTROL,
          'x-content-type-options': 'nosniff',
          'content-disposition': `attachment; filename="somnet-disponibilidad-${month}.csv"`,
        },
      };
    });
  });
  return app;
}

/** The month and format a report request asks for, or the 422 that refuses it. */
function reportRequest(c: Context, deps: AppDeps): { month: string; csv: boolean } | Response {
  const query = parseInput(reportQuery, c.req.query());
  const month = query.month ?? zonedMonthKey(deps.now());
  const csv = query.format ? query.format === 'csv' : /\btext\/csv\b/i.test(c.req.header('accept') ?? '');
  const refusal = availabilityMonthRefusal(deps.db, month, deps.now());
  if (refusal) {
    const code = refusal.reason === 'invalid' ? 'validation_failed' : 'month_out_of_range';
    return errorResponse(c, 422, code, refusal.message, [{ path: 'month', message: refusal.message }]);
  }
  return { month, csv };
}

/** NOC: GET /api/v1/reports/availability and /services, ?month=AAAA-MM[&format=csv]. */
export function reportRoutes(deps: AppDeps) {
  const { db, now, config } = deps;
  const app = nocRoutes(deps);
  const needs = scopeGuard(deps);
  app.get('/availability', needs('reports'), (c) => {
    const request = reportRequest(c, deps);
    if (request instanceof Response) return request;
    const { month, csv } = request;
    const report = availabilityReport(db, month, now(), { months: 1 }).month;
    if (csv) {
      return c.body(availabilityCsv(report), 200, {
        'content-type': CSV_TYPE,
        'cache-control': 'no-store',
        'content-disposition': `attachment; filename="somnet-disponibilidad-${month}.csv"`,
      });
    }
    return c.json(availabilityJson(report, config.publicUrl), 200, { 'cache-control': 'no-store' });
  });
  // Every service's month, for billing: the customer service inventory, with compensation estimates
  // where the inventory has a monthly price.
  app.get('/services', needs('reports'), (c) => {
    const request = reportRequest(c, deps);
    if (request instanceof Response) return request;
    const { month, csv } = request;
    const list = serviceMonths(db, month, now());
    if (csv) {
      return c.body(servicesCsv(month, list), 200, {
        'content-type': CSV_TYPE,
        'cache-control': 'no-store',
        'content-disposition': `attachment; filename="somnet-servicios-${month}.csv"`,
      });
    }
    return c.json(servicesJson(month, list, config.publicUrl), 200, { 'cache-control': 'no-store' });
  });
  return app;
}
