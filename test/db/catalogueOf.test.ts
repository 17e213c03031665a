// An incident's page reads only the part of the catalogue its incident names (catalogueOf): the
// same views, in the same order, as the whole catalogue gives them.
import { describe, expect, it } from 'vitest';
import { systemActor } from '#db/commands/audit.ts';
import { createIncident, publishIncidentUpdate } from '#db/commands/incidents.ts';
import { catalogueOf, componentCatalogue, hydrate } from '#db/queries/index.ts';
import { incidents } from '#db/schema/index.ts';
import { freshDb } from '../support/db.ts';

describe('catalogueOf', () => {
  it('gives the named components and their areas as the whole catalogue does, in its order', () => {
    const db = freshDb();
    const whole = componentCatalogue(db);
    expect(whole.all.length).toBeGreaterThan(6);
    // From several areas, given out of order and with a repeat and an unknown id.
    const picked = [whole.all.at(-1)!, whole.all[0], whole.all[3], whole.all[Math.floor(whole.all.length / 2)]];
    const part = catalogueOf(db, [...picked.map((c) => c.id), picked[0].id, 'no-existe']);
    expect(part.all.map((c) => c.id)).toEqual(whole.all.filter((c) => picked.includes(c)).map((c) => c.id));
    expect(part.all).toEqual(whole.all.filter((c) => picked.includes(c)));
    expect(part.groups.map((g) => g.slug)).toEqual(
      whole.groups.filter((g) => g.components.some((c) => picked.includes(c))).map((g) => g.slug),
    );
    expect(catalogueOf(db, []).all).toEqual([]);
  });

  it('hydrates incidents the same with their part of the catalogue as with the whole one', () => {
    const db = freshDb();
    const now = new Date('2026-11-20T12:00:00Z');
    const slugs = componentCatalogue(db).all.map((c) => c.slug);
    const first = createIncident(
      db,
      {
        name: 'Falla en varias zonas',
        status: 'investigating',
        impact: 'major',
        body: 'Revisando.',
        components: {
          [slugs.at(-1)!]: 'major_outage',
          [slugs[0]]: 'partial_outage',
          [slugs[4]]: 'degraded_performance',
        },
      },
      { now, actor: systemActor },
    );
    publishIncidentUpdate(
      db,
      first.id,
      { status: 'resolved', body: 'Restablecido.' },
      { now: new Date(now.getTime() + 3_600_000), actor: systemActor },
    );
    createIncident(
      db,
      {
        name: 'Intermitencia',
        status: 'identified',
        impact: 'minor',
        body: 'Cuadrilla en camino.',
        components: { [slugs[2]]: 'partial_outage' },
      },
      { now, actor: systemActor },
    );
    const rows = db.select().from(incidents).all();
    expect(rows).toHaveLength(2);
    const withWhole = hydrate(db, rows, componentCatalogue(db));
    expect(hydrate(db, rows)).toEqual(withWhole);
    expect(withWhole[0].components.length + withWhole[1].components.length).toBe(4);
    expect(withWhole.flatMap((i) => i.updates.flatMap((u) => u.transitions)).length).toBeGreaterThan(3);
  });
});
