// The pure renderers of api/render/ called directly on real view models (a seeded database,
// commands, queries): same views in, same bytes out, and every field where clients expect it.
import { describe, expect, it } from 'vitest';
import { SaxesParser } from 'saxes';
import { statusBadgeSvg } from '../../api/render/badge.ts';
import {
  feedDocumentFor,
  incidentFeedEntries,
  maintenanceFeedEntries,
  renderFeed,
  sortEntries,
  stripControlCharacters,
  type FeedEntry,
} from '../../api/render/feeds.ts';
import { escapeHtml } from '../../api/render/html.ts';
import { SMS_LINE, statusText } from '../../api/render/statusText.ts';
import { PAGE_ID, v2Component, v2ComponentList, v2Group, v2Incident, v2Page } from '../../api/render/v2.ts';
import { v2Maintenance } from '../../api/render/v2Maintenance.ts';
import { createIncident, publishIncidentUpdate } from '#db/commands/incidents.ts';
import { createMaintenance, updateMaintenance } from '#db/commands/maintenances.ts';
import { overallStatusWithMaintenance } from '#db/domain/rollup.ts';
import { componentCatalogue, feedScopeFor, incidentDetail, maintenanceDetail } from '#db/queries/index.ts';
import { freshDb } from '../support/db.ts';

const db = freshDb();
const base = 'https://status.example.test';
const actor = { kind: 'cli' as const, name: 'pruebas' };
const at = (iso: string) => ({ now: new Date(iso), actor });

const created = createIncident(
  db,
  {
    name: 'Corte de fibra en Metepec',
    status: 'identified',
    impact: 'critical',
    body: 'Cuadrilla en camino.',
    cause: 'Obra civil',
    eta: new Date('2026-11-27T00:00:00Z'),
    components: { 'metepec-fibra': 'major_outage' },
  },
  at('2026-11-26T16:00:00Z'),
);
publishIncidentUpdate(
  db,
  created.id,
  { status: 'monitoring', body: 'Fibra empalmada.', components: { 'metepec-fibra': 'degraded_performance' } },
  at('2026-11-26T17:00:00Z'),
);
const incident = incidentDetail(db, created.id)!;
const { maintenance: m } = createMaintenance(
  db,
  {
    name: 'Cambio de tarjetas',
    body: 'Cortes breves.',
    components: ['toluca'],
    scheduledFor: new Date('2026-12-02T06:00:00Z'),
    scheduledUntil: new Date('2026-12-02T09:00:00Z'),
  },
  at('2026-11-26T16:00:00Z'),
);
updateMaintenance(
  db,
  m.id,
  {
    scheduledFor: new Date('2026-12-03T06:00:00Z'),
    scheduledUntil: new Date('2026-12-03T09:00:00Z'),
    rescheduleReason: 'Lluvia',
  },
  at('2026-11-27T16:00:00Z'),
);
const maintenance = maintenanceDetail(db, m.id)!;
const catalogue = componentCatalogue(db);

function wellFormed(xml: string): void {
  const parser = new SaxesParser();
  parser.on('error', (err) => {
    throw err;
  });
  parser.write(xml).close();
}

describe('Statuspage v2 JSON', () => {
  it('renders components, groups and the flat list with the standard fields and SOMNET extras apart', () => {
    const fibra = catalogue.all.find((c) => c.slug === 'metepec-fibra')!;
    expect(v2Component(fibra)).toMatchObject({
      id: fibra.id,
      status: 'degraded_performance',
      group: false,
      page_id: PAGE_ID,
      somnet: { slug: 'metepec-fibra', full_name: 'Metepec · Fibra óptica' },
    });
    const metepec = catalogue.groups.find((g) => g.slug === 'metepec')!;
    expect(v2Group(metepec)).toMatchObject({
      group: true,
      components: metepec.components.map((c) => c.id),
      start_date: null,
    });
    const list = v2ComponentList(catalogue.groups, catalogue.ungrouped);
    expect(list).toHaveLength(catalogue.groups.length + catalogue.all.length);
    expect(list[0]).toMatchObject({ group: true, id: catalogue.groups[0].id });
    expect(v2Page({ publicUrl: base, updatedAt: new Date(0) })).toEqual({
      id: PAGE_ID,
      name: 'SOMNET',
      url: base,
      time_zone: 'America/Mexico_City',
      updated_at: '1970-01-01T00:00:00.000Z',
    });
  });

  it('renders an incident newest update first, with its transitions as affected_components', () => {
    const json = v2Incident(incident, base);
    expect(json).toMatchObject({
      id: incident.id,
      status: 'monitoring',
      impact: 'critical',
      shortlink: `${base}/incidentes/${incident.id}`,
      somnet: { cause: 'Obra civil', eta: '2026-11-27T00:00:00.000Z' },
    });
    expect(json.incident_updates.map((u) => u.status)).toEqual(['monitoring', 'identified']);
    expect(json.incident_updates[0].affected_components).toEqual([
      {
        code: expect.any(String),
        name: 'Metepec · Fibra óptica',
        old_status: 'major_outage',
        new_status: 'degraded_performance',
      },
    ]);
  });

  it('renders a maintenance as an incident with its window, impact "maintenance" and the reschedule kept', () => {
    const json = v2Maintenance(maintenance, base);
    expect(json).toMatchObject({
      impact: 'maintenance',
      status: 'scheduled',
      scheduled_for: '2026-12-03T06:00:00.000Z',
      somnet: { ics_url: `${base}/mantenimiento/${m.id}.ics`, low_impact_window: true },
    });
    expect(json.somnet.reschedules).toEqual([
      expect.objectContaining({
        previous_for: '2026-12-02T06:00:00.000Z',
        scheduled_for: '2026-12-03T06:00:00.000Z',
        reason: 'Lluvia',
      }),
    ]);
    expect(json.incident_updates.map((u) => u.somnet.kind)).toEqual(['rescheduled', 'announced']);
  });
});

