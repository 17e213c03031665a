// What a render worker does with a batch of incident pages (api/publish/renderWorker.ts): one
// read transaction, the batch's incidents and the catalogue loaded together beforehand
// (keepIncidents), each page rendered straight through the page renderer. The bytes must be the
// ones a client's GET gets through the whole app, for incidents with several updates, components
// in several areas and outside any, and a report.
import { describe, expect, it } from 'vitest';
import { systemActor } from '#db/commands/audit.ts';
import { createIncident, publishIncidentUpdate } from '#db/commands/incidents.ts';
import { publishIncidentReport } from '#db/commands/incidentReports.ts';
import { forgetIncidents, incidentDetail, keepIncidents } from '#db/queries/incidents.ts';
import { catalogueOf } from '#db/queries/catalog.ts';
import { statementCacheOf } from '#db/statementCache.ts';
import { RenderedCache } from '../../api/cache.ts';
import { loadSite } from '../../api/server.ts';
import { freshDb, testConfig } from '../support/db.ts';

describe('a batch of incident pages rendered as a render worker does', async () => {
  const db = freshDb({ now: new Date('2026-01-05T12:00:00Z') });
  const at = (iso: string) => ({ now: new Date(iso), actor: systemActor });
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    const day = `2026-0${1 + (i % 3)}-${10 + i}`;
    const incident = createIncident(
      db,
      {
        name: `Falla ${i + 1} en la red`,
        status: 'investigating',
        impact: i % 2 ? 'major' : 'minor',
        body: `Revisamos el enlace ${i + 1}.`,
        components: {
          'metepec-fibra': 'major_outage',
          'lerma-inalambrico': 'partial_outage',
          ...(i % 2 ? { 'correo-soporte': 'degraded_performance' } : {}),
        },
      },
      at(`${day}T10:00:00Z`),
    );
    publishIncidentUpdate(
      db,
      incident.id,
      {
        status: 'identified',
        body: 'Corte de fibra localizado.',
        cause: 'Corte de fibra por obra civil',
        components: { 'lerma-inalambrico': 'operational' },
      },
      at(`${day}T11:00:00Z`),
    );
    publishIncidentUpdate(
      db,
      incident.id,
      {
        status: 'resolved',
        body: 'Servicio restablecido.',
        components: { 'metepec-fibra': 'operational', ...(i % 2 ? { 'correo-soporte': 'operational' } : {}) },
      },
      at(`${day}T13:30:00Z`),
    );
    if (i === 2)
      publishIncidentReport(
        db,
        incident.id,
        { body: '## Qué pasó\n\nUna obra cortó la fibra entre Metepec y Lerma; se empalmó en dos horas.' },
        at(`${day}T18:00:00Z`),
      );
    ids.push(incident.id);
  }
  const now = new Date('2026-04-01T12:00:00Z');
  // A worker's cache: nothing kept between pages, no look for other writers.
  const cache = new RenderedCache(db, { externalCheckMs: Number.POSITIVE_INFINITY });
  const { deps, renderPublic } = await loadSite({ db, config: testConfig, now: () => now, cache });

  it('writes the bytes a GET of each page gets, with the incidents read once for the batch', async () => {
    // Through the whole app (Hono's request and response around Astro's), as before batches.
    const requested = new Map<string, string>();
    const statements = statementCacheOf(db)!;
    const queries = () => statements.compiled + statements.reused;
    const direct = deps.renderPage;
    deps.renderPage = undefined;
    const queriedBefore = queries();
    for (const id of ids) {
      const entry = await renderPublic(`/incidentes/${id}`, { fresh: true, keep: false });
      requested.set(id, entry!.body.toString());
    }
    deps.renderPage = direct;
    const queriedPerPage = (queries() - queriedBefore) / ids.length;
    expect(queriedPerPage).toBeGreaterThanOrEqual(6);
    db.$client.exec('BEGIN');
    try {
      keepIncidents(db, ids);
      const batchFrom = queries();
      for (const id of ids) {
        const entry = await renderPublic(`/incidentes/${id}`, { fresh: true, keep: false });
        expect(entry?.body.toString()).toBe(requested.get(id));
      }
      // Nothing of the incidents or the catalogue is read again: one query per page, its report's
      // (a statement of the connection's cache, compiled once).
      expect(queries() - batchFrom).toBe(ids.length);
    } finally {
      forgetIncidents(db);
      db.$client.exec('COMMIT');
    }
    expect(requested.get(ids[2])).toContain('Una obra cortó la fibra entre Metepec y Lerma');
  });

  it('answers incidentDetail and catalogueOf from what it keeps, the same as the database does, until forgotten', () => {
    const componentIds = incidentDetail(db, ids[1])!.components.map((c) => c.id);
    const fromDb = { incident: incidentDetail(db, ids[1]), catalogue: catalogueOf(db, componentIds) };
    keepIncidents(db, ids);
    const kept = incidentDetail(db, ids[1]);
    expect(incidentDetail(db, ids[1])).toBe(kept);
    expect(kept).toEqual(fromDb.incident);
    expect(catalogueOf(db, componentIds)).toEqual(fromDb.catalogue);
    forgetIncidents(db);
    expect(incidentDetail(db, ids[1])).not.toBe(kept);
    expect(incidentDetail(db, ids[1])).toEqual(fromDb.incident);
  });
});
