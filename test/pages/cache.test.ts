// The render cache on its worst day: query strings nobody reads, a flood of one-off URLs, and a
// CDN whose origin has died.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEntry, RenderedCache } from '../../api/cache.ts';
import { RenderBudget } from '../../api/pages.ts';
import { freshDb } from '../support/db.ts';
import { startTestServer } from '../support/server.ts';

let s: Awaited<ReturnType<typeof startTestServer>>;
// The budget's clock runs with the wall clock, plus what a test skips ahead instead of sleeping.
let skipped = 0;
// Two renders a second per client and four in all for URLs outside the cache, so the bounds show
// in a short test.
beforeAll(async () => {
  s = await startTestServer({
    renderBudget: new RenderBudget({
      perClient: 2,
      clientBurst: 2,
      perSecond: 4,
      burst: 4,
      clock: () => Date.now() + skipped,
    }),
  });
});
afterAll(async () => {
  await s?.close();
});

const get = (path: string) => fetch(`${s.url}${path}`);

describe('render cache', () => {
  it('keys a page on the parameters it reads, so unknown query strings are cache hits', async () => {
    const first = await get('/');
    const etag = first.headers.get('etag');
    const body = await first.text();
    // More one-off URLs than the render budget allows: none of them is a rendering.
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => get(`/?utm_source=correo&id=${i}-${Math.random()}`)),
    );
    for (const res of answers) {
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).toBe(etag);
      expect(await res.text()).toBe(body);
    }
    // A page that reads `mes` keeps it, drops the rest, and is the same as its path form.
    const month = await (await get('/historial?mes=2026-08')).text();
    expect(month).toContain('agosto de 2026');
    expect(await (await get('/historial?utm=x&mes=2026-08')).text()).toBe(month);
    expect(await (await get('/historial/2026-08')).text()).toBe(month);
    expect(month).toContain('<link rel="canonical" href="https://status.example.test/historial/2026-08"');
  });

  it('bounds the renderings of URLs it cannot share per client, answering 503 with Retry-After past the bound', async () => {
    skipped += 1100; // the budget refills after the test above, as if 1.1 s had passed
    // Made-up incident ids: each is a rendering of the incident page (which says 404).
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => get(`/incidentes/nada-${i}?x=${Math.random()}`)),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((x) => x === 404).length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((x) => x === 404).length).toBeLessThanOrEqual(3);
    const busy = answers.find((r) => r.status === 503)!;
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(busy.headers.get('cache-control')).toBe('no-store');
    expect(await busy.text()).toContain('Demasiadas solicitudes');
    // Unknown paths are answered 404 without a rendering, whatever the budget says.
    for (let i = 0; i < 10; i++) {
      const res = await get(`/nada-${i}/otra?x=${Math.random()}`);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('Página no encontrada');
    }
    // Another client (its address as our trusted proxy, loopback, says) has a budget of its own.
    const other = await fetch(`${s.url}/incidentes/nada-otra`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(other.status).toBe(404);
    // The fixed public pages are not counted: they render after a write whatever the flood.
    expect((await s.api('POST', '/api/v1/components', { name: 'Enlace nuevo', slug: 'enlace-nuevo' })).status).toBe(
      201,
    );
    expect((await get(`/incidentes/nada-otra?x=${Math.random()}`)).status).toBe(503);
    for (const path of ['/', '/historial', '/mantenimiento']) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      if (path === '/') expect(await res.text()).toContain('Enlace nuevo');
    }
  });

  it('one client flooding unique URLs leaves incident pages and «¿Me afecta?» to everyone else', async () => {
    skipped += 1100;
    const created = await s.api('POST', '/api/v1/incidents', {
      name: 'Corte en Lerma',
      status: 'investigating',
      body: 'Revisando.',
      components: { 'lerma-fibra': 'major_outage' },
    });
    const incident = (await created.json()) as { id: string };
    // The flood: one address, many unique URLs, faster than its budget refills.
    const flooder = { 'x-forwarded-for': '198.51.100.7' };
    const flood = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        fetch(`${s.url}/incidentes/x-${i}-${Math.random()}`, { headers: flooder }).then((r) => r.status),
      ),
    );
    expect(flood).toContain(503);
    // A customer at another address, right after the NOC's write emptied the cache.
    const customer = { 'x-forwarded-for': '192.0.2.44' };
    const page = await fetch(`${s.url}/incidentes/${incident.id}`, { headers: customer });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Corte en Lerma');
    const lookup = await fetch(`${s.url}/mi-servicio/SOM-00001`, { headers: customer });
    expect(lookup.status).not.toBe(503);
    expect(await lookup.text()).toContain('SOM-00001');
  });

  it('keeps serving what a CDN cached for a day when the origin fails (stale-if-error)', async () => {
    for (const path of [
      '/',
      '/incidentes/x',
      '/api/v2/summary.json',
      '/feed.rss',
      '/mantenimiento.ics',
      '/status.txt',
      '/badge.svg',
      '/embed.js',
      '/api/coverage.geojson',
    ]) {
      const res = await get(path);
      if (res.status !== 200) continue;
      expect(res.headers.get('cache-control'), path).toContain('stale-if-error=86400');
    }
  });

  it('spares entries that are read when it is full (a flood of one-off URLs cannot push / out)', () => {
    const db = freshDb();
    const cache = new RenderedCache(db, { maxEntries: 3 });
    const entry = makeEntry(200, 'x', {});
    cache.set('/', cache.currentGeneration, entry);
    for (let i = 0; i < 20; i++) {
      expect(cache.get('/')).toBe(entry);
      cache.set(`/uno-${i}`, cache.currentGeneration, entry);
    }
    expect(cache.get('/')).toBe(entry);
    expect(cache.get('/uno-0')).toBeUndefined();
    expect(cache.get('/uno-19')).toBe(entry);
  });
});
