import { z } from 'zod';
import { notFound } from '../../db/commands/errors.ts';
import { cancelMaintenance, createMaintenance, postMaintenanceUpdate, updateMaintenance, type MaintenanceWarning } from '../../db/commands/maintenances.ts';
import { maintenanceImpactKinds } from '../../db/enums.ts';
import { activeMaintenances, componentCatalogue, maintenanceDetail, pastMaintenances, upcomingMaintenances } from '../../db/queries/index.ts';
import type { AppDeps } from '../context.ts';
import { nocRoutes, tokenContext } from '../http.ts';
import { v2Maintenance } from '../render/v2Maintenance.ts';
import { parseJsonBody, timestamp } from '../validate.ts';

const name = z.string().trim().min(1).max(200);
const text = z.string().trim().min(1).max(20_000);
const componentRefs = z.array(z.string().min(1).max(100)).min(1, 'Indique al menos un componente afectado.').max(500);
const reason = z.string().trim().max(2000).nullable();

const maintenanceCreate = z.strictObject({
  name,
  body: text,
  scheduled_for: timestamp,
  scheduled_until: timestamp,
  components: componentRefs,
  impact_kind: z.enum(maintenanceImpactKinds).optional(),
  auto_transition: z.boolean().optional(),
  emergency: z.boolean().optional(),
  emergency_reason: reason.optional(),
});
const maintenancePatch = z.strictObject({
  name: name.optional(),
  body: text.optional(),
  scheduled_for: timestamp.optional(),
  scheduled_until: timestamp.optional(),
  components: componentRefs.optional(),
  impact_kind: z.enum(maintenanceImpactKinds).optional(),
  auto_transition: z.boolean().optional(),
  emergency: z.boolean().optional(),
  emergency_reason: reason.optional(),
  reschedule_reason: reason.optional(),
}).refine((p) => Object.keys(p).length > 0, 'Indique al menos un campo que cambiar.');
const maintenanceUpdateCreate = z.strictObject({
  status: z.enum(['scheduled', 'in_progress', 'verifying', 'completed']),
  body: text,
});
const maintenanceCancel = z.strictObject({ body: text.optional() });

/** NOC API for scheduled maintenance: parse → (auth, above) → command → respond. */
export function maintenanceRoutes(deps: AppDeps) {
  const { db, now, config } = deps;
  const policy = { maxWindowHours: config.maintenanceMaxHours };
  const app = nocRoutes(deps);

  const maintenanceJson = (id: string, warnings?: MaintenanceWarning[]) => {
    const view = maintenanceDetail(db, id);
    if (!view) throw notFound('el mantenimiento', id);
    return {
      ...v2Maintenance(view, config.publicUrl),
      low_impact_window: view.lowImpactWindow,
      emergency: view.emergency,
      ...(warnings ? { warnings } : {}),
    };
  };

  // For the NOC: everything open plus the 50 most recent closed windows, cancelled included.
  app.get('/', (c) => {
    const catalogue = componentCatalogue(db);
    const views = [...upcomingMaintenances(db, now(), { catalogue }), ...activeMaintenances(db, catalogue), ...pastMaintenances(db, 50, catalogue)];
    return c.json({ scheduled_maintenances: views.map((v) => ({ ...v2Maintenance(v, config.publicUrl), low_impact_window: v.lowImpactWindow, emergency: v.emergency })) });
  });
  app.get('/:id', (c) => c.json(maintenanceJson(c.req.param('id'))));
  app.post('/', async (c) => {
    const input = await parseJsonBody(c, maintenanceCreate);
    const { maintenance, warnings } = createMaintenance(db, {
      name: input.name, body: input.body, scheduledFor: input.scheduled_for, scheduledUntil: input.scheduled_until,
      components: input.components, impactKind: input.impact_kind, autoTransition: input.auto_transition,
      emergency: input.emergency, emergencyReason: input.emergency_reason,
    }, tokenContext(c, deps), policy);
    return c.json(maintenanceJson(maintenance.id, warnings), 201);
  });
  app.patch('/:id', async (c) => {
    const input = await parseJsonBody(c, maintenancePatch);
    const { maintenance, warnings } = updateMaintenance(db, c.req.param('id'), {
      name: input.name, body: input.body, scheduledFor: input.scheduled_for, scheduledUntil: input.scheduled_until,
      components: input.components, impactKind: input.impact_kind, autoTransition: input.auto_transition,
      emergency: input.emergency, emergencyReason: input.emergency_reason, rescheduleReason: input.reschedule_reason,
    }, tokenContext(c, deps), policy);
    return c.json(maintenanceJson(maintenance.id, warnings));
  });
  app.post('/:id/updates', async (c) => {
    const input = await parseJsonBody(c, maintenanceUpdateCreate);
    const row = postMaintenanceUpdate(db, c.req.param('id'), input, tokenContext(c, deps));
    return c.json(maintenanceJson(row.id), 201);
  });
  app.post('/:id/cancel', async (c) => {
    // The explanation is optional, so an empty body is fine here (Hono caches the body for the second read).
    const input = (await c.req.text()).trim() === '' ? {} : await parseJsonBody(c, maintenanceCancel);
    const row = cancelMaintenance(db, c.req.param('id'), input, tokenContext(c, deps));
    return c.json(maintenanceJson(row.id));
  });
  return app;
}
