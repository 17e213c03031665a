// renderFeed writes RSS and Atom itself (api/render/feeds.ts) instead of through the `feed`
// library, which built an object tree for xml-js to walk: the bytes must stay those the library
// wrote. The reference below is the library-based renderFeed as it was, kept here to compare
// against on ordinary and hostile text, on empty fields and on an empty feed.
import { Feed, type Item } from 'feed';
import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../api/render/html.ts';
import {
  escapeMarkup,
  feedEntries,
  renderFeed,
  resolvePlaceholders,
  splitCdataEnds,
  stripControlCharacters,
  type FeedDocument,
  type FeedEntry,
  type FeedFormat,
} from '../../api/render/feeds.ts';
import { SUPPORT_EMAIL } from '#db/supportChannels.ts';

const AUTHOR = { name: 'NOC de SOMNET', link: 'https://somnet.com.mx' };
const RSS_ITEM_AUTHOR = { ...AUTHOR, email: SUPPORT_EMAIL };
/** renderFeed through `feed` 6.0.0, as it was before it wrote the XML itself. */
function libraryFeed(doc: FeedDocument, format: FeedFormat): string {
  const entries = feedEntries(doc);
  const xml = format !== 'json';
  const markup = xml ? escapeMarkup : (text: string) => text;
  const feed = new Feed({
    id: `${doc.selfBase}.atom`,
    title: markup(stripControlCharacters(doc.title)),
    description: markup(stripControlCharacters(doc.description)),
    link: doc.link,
    language: 'es-MX',
    updated: doc.updated,
    generator: false,
    author: AUTHOR,
    copyright: 'SOMNET',
    feedLinks: { rss: `${doc.selfBase}.rss`, atom: `${doc.selfBase}.atom`, json: `${doc.selfBase}.json` },
    docs: 'https://www.rssboard.org/rss-specification',
  });
  const cdata = xml ? splitCdataEnds : (text: string) => text;
  for (const e of entries) {
    const item: Item = {
      title: cdata(format === 'atom' ? escapeHtml(e.title) : e.title),
      id: e.id,
      link: e.link,
      date: e.updated,
      published: e.published,
      description: cdata(format === 'json' ? e.summary : escapeHtml(e.summary)),
      content: cdata(e.contentHtml),
      author: [format === 'rss' ? RSS_ITEM_AUTHOR : AUTHOR],
      category: e.categories.map((c) => ({ name: markup(c.label), term: c.term })),
    };
    feed.addItem(item);
  }
  if (format === 'rss') return resolvePlaceholders(feed.rss2());
  if (format === 'atom')
    return resolvePlaceholders(feed.atom1()).replace(
      '<feed xmlns="http://www.w3.org/2005/Atom">',
      '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="es-MX">',
    );
  const data = JSON.parse(feed.json1()) as Record<string, unknown> & { items: Array<Record<string, unknown>> };
  const items = data.items.map((item, i) => {
    const { author: _author, ...rest } = item;
    return {
      ...rest,
      id: entries[i].id,
      summary: entries[i].summary,
      authors: [{ name: AUTHOR.name, url: AUTHOR.link }],
      tags: entries[i].categories.map((c) => c.label),
      language: 'es-MX',
    };
  });
  return JSON.stringify({
    version: 'https://jsonfeed.org/version/1.1',
    title: doc.title,
    home_page_url: doc.link,
    feed_url: `${doc.selfBase}.json`,
    description: doc.description,
    language: 'es-MX',
    authors: [{ name: AUTHOR.name, url: AUTHOR.link }],
    items,
  });
}

/** Text that older rows may still hold, and markup that must stay text. */
const nasty =
  'A\u0000B\u0007C\u001b[2J\u001b]0;hola\u0007D\u0085E\u009bF\ufffeG\uffffH\ufdd0I\ud800J]]>K<L&M>N"O\'P&amp;Q]]>R';
const base = 'https://status.somnet.com.mx';

function entry(n: number, over: Partial<FeedEntry> = {}): FeedEntry {
  const id = `${base}/incidentes/i${n}#actualizacion-u${n}`;
  return {
    kind: 'incident_update',
    id,
    title: `[Investigando] Falla ${n} en Metepec`,
    link: id,
    published: new Date(Date.UTC(2026, 10, 1 + (n % 28), n % 24, n % 60)),
    updated: new Date(Date.UTC(2026, 10, 1 + (n % 28), n % 24, n % 60, n % 7)),
    summary: `Estamos investigando. — Criticidad: Alta. Componentes afectados: Metepec · Fibra ${n}.`,
    contentHtml: `<p>Estamos investigando.</p><ul><li><strong>Estado:</strong> Investigando ${n}</li></ul>`,
    categories: [
      { term: 'metepec-fibra', label: 'Metepec · Fibra' },
      { term: `c${n}`, label: `Zona ${n}` },
    ],
    ...over,
  };
}

const docs: Array<[string, FeedDocument]> = [
  [
    'a component feed of ordinary updates',
    {
      title: 'Estado de la red SOMNET · Metepec · Fibra',
      description: 'Incidentes y mantenimientos programados que afectan a Metepec · Fibra.',
      link: `${base}/zonas/metepec`,
      selfBase: `${base}/componentes/metepec-fibra/feed`,
      updated: new Date('2026-11-26T17:00:00Z'),
      entries: Array.from({ length: 130 }, (_, i) => entry(i)),
    },
  ],
  [
    'hostile text everywhere a name or a body can be',
    {
      title: nasty,
      description: nasty,
      link: `${base}/`,
      selfBase: `${base}/feed`,
      updated: new Date('2026-11-26T16:00:00Z'),
      entries: [
        entry(1, {
          title: nasty,
          summary: nasty,
          contentHtml: `<p>${nasty}</p><p>]]>]]></p>`,
          categories: [{ term: 'a&b"c', label: nasty }],
        }),
        entry(2, { kind: 'incident_report', title: '<b>&amp;</b> ]]> AT&amp;T', categories: [] }),
        entry(3, { link: `${base}/mantenimiento/m1?x=1&y="2"#actualizacion-3`, id: `${base}/m?a=1&b=2` }),
      ],
      limit: 50,
    },
  ],
  [
    'empty text fields',
    {
      title: '',
      description: '',
      link: `${base}/`,
      selfBase: `${base}/feed`,
      updated: new Date('2026-01-01T00:00:00Z'),
      entries: [entry(4, { title: '', summary: '', contentHtml: '', categories: [{ term: '', label: '' }] })],
    },
  ],
  [
    'no entries at all',
    {
      title: 'Estado de la red SOMNET',
      description: 'Sin incidentes.',
      link: `${base}/`,
      selfBase: `${base}/feed`,
      updated: new Date('2026-01-01T00:00:00Z'),
      entries: [],
    },
  ],
];

describe('renderFeed writes the bytes the feed library wrote', () => {
  for (const [name, doc] of docs)
    for (const format of ['rss', 'atom', 'json'] as const)
      it(`${format}: ${name}`, () => {
        expect(renderFeed(doc, format)).toBe(libraryFeed(doc, format));
      });
});
