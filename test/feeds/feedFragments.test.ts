// renderFeed writes each entry's XML once and reuses it in every feed that lists the entry (a
// full publish renders the feeds of every component and area, mostly the same entries): the
// documents must be byte for byte what the `feed` library writes for all their items at once.
import { beforeAll, describe, expect, it } from 'vitest';
import { componentCatalogue, feedScopeFor, type FeedScope } from '#db/queries/index.ts';
import { renderFeed, type FeedEntry } from '../../api/render/feeds.ts';
import { feedDocument } from '../../api/routes/feeds.ts';
import { testApp } from '../support/db.ts';

const t = testApp();
const base = 'https://status.example.test';

// Everything the XML writer has to get right: CDATA ends (twice), markup, entities already
// escaped, quotes, emoji.
const hostile = 'Corte ]]> en <Metepec> & "Toluca" ]]> AT&amp;T ✂️';

beforeAll(async () => {
  let minute = 0;
  const at = () => t.clock.set(new Date(Date.parse('2026-11-20T16:00:00Z') + minute++ * 60_000).toISOString());
  for (const [i, components] of [
    { 'metepec-fibra': 'major_outage' },
    { 'lerma-inalambrico': 'degraded_performance', 'metepec-fibra': 'partial_outage' },
    { 'lerma-inalambrico': 'major_outage' },
  ].entries()) {
    at();
    const created = await t.json('POST', '/api/v1/incidents', {
      name: `${hostile} ${i}`,
      status: 'identified',
      impact: 'major',
      body: `${hostile} — primer aviso ${i}\nsegunda línea`,
      cause: hostile,
      components,
    });
    expect(created.status).toBe(201);
    const id = (await created.json()).id;
    at();
    const update = await t.json('POST', `/api/v1/incidents/${id}/updates`, {
      status: 'resolved',
      body: `Restablecido ${i}: ${hostile}`,
    });
    expect(update.status).toBe(201);
  }
});

function scopes(): Array<{ name: string; scope: FeedScope }> {
  const catalogue = componentCatalogue(t.db);
  const refs = [...catalogue.all.map((c) => c.slug), ...catalogue.groups.map((g) => g.slug)];
  return [
    { name: 'page', scope: { kind: 'page' } },
    ...refs.map((ref) => ({ name: ref, scope: feedScopeFor(catalogue, ref)! })),
  ];
}

describe('feeds written from each entry’s XML', () => {
  it('are the bytes the library writes in one go, for every scope and format, cached or not', async () => {
    const all = scopes();
    expect(all.length).toBeGreaterThan(3);
    let compared = 0;
    // Twice: the second round takes every entry's XML from the cache.
    for (let round = 0; round < 2; round++) {
      for (const { scope } of all) {
        const doc = feedDocument(t.db, scope, base);
        for (const format of ['rss', 'atom'] as const) {
          const whole = renderFeed(doc, format, { fragments: false });
          expect(renderFeed(doc, format)).toBe(whole);
          if (doc.entries.length > 0) compared++;
        }
      }
    }
    // Feeds with entries were compared, not only empty ones.
    expect(compared).toBeGreaterThanOrEqual(8);
    // And what a reader gets over HTTP is that document.
    const doc = feedDocument(t.db, { kind: 'page' }, base);
    const served = await (await t.app.request('/feed.rss')).text();
    expect(served).toBe(renderFeed(doc, 'rss', { fragments: false }));
    // The RSS title is plain text in CDATA: each `]]>` split so the section does not end there.
    expect(served).toContain('Corte ]]]]><![CDATA[> en <Metepec> & "Toluca" ]]]]><![CDATA[> AT&amp;T');
  });

  it('the same entry in feeds with different heads (titles, links, dates) is placed in each one correctly', () => {
    const doc = feedDocument(t.db, { kind: 'page' }, base);
    const other = { ...doc, title: 'Otro <título> & más', selfBase: `${base}/otro/feed`, updated: new Date(0) };
    for (const format of ['rss', 'atom'] as const) {
      expect(renderFeed(doc, format)).toBe(renderFeed(doc, format, { fragments: false }));
      expect(renderFeed(other, format)).toBe(renderFeed(other, format, { fragments: false }));
      // Fewer items (a feed's limit): the cached entries, in the new order.
      const few = { ...other, limit: 2 };
      expect(renderFeed(few, format)).toBe(renderFeed(few, format, { fragments: false }));
    }
  });

  it('an entry without content (other namespaces in RSS) and an empty feed are written whole, the same bytes', () => {
    const doc = feedDocument(t.db, { kind: 'page' }, base);
    const bare: FeedEntry = { ...doc.entries[0], id: `${base}/sin-contenido`, contentHtml: '' };
    for (const format of ['rss', 'atom'] as const) {
      for (const entries of [[bare], [bare, ...doc.entries], []]) {
        const d = { ...doc, entries };
        expect(renderFeed(d, format)).toBe(renderFeed(d, format, { fragments: false }));
      }
    }
  });
});