describe('feeds', () => {
  it('give one entry per update and per notice, ids stable across renderings', () => {
    const entries = incidentFeedEntries([incident], base);
    expect(entries.map((e) => e.title)).toEqual([
      '[En monitoreo] Corte de fibra en Metepec',
      '[Identificado] Corte de fibra en Metepec',
    ]);
    expect(entries[0].id).toBe(`${base}/incidentes/${incident.id}#actualizacion-${incident.updates[0].id}`);
    expect(incidentFeedEntries([incident], base)).toEqual(entries);
    const notices = maintenanceFeedEntries([maintenance], base);
    // The announcement says «Programado» (as its page does); its window is the one first announced.
    expect(notices.map((e) => e.title)).toEqual([
      '[Reprogramado] Cambio de tarjetas',
      '[Programado] Cambio de tarjetas',
    ]);
    expect(notices[1].summary).toContain('2 dic 2026, 00:00');
    expect(notices[0].summary).toContain('3 dic 2026, 00:00');
  });

  it('sort newest first with ties broken by id, and render RSS, Atom and JSON Feed 1.1', () => {
    const e = (id: string, t: string): FeedEntry => ({
      kind: 'incident_update',
      id,
      title: id,
      link: id,
      published: new Date(t),
      updated: new Date(t),
      summary: id,
      contentHtml: '<p>x</p>',
      categories: [],
    });
    expect(sortEntries([e('a', '2026-01-01'), e('c', '2026-01-02'), e('b', '2026-01-01')]).map((x) => x.id)).toEqual([
      'c',
      'b',
      'a',
    ]);
    const scope = feedScopeFor(catalogue, 'metepec')!;
    const doc = {
      ...feedDocumentFor(scope, base),
      updated: new Date('2026-11-26T17:00:00Z'),
      entries: incidentFeedEntries([incident], base),
    };
    expect(doc.selfBase).toBe(`${base}/componentes/metepec/feed`);
    wellFormed(renderFeed(doc, 'rss'));
    const atom = renderFeed(doc, 'atom');
    wellFormed(atom);
    expect(atom).toContain('xml:lang="es-MX"');
    const feed = JSON.parse(renderFeed(doc, 'json'));
    expect(feed).toMatchObject({
      version: 'https://jsonfeed.org/version/1.1',
      language: 'es-MX',
      feed_url: `${base}/componentes/metepec/feed.json`,
    });
    expect(feed.items[0]).not.toHaveProperty('author');
    expect(renderFeed(doc, 'rss')).toBe(renderFeed(doc, 'rss'));
  });

  it('escape HTML and drop the characters XML cannot carry', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(stripControlCharacters('a\u0000b\u0008c\td\ne\uFFFE')).toBe('abc\td\ne');
  });
});

describe('badge and status.txt', () => {
  it('draws a well-formed badge that names the state in Spanish', () => {
    const svg = statusBadgeSvg('Metepec <Fibra> & "más"', 'partial_outage');
    wellFormed(svg);
    expect(svg).toContain('aria-label="Metepec &lt;Fibra&gt; &amp; &quot;más&quot;: Intermitencia"');
    expect(svg).toContain('fill="#bc4c00"');
  });

  it('writes SMS-sized lines: state, affected, incidents with cause and ETA, the emergency line last', () => {
    const text = statusText({
      overall: overallStatusWithMaintenance(
        catalogue.all.map((c) => c.status),
        false,
      ),
      affected: catalogue.all.filter((c) => c.status !== 'operational'),
      incidents: [{ ...incident, cause: 'x'.repeat(300) }],
      maintenances: [],
      nextMaintenance: maintenance,
      unexplained: [],
      now: new Date('2026-11-26T17:00:00Z'),
      publicUrl: base,
    });
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('SOMNET 26 nov 2026, 11:00 hora centro MX: Rendimiento degradado en parte de la red.');
    expect(lines[1]).toBe('Metepec · Fibra óptica: Baja velocidad.');
    expect(lines[2]).toMatch(/^En monitoreo: Corte de fibra en Metepec\. Causa: x+…$/);
    expect(lines[3]).toMatch(/^Próximo mantenimiento 3 dic 2026, 00:00 a 3 dic 2026, 03:00: Cambio de tarjetas\./);
    expect(lines.at(-1)).toBe(`Detalle: ${base}/ · Emergencias (sin servicio): 722 167 5865`);
    expect(lines.every((l) => [...l].length <= SMS_LINE)).toBe(true);
  });
});
