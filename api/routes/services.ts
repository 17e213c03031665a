import { Hono } from 'hono';
import { readCsvText } from '../csvBody.ts';
import { CommandError, notFound } from '#db/commands/errors.ts';
import { replaceServiceInventory, serviceInventoryFromCsv } from '#db/commands/services.ts';
import {
  componentCatalogue,
  listServices,
  serviceById,
  serviceListQuery,
  type ServiceView,
} from '#db/queries/index.ts';
import { parseInput } from '#db/commands/input.ts';
import { requireToken } from '../auth.ts';
import { scopeGuard } from '../scopes.ts';
import type { AppDeps, Env } from '../context.ts';
import { limitBody, tokenContext } from '../http.ts';
import { readJsonObject } from '../validate.ts';

/** 20,000 services with two contacts each are about 8 MB of JSON; 100,000 fit in this. */
export const MAX_INVENTORY_BYTES = 48 * 1024 * 1024;

/** A service as the NOC API shows it: the same fields `PUT` takes, so a GET can be sent back as is. */
export function serviceJson(s: ServiceView, slugs: Map<string, string>) {
  return {
    service_id: s.serviceId,
    customer_id: s.customerId,
    company: s.company,
    label: s.label,
    technology: s.technology,
    component: slugs.get(s.componentId) ?? s.componentId,
    elements: s.elements,
    monthly_price_mxn: s.monthlyPriceMxn,
    contacts: s.contacts.map((c) => ({ name: c.name, email: c.email, phone: c.phone })),
  };
}

/**
 * The customer service inventory (NOC, bearer token). `PUT` replaces it whole from JSON
 * (`{ "services": [...] }`) or CSV (`text/csv`, columns in db/commands/services.ts).
 */
export function serviceRoutes(deps: AppDeps) {
  const { db } = deps;
  const app = new Hono<Env>();
  app.use('*', requireToken(db, deps.now));
  const needs = scopeGuard(deps);
  const slugs = () => new Map(componentCatalogue(db).all.map((c) => [c.id, c.slug]));

  app.put('/', needs('services'), limitBody(MAX_INVENTORY_BYTES, 'El inventario'), async (c) => {
    const type = c.req.header('content-type') ?? '';
    let input;
    if (/^text\/csv\s*(;|$)/i.test(type)) {
      const text = await readCsvText(c);
      if (text.trim() === '')
        throw new CommandError(
          400,
          'empty_body',
          'El CSV está vacío; se esperaba una fila de encabezados y una fila por servicio.',
        );
      input = serviceInventoryFromCsv(text);
    } else {
      if (/^text\//i.test(type))
        throw new CommandError(
          415,
          'unsupported_media_type',
          'Envíe el inventario como JSON (application/json) o CSV (text/csv).',
        );
      input = (await readJsonObject(c)) as { services: unknown[] };
    }
    const result = replaceServiceInventory(db, input, tokenContext(c, deps));
    return c.json(result, 200, { 'cache-control': 'no-store' });
  });

  app.get('/', needs('services'), (c) => {
    const { customer_id: customerId } = parseInput(serviceListQuery, c.req.query(), {
      message: 'Parámetros de consulta no válidos.',
    });
    const map = slugs();
    return c.json(
      { services: listServices(db, customerId === undefined ? {} : { customerId }).map((s) => serviceJson(s, map)) },
      200,
      { 'cache-control': 'no-store' },
    );
  });

  app.get('/:service_id', needs('services'), (c) => {
    const service = serviceById(db, c.req.param('service_id'));
    if (!service) throw notFound('el servicio', c.req.param('service_id'));
    return c.json(serviceJson(service, slugs()), 200, { 'cache-control': 'no-store' });
  });
  return app;
}
