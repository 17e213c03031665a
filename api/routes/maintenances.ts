import { notFound } from '#db/commands/errors.ts';
import {
  cancelMaintenance,
  cancelMaintenanceInput,
  createMaintenance,
  createMaintenanceInput,
  maintenancePatchInput,
  maintenanceUpdateInput,
  postMaintenanceUpdate,
  updateMaintenance,
  type MaintenanceWarning,
} from '#db/commands/maintenances.ts';
import {
  activeMaintenances,
  componentCatalogue,
  maintenanceDetail,
  maintenanceScope,
  pastMaintenances,
  upcomingMaintenances,
} from '#db/queries/index.ts';
import type { AppDeps } from '../context.ts';
import { nocRoutes, tokenContext } from '../http.ts';
import { scopeGuard } from '../scopes.ts';
import { v2Maintenance } from '../render/v2Maintenance.ts';
import { commandInput } from '../validate.ts';

/** NOC API for scheduled maintenance: (auth, above) → the body as the command's input → command → respond. */
export function maintenanceRoutes(deps: AppDeps) {
  const { db, now, config } = deps;
  const policy = { maxWindowHours: config.maintenanceMaxHours };
  const app = nocRoutes(deps);
  const needs = scopeGuard(deps);

  const maintenanceJson = (id: string, warnings?: MaintenanceWarning[]) => {
    const view = maintenanceDetail(db, id);
    if (!view) throw notFound('el mantenimiento', id);
    return {
      ...v2Maintenance(view, config.publicUrl),
      low_impact_window: view.lowImpactWindow,
      emergency: view.emergency,
      // Network elements are the NOC's (never in the public v2 documents).
      elements: maintenanceScope(db, id).elements,
      ...(warnings ? { warnings } : {}),
    };
  };

  // For the NOC: everything open plus the 50 most recent closed windows, cancelled included.
  app.get('/', needs('maintenances'), (c) => {
    const catalogue = componentCatalogue(db);
    const views = [
      ...upcomingMaintenances(db, now(), { catalogue }),
      ...activeMaintenances(db, catalogue),
      ...pastMaintenances(db, 50, catalogue),
    ];
    return c.json({
      scheduled_maintenances: views.map((v) => ({
        ...v2Maintenance(v, config.publicUrl),
        low_impact_window: v.lowImpactWindow,
        emergency: v.emergency,
      })),
    });
  });
  app.get('/:id', needs('maintenances'), (c) => c.json(maintenanceJson(c.req.param('id'))));
  app.post('/', needs('maintenances'), async (c) => {
    const { maintenance, warnings } = createMaintenance(
      db,
      await commandInput(c, createMaintenanceInput),
      tokenContext(c, deps),
      policy,
    );
    return c.json(maintenanceJson(maintenance.id, warnings), 201);
  });
  app.patch('/:id', needs('maintenances'), async (c) => {
    const { maintenance, warnings } = updateMaintenance(
      db,
      c.req.param('id'),
      await commandInput(c, maintenancePatchInput),
      tokenContext(c, deps),
      policy,
    );
    return c.json(maintenanceJson(maintenance.id, warnings));
  });
  app.post('/:id/updates', needs('maintenances'), async (c) => {
    const row = postMaintenanceUpdate(
      db,
      c.req.param('id'),
      await commandInput(c, maintenanceUpdateInput),
      tokenContext(c, deps),
    );
    return c.json(maintenanceJson(row.id), 201);
  });
  app.post('/:id/cancel', needs('maintenances'), async (c) => {
    // The explanation is optional, so an empty body is fine here (Hono caches the body for the second read).
    const input = (await c.req.text()).trim() === '' ? {} : await commandInput(c, cancelMaintenanceInput);
    const row = cancelMaintenance(db, c.req.param('id'), input, tokenContext(c, deps));
    return c.json(maintenanceJson(row.id));
  });
  return app;
}
