import { Hono } from 'hono';
import {
  componentCatalogue,
  findInCatalogue,
  maintenanceDetail,
  maintenancesForFeed,
  unknownRefMessage,
} from '#db/queries/index.ts';
import { maintenanceIcs } from '../render/maintenanceIcs.ts';
import { PUBLIC_CACHE_CONTROL } from '../cache.ts';
import type { AppDeps } from '../context.ts';
import { serveCached } from '../http.ts';

const ICS_HEADERS = {
  'content-type': 'text/calendar; charset=utf-8',
  'cache-control': PUBLIC_CACHE_CONTROL,
  'x-content-type-options': 'nosniff',
  'access-control-allow-origin': '*',
};

function notFoundText(message: string) {
  return {
    status: 404,
    body: message,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
  };
}

/**
 * Public iCalendar feeds (RFC 5545): every window, per component or area, and one event for
 * "Añadir a mi calendario". Subscribed calendars poll them, so they go through the render cache.
 */
export function maintenanceFeedRoutes(deps: AppDeps) {
  const { db, config, now } = deps;
  const app = new Hono();

  app.get('/mantenimiento.ics', (c) =>
    serveCached(c, deps, '/mantenimiento.ics', () => ({
      body: maintenanceIcs(maintenancesForFeed(db, now()), {
        publicUrl: config.publicUrl,
        calendarName: 'SOMNET · Mantenimientos programados',
      }),
      headers: { ...ICS_HEADERS, 'content-disposition': 'inline; filename="somnet-mantenimiento.ics"' },
    })),
  );

  app.get('/componentes/:ref/mantenimiento.ics', (c) => {
    const ref = c.req.param('ref');
    return serveCached(c, deps, `/componentes/${ref}/mantenimiento.ics`, () => {
      const catalogue = componentCatalogue(db);
      const found = findInCatalogue(catalogue, ref);
      if (!found) return notFoundText(unknownRefMessage(ref, 'any'));
      const scope =
        found.kind === 'component'
          ? { ids: [found.component.id], label: found.component.fullName, slug: found.component.slug }
          : { ids: found.group.components.map((x) => x.id), label: found.group.name, slug: found.group.slug };
      return {
        body: maintenanceIcs(maintenancesForFeed(db, now(), scope.ids, catalogue), {
          publicUrl: config.publicUrl,
          calendarName: `SOMNET · Mantenimientos · ${scope.label}`,
        }),
        headers: { ...ICS_HEADERS, 'content-disposition': `inline; filename="somnet-mantenimiento-${scope.slug}.ics"` },
      };
    });
  });

  app.get('/mantenimiento/:file{[a-z0-9]+\\.ics}', (c) => {
    const id = c.req.param('file').slice(0, -'.ics'.length);
    return serveCached(c, deps, `/mantenimiento/${id}.ics`, () => {
      const view = maintenanceDetail(db, id);
      if (!view) return notFoundText(`No existe el mantenimiento «${id}».`);
      return {
        body: maintenanceIcs([view], { publicUrl: config.publicUrl, calendarName: `SOMNET · ${view.name}` }),
        headers: { ...ICS_HEADERS, 'content-disposition': `attachment; filename="somnet-mantenimiento-${id}.ics"` },
      };
    });
  });
  return app;
}
