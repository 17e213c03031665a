import { describe, expect, it, beforeAll } from 'vitest';
import { parseAtomFeed, parseJsonFeed, parseRssFeed } from 'feedsmith';
import { testApp } from '../support/db.ts';

const t = testApp();
const base = 'https://status.example.test';
let incidentId = '';
let updateIds: string[] = [];

async function body(path: string, headers: Record<string, string> = {}) {
  const res = await t.app.request(path, { headers });
  return { res, text: await res.text() };
}

beforeAll(async () => {
  t.clock.set('2026-11-26T16:00:00Z');
  const created = await t.json('POST', '/api/v1/incidents', {
    name: 'Corte de fibra <Metepec> & Toluca',
    status: 'identified',
    impact: 'critical',
    body: 'Cuadrilla en camino al punto del corte.',
    cause: 'Corte de fibra por obra civil',
    eta: '2026-11-26T18:00:00-06:00',
    components: { 'metepec-fibra': 'major_outage' },
  });
  expect(created.status).toBe(201);
  incidentId = (await created.json()).id;
  t.clock.set('2026-11-26T17:30:00Z');
  const upd = await t.json('POST', `/api/v1/incidents/${incidentId}/updates`, {
    status: 'monitoring',
    body: 'Fibra empalmada; monitoreando.',
    components: { 'metepec-fibra': 'degraded_performance' },
  });
  expect(upd.status).toBe(201);
  const inc = await upd.json();
  updateIds = inc.incident_updates.map((u: { id: string }) => u.id);
  // A second incident elsewhere, which Metepec's feed must not list.
  t.clock.set('2026-11-26T17:40:00Z');
  const other = await t.json('POST', '/api/v1/incidents', {
    name: 'Lentitud en Lerma',
    status: 'investigating',
    body: 'Revisando.',
    components: { 'lerma-inalambrico': 'degraded_performance' },
  });
  expect(other.status).toBe(201);
});

describe('RSS 2.0', () => {
  it('lists one item per update, newest first, with stable GUIDs, links with anchors and es-MX', async () => {
    const { res, text } = await body('/feed.rss');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
    const feed = parseRssFeed(text);
    expect(feed.language).toBe('es-MX');
    expect(feed.items).toHaveLength(3);
    const titles = feed.items!.map((i) => i.title);
    expect(titles).toEqual([
      '[Investigando] Lentitud en Lerma',
      '[En monitoreo] Corte de fibra <Metepec> & Toluca',
      '[Identificado] Corte de fibra <Metepec> & Toluca',
    ]);
    const mine = feed.items!.slice(1);
    expect(mine.map((i) => i.link)).toEqual(
      updateIds.map((u) => `${base}/incidentes/${incidentId}#actualizacion-${u}`),
    );
    expect(mine.map((i) => i.guid?.value)).toEqual(
      updateIds.map((u) => `${base}/incidentes/${incidentId}#actualizacion-${u}`),
    );
    expect(new Date(mine[0].pubDate!).toISOString()).toBe('2026-11-26T17:30:00.000Z');
    expect(new Date(mine[1].pubDate!).toISOString()).toBe('2026-11-26T16:00:00.000Z');
    expect(mine[0].categories?.map((c) => c.name)).toEqual(['Metepec · Fibra óptica']);
    expect(feed.atom?.links?.find((l) => l.rel === 'self')?.href).toBe(`${base}/feed.rss`);
    // RSS 2.0: an item's <author> is an email address, optionally followed by the name.
    const author = { email: 'soporte@somnet.com.mx', name: 'NOC de SOMNET' };
    expect(mine.map((i) => i.authors)).toEqual([[author], [author]]);
    expect(text).not.toMatch(/<author>(?![^<@]+@)/);
  });

  it('puts status, criticality, components, cause and ETA in Mexico City time in the content', async () => {
    const feed = parseRssFeed((await body('/feed.rss')).text);
    const first = feed.items!.find((i) => i.title?.startsWith('[Identificado]'))!;
    const html = first.content?.encoded ?? '';
    expect(html).toContain('Estado:</strong> Identificado');
    expect(html).toContain('Criticidad:</strong> Alta');
    expect(html).toContain('Componentes afectados:</strong> Metepec · Fibra óptica');
    expect(html).toContain('Causa:</strong> Corte de fibra por obra civil');
    // 18:00 −06:00 is 18:00 in Mexico City, whatever the server's zone.
    expect(html).toMatch(
      /Tiempo estimado de restauración:<\/strong> 26 nov 2026,? 18:00 \(hora del centro de México\)/,
    );
    expect(html).toContain('Metepec · Fibra óptica: Operativo → Sin servicio');
  });

  it('escapes titles with < and & so the XML stays well-formed', async () => {
    const { text } = await body('/feed.rss');
    expect(text).not.toMatch(/<title>[^<]*<Metepec>/);
    const feed = parseRssFeed(text);
    expect(feed.items!.some((i) => i.title === '[Identificado] Corte de fibra <Metepec> & Toluca')).toBe(true);
  });
});

