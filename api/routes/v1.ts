import { z } from 'zod';
import { createComponent, createGroup, findComponent, findGroup, updateComponent, updateGroup } from '../../db/commands/catalog.ts';
import { notFound } from '../../db/commands/errors.ts';
import { createIncident, publishIncidentUpdate, updateIncident } from '../../db/commands/incidents.ts';
import { componentStatuses, incidentImpacts, incidentStatuses } from '../../db/enums.ts';
import { componentCatalogue, incidentDetail } from '../../db/queries/index.ts';
import type { AppDeps } from '../context.ts';
import { nocRoutes, tokenContext } from '../http.ts';
import { v2Component, v2Group, v2Incident } from '../render/v2.ts';
import { parseJsonBody, timestamp } from '../validate.ts';

const name = z.string().trim().min(1).max(200);
const slug = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'Solo minúsculas, números y guiones, p. ej. metepec-fibra.').max(60);
const description = z.string().trim().max(2000).nullable();
const position = z.number().int().min(0).max(100_000);
const componentStatus = z.enum(componentStatuses);
const text = z.string().trim().min(1).max(20_000);
const cause = z.string().trim().max(2000).nullable();
const componentsMap = z.record(z.string().min(1).max(100), componentStatus);

const groupCreate = z.strictObject({ name, slug: slug.optional(), description: description.optional(), position: position.optional() });
const groupPatch = groupCreate.partial();
const componentCreate = z.strictObject({
  name, slug: slug.optional(), description: description.optional(),
  group: z.string().min(1).nullable().optional(), position: position.optional(), status: componentStatus.optional(),
});
const componentPatch = componentCreate.partial();

const incidentCreate = z.strictObject({
  name,
  status: z.enum(incidentStatuses),
  impact: z.enum(incidentImpacts).optional(),
  body: text,
  cause: cause.optional(),
  eta: timestamp.nullable().optional(),
  started_at: timestamp.optional(),
  components: componentsMap.optional(),
  deliver_notifications: z.boolean().optional(),
});
const incidentUpdateCreate = z.strictObject({
  status: z.enum(incidentStatuses),
  body: text,
  cause: cause.optional(),
  eta: timestamp.nullable().optional(),
  components: componentsMap.optional(),
  deliver_notifications: z.boolean().optional(),
});
const incidentPatch = z.strictObject({
  name: name.optional(),
  impact: z.enum(incidentImpacts).optional(),
  cause: cause.optional(),
  eta: timestamp.nullable().optional(),
}).refine((p) => Object.keys(p).length > 0, 'Indique al menos un campo: name, impact, cause o eta.');

/** The NOC write API. Every handler reads the same way: parse → (auth, above) → command → respond. */
export function v1Routes(deps: AppDeps) {
  const { db, config } = deps;
  const app = nocRoutes(deps);

  const componentJson = (id: string) => {
    const view = componentCatalogue(db).byId.get(id);
    if (!view) throw notFound('el componente', id);
    return v2Component(view);
  };
  const groupJson = (id: string) => {
    const view = componentCatalogue(db).groups.find((g) => g.id === id);
    if (!view) throw notFound('el grupo', id);
    return v2Group(view);
  };
  const incidentJson = (id: string) => {
    const view = incidentDetail(db, id);
    if (!view) throw notFound('el incidente', id);
    return v2Incident(view, config.publicUrl);
  };

  app.get('/components', (c) => {
    const catalogue = componentCatalogue(db);
    return c.json({ components: catalogue.all.map(v2Component), groups: catalogue.groups.map(v2Group) });
  });
  app.get('/components/:ref', (c) => {
    const found = findComponent(db, c.req.param('ref'));
    if (!found) throw notFound('el componente', c.req.param('ref'));
    return c.json(componentJson(found.id));
  });
  app.post('/components', async (c) => {
    const input = await parseJsonBody(c, componentCreate);
    const row = createComponent(db, input, tokenContext(c, deps));
    return c.json(componentJson(row.id), 201);
  });
  app.patch('/components/:ref', async (c) => {
    const input = await parseJsonBody(c, componentPatch);
    const row = updateComponent(db, c.req.param('ref'), input, tokenContext(c, deps));
    return c.json(componentJson(row.id));
  });

  app.get('/groups', (c) => c.json({ groups: componentCatalogue(db).groups.map(v2Group) }));
  app.get('/groups/:ref', (c) => {
    const found = findGroup(db, c.req.param('ref'));
    if (!found) throw notFound('el grupo', c.req.param('ref'));
    return c.json(groupJson(found.id));
  });
  app.post('/groups', async (c) => {
    const input = await parseJsonBody(c, groupCreate);
    const row = createGroup(db, input, tokenContext(c, deps));
    return c.json(groupJson(row.id), 201);
  });
  app.patch('/groups/:ref', async (c) => {
    const input = await parseJsonBody(c, groupPatch);
    const row = updateGroup(db, c.req.param('ref'), input, tokenContext(c, deps));
    return c.json(groupJson(row.id));
  });

  app.get('/incidents/:id', (c) => c.json(incidentJson(c.req.param('id'))));
  app.post('/incidents', async (c) => {
    const input = await parseJsonBody(c, incidentCreate);
    const row = createIncident(db, {
      name: input.name, status: input.status, impact: input.impact, body: input.body, cause: input.cause,
      eta: input.eta, startedAt: input.started_at, components: input.components, deliverNotifications: input.deliver_notifications,
    }, tokenContext(c, deps));
    return c.json(incidentJson(row.id), 201);
  });
  app.post('/incidents/:id/updates', async (c) => {
    const input = await parseJsonBody(c, incidentUpdateCreate);
    const row = publishIncidentUpdate(db, c.req.param('id'), {
      status: input.status, body: input.body, cause: input.cause, eta: input.eta,
      components: input.components, deliverNotifications: input.deliver_notifications,
    }, tokenContext(c, deps));
    return c.json(incidentJson(row.id), 201);
  });
  app.patch('/incidents/:id', async (c) => {
    const input = await parseJsonBody(c, incidentPatch);
    const row = updateIncident(db, c.req.param('id'), input, tokenContext(c, deps));
    return c.json(incidentJson(row.id));
  });

  return app;
}
