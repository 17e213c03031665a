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
// Two renders a second for URLs outside the cache, so the bound shows in a short test.
beforeAll(async () => {
  s = await startTestServer({ renderBudget: new RenderBudget(2, 2, () => Date.now() + skipped) });
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

  it('bounds the renderings of URLs it cannot share, answering 503 with Retry-After past the bound', async () => {
    skipped += 1100; // the budget refills after the test above, as if 1.1 s had passed
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => get(`/nada-${i}?x=${Math.random()}`)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((x) => x === 404).length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((x) => x === 404).length).toBeLessThanOrEqual(4);
    const busy = answers.find((r) => r.status === 503)!;
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(busy.headers.get('cache-control')).toBe('no-store');
    expect(await busy.text()).toContain('Demasiadas solicitudes');
    // The fixed public pages are not counted: they render after a write whatever the flood.
    expect((await s.api('POST', '/api/v1/components', { name: 'Enlace nuevo', slug: 'enlace-nuevo' })).status).toBe(
      201,
    );
    expect((await get(`/nada-otra?x=${Math.random()}`)).status).toBe(503);
    for (const path of ['/', '/historial', '/mantenimiento']) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      if (path === '/') expect(await res.text()).toContain('Enlace nuevo');
    }
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