describe('Atom 1.0', () => {
  it('has ids, updated/published, self link, language and unescaped titles once parsed', async () => {
    const { res, text } = await body('/feed.atom');
    expect(res.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    const feed = parseAtomFeed(text);
    expect(feed.entries).toHaveLength(3);
    const entry = feed.entries!.find((e) => e.title?.value?.includes('Identificado'))!;
    // type="html": the text is escaped HTML, which a reader shows as the original characters.
    expect(entry.title).toEqual({ type: 'html', value: '[Identificado] Corte de fibra &lt;Metepec&gt; &amp; Toluca' });
    expect(text).toContain(
      '<title type="html"><![CDATA[[Identificado] Corte de fibra &lt;Metepec&gt; &amp; Toluca]]></title>',
    );
    expect(entry.id).toBe(`${base}/incidentes/${incidentId}#actualizacion-${updateIds[1]}`);
    expect(entry.published).toBe('2026-11-26T16:00:00.000Z');
    expect(entry.updated).toBe('2026-11-26T16:00:00.000Z');
    expect(feed.links?.find((l) => l.rel === 'self')?.href).toBe(`${base}/feed.atom`);
    expect(entry.categories?.map((c) => c.term)).toEqual(['metepec-fibra']);
    expect(feed.updated).toBe('2026-11-26T17:40:00.000Z');
    // Atom's language is the root's xml:lang (RFC 4287 §2), like <language> in RSS and JSON Feed.
    expect(text).toMatch(/^<\?xml[^>]*\?>\s*<feed xmlns="http:\/\/www\.w3\.org\/2005\/Atom" xml:lang="es-MX">/);
  });

  it("is served under Statuspage's /history.atom and /history.rss too", async () => {
    expect(parseAtomFeed((await body('/history.atom')).text).entries).toHaveLength(3);
    const rss = await body('/history.rss');
    expect(rss.res.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
    expect(parseRssFeed(rss.text).items).toHaveLength(3);
  });
});

describe('JSON Feed 1.1', () => {
  it('follows version 1.1: version URL, authors not author, language, items with id/url/dates', async () => {
    const { res, text } = await body('/feed.json');
    expect(res.headers.get('content-type')).toBe('application/feed+json; charset=utf-8');
    const data = JSON.parse(text);
    expect(data.version).toBe('https://jsonfeed.org/version/1.1');
    expect(data.title).toBeTypeOf('string');
    expect(data.feed_url).toBe(`${base}/feed.json`);
    expect(data.home_page_url).toBe(`${base}/`);
    expect(data.language).toBe('es-MX');
    expect(data.author).toBeUndefined();
    expect(data.authors).toEqual([{ name: 'NOC de SOMNET', url: 'https://somnet.com.mx' }]);
    for (const item of data.items) {
      expect(item.id).toBeTypeOf('string');
      expect(item.author).toBeUndefined();
      expect(item.authors?.length).toBe(1);
      expect(typeof item.content_html === 'string' || typeof item.content_text === 'string').toBe(true);
      expect(new Date(item.date_published).toISOString()).toBe(item.date_published);
      expect(new Date(item.date_modified).toISOString()).toBe(item.date_modified);
    }
    const parsed = parseJsonFeed(text);
    expect(parsed.items?.[1].title).toBe('[En monitoreo] Corte de fibra <Metepec> & Toluca');
    expect(parsed.items?.[1].tags).toEqual(['Metepec · Fibra óptica']);
  });
});

describe('per component and per area feeds', () => {
  it('a component feed by slug or id lists only its incidents', async () => {
    const bySlug = parseRssFeed((await body('/componentes/metepec-fibra/feed.rss')).text);
    expect(bySlug.items).toHaveLength(2);
    expect(bySlug.title).toBe('Estado de la red SOMNET · Metepec · Fibra óptica');
    const components = await (await t.json('GET', '/api/v1/components')).json();
    const id = components.components.find((c: { somnet: { slug: string } }) => c.somnet.slug === 'metepec-fibra').id;
    const byId = parseAtomFeed((await body(`/componentes/${id}/feed.atom`)).text);
    expect(byId.entries?.map((e) => e.id)).toEqual(bySlug.items!.map((i) => i.guid?.value));
  });

  it('a group feed covers its components', async () => {
    const metepec = JSON.parse((await body('/componentes/metepec/feed.json')).text);
    expect(metepec.items).toHaveLength(2);
    expect(metepec.feed_url).toBe(`${base}/componentes/metepec/feed.json`);
    expect(metepec.home_page_url).toBe(`${base}/zonas/metepec`);
    const toluca = parseRssFeed((await body('/componentes/toluca/feed.rss')).text);
    expect(toluca.items ?? []).toHaveLength(0);
  });

  it('answers 404 with the error shape for an unknown slug', async () => {
    for (const path of [
      '/componentes/no-existe/feed.rss',
      '/componentes/no-existe/feed.json',
      '/componentes/UPPER%20case/feed.atom',
    ]) {
      const res = await t.app.request(path);
      expect(res.status).toBe(404);
      expect((await res.json()).error.code).toBe('not_found');
    }
  });
});

describe('caching', () => {
  it('keeps GUIDs and bytes stable across re-renders, and adds items on write', async () => {
    const first = (await body('/feed.rss')).text;
    t.deps.cache.clear();
    const second = (await body('/feed.rss')).text;
    expect(second).toBe(first);
    const guids = parseRssFeed(first).items!.map((i) => i.guid?.value);
    t.clock.set('2026-11-26T18:10:00Z');
    const res = await t.json('POST', `/api/v1/incidents/${incidentId}/updates`, {
      status: 'resolved',
      body: 'Servicio restablecido.',
    });
    expect(res.status).toBe(201);
    const after = parseRssFeed((await body('/feed.rss')).text).items!.map((i) => i.guid?.value);
    expect(after).toHaveLength(guids.length + 1);
    expect(after.slice(1)).toEqual(guids);
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await t.app.request('/feed.json', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/feed+json; charset=utf-8');
    expect(res.headers.get('last-modified')).toMatch(/GMT$/);
    expect(await res.text()).toBe('');
  });

  it('answers 304 to If-None-Match and to If-Modified-Since, 200 when older', async () => {
    const { res } = await body('/feed.atom');
    const etag = res.headers.get('etag')!;
    const lastModified = res.headers.get('last-modified')!;
    expect(lastModified).toBe('Thu, 26 Nov 2026 18:10:00 GMT');
    expect((await t.app.request('/feed.atom', { headers: { 'if-none-match': etag } })).status).toBe(304);
    const ims = await t.app.request('/feed.atom', { headers: { 'if-modified-since': lastModified } });
    expect(ims.status).toBe(304);
    expect(ims.headers.get('last-modified')).toBe(lastModified);
    expect(
      (await t.app.request('/feed.atom', { headers: { 'if-modified-since': 'Thu, 26 Nov 2026 18:09:59 GMT' } })).status,
    ).toBe(200);
    // A validator that does not match wins over a date that does (RFC 9110 §13.1.3).
    expect(
      (await t.app.request('/feed.atom', { headers: { 'if-none-match': '"otro"', 'if-modified-since': lastModified } }))
        .status,
    ).toBe(200);
    expect((await t.app.request('/feed.atom', { headers: { 'if-modified-since': 'no es una fecha' } })).status).toBe(
      200,
    );
  });
});

describe('hostile text', () => {
  // Control characters are refused at input (db/commands/input.ts); test/hardening checks the
  // renderers over them and over every other character XML cannot carry.
  it('keeps every format parseable with ]]>, quotes and markup in names and bodies', async () => {
    const t2 = testApp();
    const res = await t2.json('POST', '/api/v1/incidents', {
      name: 'Falla ]]> en "nodo" & <b>',
      status: 'investigating',
      body: 'Texto con campana y ]]> cierre',
      components: { 'toluca-fibra': 'partial_outage' },
    });
    expect(res.status).toBe(201);
    const rssText = await (await t2.app.request('/feed.rss')).text();
    const rss = parseRssFeed(rssText);
    expect(rss.items?.[0].title).toBe('[Investigando] Falla ]]> en "nodo" & <b>');
    expect(rss.items?.[0].content?.encoded).toContain('Texto con campana y ]]&gt; cierre');
    const atom = parseAtomFeed(await (await t2.app.request('/feed.atom')).text());
    expect(atom.entries?.[0].title?.value).toBe('[Investigando] Falla ]]&gt; en &quot;nodo&quot; &amp; &lt;b&gt;');
    const json = parseJsonFeed(await (await t2.app.request('/feed.json')).text());
    expect(json.items?.[0].title).toBe('[Investigando] Falla ]]> en "nodo" & <b>');
  });
});
