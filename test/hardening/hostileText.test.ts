// Hostile text: every XML document stays well-formed, and plain text stays plain, whatever text
// the NOC typed. Checked with saxes, a strict XML 1.0 parser (it rejects what the lenient feed
// parsers accept: a second `]]>`, a `<` in an attribute, a control character).
import { beforeAll, describe, expect, it } from 'vitest';
import { SaxesParser } from 'saxes';
import { testApp } from '../support/db.ts';
import { renderFeed, type FeedEntry } from '../../api/render/feeds.ts';
import { statusBadgeSvg } from '../../api/render/badge.ts';
import { statusText } from '../../api/render/statusText.ts';

interface ParsedElement {
  name: string;
  attributes: Record<string, string>;
  text: string;
  children: ParsedElement[];
}

/** Parses strictly (throws on any well-formedness error) into a small tree with each element's text. */
function parseXml(xml: string): ParsedElement {
  const parser = new SaxesParser({ xmlns: false });
  const root: ParsedElement = { name: '#document', attributes: {}, text: '', children: [] };
  const stack = [root];
  parser.on('error', (err) => {
    throw err;
  });
  parser.on('opentag', (tag) => {
    const el: ParsedElement = {
      name: tag.name,
      attributes: Object.fromEntries(Object.entries(tag.attributes).map(([k, v]) => [k, String(v)])),
      text: '',
      children: [],
    };
    stack.at(-1)!.children.push(el);
    stack.push(el);
  });
  parser.on('text', (t) => {
    stack.at(-1)!.text += t;
  });
  parser.on('cdata', (t) => {
    stack.at(-1)!.text += t;
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  parser.write(xml).close();
  return root;
}

function all(el: ParsedElement, name: string): ParsedElement[] {
  return [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => all(c, name))];
}

const forged = 'Servicio restablecido en todas las zonas';
const injection = `Primera]]> y segunda ]]></description></item><item><title>${forged}</title><link>https://otro.example/</link><description><![CDATA[x`;

describe('feeds and badges over hostile names and bodies, through the app', () => {
  const t = testApp();
  beforeAll(async () => {
    expect(
      (await t.json('PATCH', '/api/v1/components/metepec-fibra', { name: 'Enlace <10 Mbps & "más" ]]> AT&amp;T' }))
        .status,
    ).toBe(200);
    expect((await t.json('PATCH', '/api/v1/groups/metepec', { name: 'Metepec <norte> & ]]>]]>' })).status).toBe(200);
    const res = await t.json('POST', '/api/v1/incidents', {
      name: 'Falla ]]> doble ]]> <b>&amp;</b>',
      status: 'investigating',
      body: injection,
      cause: 'Causa ]]> con ]]> cierres',
      components: { 'metepec-fibra': 'major_outage' },
    });
    expect(res.status).toBe(201);
  });

  it('RSS: two `]]>` in a body add no item, and every text comes back exactly as typed', async () => {
    for (const path of [
      '/feed.rss',
      '/history.rss',
      '/componentes/metepec-fibra/feed.rss',
      '/componentes/metepec/feed.rss',
    ]) {
      const res = await t.app.request(path);
      expect(res.status, path).toBe(200);
      const doc = parseXml(await res.text());
      const items = all(doc, 'item');
      expect(items, path).toHaveLength(1);
      const field = (name: string) => all(items[0], name)[0]?.text;
      expect(field('title')).toBe('[Investigando] Falla ]]> doble ]]> <b>&amp;</b>');
      expect(field('description')).toContain(injection);
      expect(field('content:encoded')).toContain('Causa ]]&gt; con ]]&gt; cierres');
      expect(all(items[0], 'category').map((c) => c.text)).toEqual([
        'Metepec <norte> & ]]>]]> · Enlace <10 Mbps & "más" ]]> AT&amp;T',
      ]);
      expect(all(doc, 'title').map((x) => x.text)).not.toContain(forged);
    }
    // The feed's own title names the component as typed (`&amp;` is not turned into `&`).
    const channel = all(
      parseXml(await (await t.app.request('/componentes/metepec-fibra/feed.rss')).text()),
      'channel',
    )[0];
    expect(channel.children.find((c) => c.name === 'title')!.text).toContain('Enlace <10 Mbps & "más" ]]> AT&amp;T');
  });

  it('Atom: a `<` in a component or area name is escaped in the category label', async () => {
    for (const path of ['/feed.atom', '/history.atom', '/componentes/metepec-fibra/feed.atom']) {
      const res = await t.app.request(path);
      const doc = parseXml(await res.text());
      const entries = all(doc, 'entry');
      expect(entries, path).toHaveLength(1);
      expect(all(entries[0], 'category').map((c) => c.attributes.label)).toEqual([
        'Metepec <norte> & ]]>]]> · Enlace <10 Mbps & "más" ]]> AT&amp;T',
      ]);
      if (path.startsWith('/componentes/'))
        expect(all(doc, 'title')[0].text).toContain('Enlace <10 Mbps & "más" ]]> AT&amp;T');
      expect(all(entries[0], 'summary')[0].text).toContain(
        injection.replace(
          /[&<>"']/g,
          (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
        ),
      );
    }
  });

  it('JSON Feed keeps the text as typed, and badges are valid SVG', async () => {
    const json = await (await t.app.request('/feed.json')).json();
    expect(json.items[0].title).toBe('[Investigando] Falla ]]> doble ]]> <b>&amp;</b>');
    for (const path of ['/badge.svg', '/componentes/metepec-fibra/badge.svg', '/componentes/metepec/badge.svg']) {
      const doc = parseXml(await (await t.app.request(path)).text());
      expect(all(doc, 'svg'), path).toHaveLength(1);
    }
  });
});

/** Text that older rows may still hold, whatever the input rules say today. */
const nasty = 'A\u0000B\u0007C\u001b[2J\u001b]0;hola\u0007D\u0085E\u009bF\ufffeG\uffffH\ufdd0I\ud800J]]>K<L&M';

describe('renderers over every character XML cannot carry', () => {
  const entry: FeedEntry = {
    kind: 'incident_update',
    id: 'https://status.example.test/incidentes/x#actualizacion-1',
    title: nasty,
    link: 'https://status.example.test/incidentes/x',
    published: new Date('2026-11-26T16:00:00Z'),
    updated: new Date('2026-11-26T16:00:00Z'),
    summary: nasty,
    contentHtml: `<p>${nasty.replace(/[<&>]/g, '')}</p>`,
    categories: [{ term: 'x', label: nasty }],
  };
  const doc = {
    title: nasty,
    description: nasty,
    link: 'https://status.example.test/',
    selfBase: 'https://status.example.test/feed',
    updated: new Date('2026-11-26T16:00:00Z'),
    entries: [entry],
  };

  it('RSS and Atom stay well-formed and keep the printable text', () => {
    // As sent: UTF-8 bytes (a lone surrogate becomes U+FFFD).
    const printable = 'ABC[2J]0;holaD\u0085E\u009bFGHI\ufffdJ]]>K<L&M';
    const rss = parseXml(Buffer.from(renderFeed(doc, 'rss')).toString('utf8'));
    expect(all(rss, 'title').map((x) => x.text)).toEqual([printable, printable]);
    expect(all(rss, 'category')[0].text).toBe(printable);
    const atom = parseXml(Buffer.from(renderFeed(doc, 'atom')).toString('utf8'));
    expect(all(atom, 'category')[0].attributes.label).toBe(printable);
    expect(all(atom, 'title').map((x) => x.text)).toEqual([
      printable,
      printable.replace(/[&<>]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[ch]!),
    ]);
  });

  it('the badge stays valid SVG', () => {
    expect(all(parseXml(statusBadgeSvg(nasty, 'major_outage')), 'title')[0].text).toContain('ABC[2J]');
  });

  it('status.txt never carries a terminal control character', () => {
    const text = statusText({
      overall: { indicator: 'major', description: 'Interrupción', status: 'major_outage' } as Parameters<
        typeof statusText
      >[0]['overall'],
      affected: [{ fullName: nasty, status: 'major_outage' } as Parameters<typeof statusText>[0]['affected'][number]],
      incidents: [],
      maintenances: [],
      nextMaintenance: null,
      now: new Date('2026-11-26T16:00:00Z'),
      publicUrl: 'https://status.example.test',
    });
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(text).toContain('AB');
  });
});
