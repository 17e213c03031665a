import {
  createComponent,
  createComponentInput,
  createGroup,
  createGroupInput,
  findComponent,
  findGroup,
  updateComponent,
  updateComponentInput,
  updateGroup,
  updateGroupInput,
} from '#db/commands/catalog.ts';
import { CommandError, notFound } from '#db/commands/errors.ts';
import { incidentReportInput, publishIncidentReport } from '#db/commands/incidentReports.ts';
import {
  correctIncidentUpdate,
  createIncident,
  createIncidentInput,
  incidentPatchInput,
  incidentUpdateInput,
  incidentUpdatePatchInput,
  publishIncidentUpdate,
  updateIncident,
} from '#db/commands/incidents.ts';
import {
  componentCatalogue,
  incidentDetail,
  incidentReport,
  incidentScope,
  type IncidentReportView,
} from '#db/queries/index.ts';
import type { AppDeps } from '../context.ts';
import { nocRoutes, tokenContext } from '../http.ts';
import { scopeGuard } from '../scopes.ts';
import { v2Component, v2Group, v2Incident } from '../render/v2.ts';
import { commandInput } from '../validate.ts';

function incidentReportJson(r: IncidentReportView, publicUrl: string) {
  return {
    incident_id: r.incidentId,
    version: r.version,
    body: r.body,
    html: r.html,
    url: `${publicUrl}/incidentes/${r.incidentId}#informe`,
    published_at: r.publishedAt.toISOString(),
    revised_at: r.revisedAt.toISOString(),
    author: r.author,
    versions: r.versions.map((v) => ({ version: v.version, created_at: v.createdAt.toISOString(), author: v.author })),
  };
}

/**
 * The NOC write API. Every handler reads the same way: (auth and body limit, in nocRoutes) →
 * the body as the command's input → the command, which parses and enforces → respond.
 */
export function v1Routes(deps: AppDeps) {
  const { db, config } = deps;
  const app = nocRoutes(deps);
  const needs = scopeGuard(deps);

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
    // Network elements are the NOC's (never in the public v2 documents).
    return { ...v2Incident(view, config.publicUrl), elements: incidentScope(db, id).elements };
  };

  app.get('/components', needs('catalogue'), (c) => {
    const catalogue = componentCatalogue(db);
    return c.json({ components: catalogue.all.map(v2Component), groups: catalogue.groups.map(v2Group) });
  });
  app.get('/components/:ref', needs('catalogue'), (c) => {
    const found = findComponent(db, c.req.param('ref'));
    if (!found) throw notFound('el componente', c.req.param('ref'));
    return c.json(componentJson(found.id));
  });
  app.post('/components', needs('catalogue'), async (c) => {
    const row = createComponent(db, await commandInput(c, createComponentInput), tokenContext(c, deps));
    return c.json(componentJson(row.id), 201);
  });
  app.patch('/components/:ref', needs('catalogue'), async (c) => {
    const row = updateComponent(
      db,
      c.req.param('ref'),
      await commandInput(c, updateComponentInput),
      tokenContext(c, deps),
    );
    return c.json(componentJson(row.id));
  });

  app.get('/groups', needs('catalogue'), (c) => c.json({ groups: componentCatalogue(db).groups.map(v2Group) }));
  app.get('/groups/:ref', needs('catalogue'), (c) => {
    const found = findGroup(db, c.req.param('ref'));
    if (!found) throw notFound('el grupo', c.req.param('ref'));
    return c.json(groupJson(found.id));
  });
  app.post('/groups', needs('catalogue'), async (c) => {
    const row = createGroup(db, await commandInput(c, createGroupInput), tokenContext(c, deps));
    return c.json(groupJson(row.id), 201);
  });
  app.patch('/groups/:ref', needs('catalogue'), async (c) => {
    const row = updateGroup(db, c.req.param('ref'), await commandInput(c, updateGroupInput), tokenContext(c, deps));
    return c.json(groupJson(row.id));
  });

  app.get('/incidents/:id', needs('incidents'), (c) => c.json(incidentJson(c.req.param('id'))));
  // The incident report (postmortem): PUT publishes or revises it (a new version when the text changed).
  app.get('/incidents/:id/report', needs('incidents'), (c) => {
    const id = c.req.param('id');
    if (!incidentDetail(db, id)) throw notFound('el incidente', id);
    const report = incidentReport(db, id);
    if (!report) throw new CommandError(404, 'not_found', 'Este incidente aún no tiene informe.');
    return c.json(incidentReportJson(report, config.publicUrl));
  });
  app.put('/incidents/:id/report', needs('incidents'), async (c) => {
    const result = publishIncidentReport(
      db,
      c.req.param('id'),
      await commandInput(c, incidentReportInput),
      tokenContext(c, deps),
    );
    return c.json(
      { ...incidentReportJson(result.report, config.publicUrl), changed: result.changed, emailed: result.emailed },
      result.report.version === 1 && result.changed ? 201 : 200,
    );
  });
  app.post('/incidents', needs('incidents'), async (c) => {
    const row = createIncident(db, await commandInput(c, createIncidentInput), tokenContext(c, deps));
    return c.json(incidentJson(row.id), 201);
  });
  app.post('/incidents/:id/updates', needs('incidents'), async (c) => {
    const row = publishIncidentUpdate(
      db,
      c.req.param('id'),
      await commandInput(c, incidentUpdateInput),
      tokenContext(c, deps),
    );
    return c.json(incidentJson(row.id), 201);
  });
  app.patch('/incidents/:id', needs('incidents'), async (c) => {
    const row = updateIncident(db, c.req.param('id'), await commandInput(c, incidentPatchInput), tokenContext(c, deps));
    return c.json(incidentJson(row.id));
  });
  app.patch('/incidents/:id/updates/:updateId', needs('incidents'), async (c) => {
    correctIncidentUpdate(
      db,
      c.req.param('id'),
      c.req.param('updateId'),
      await commandInput(c, incidentUpdatePatchInput),
      tokenContext(c, deps),
    );
    return c.json(incidentJson(c.req.param('id')));
  });

  return app;
}
