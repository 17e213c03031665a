import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { startTestServer } from '../support/server.ts';

let server: Awaited<ReturnType<typeof startTestServer>>;
let browser: Browser;
let customer: Server;
let customerUrl = '';

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchBrowser();
  // A customer's intranet on another origin that embeds our script and themes it.
  customer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      .end(`<!doctype html><html lang="es-MX"><head><title>Intranet Acme</title>
<style>:root { --somnet-bg: rgb(10, 20, 30); --somnet-fg: rgb(250, 250, 250); }</style></head>
<body><h1>Intranet</h1><div id="slot" data-somnet-status></div><p>Contenido</p>
<script src="${server.url}/embed.js" async></script></body></html>`);
  });
  await new Promise<void>((r) => customer.listen(0, '127.0.0.1', () => r()));
  const address = customer.address();
  customerUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
});

afterAll(async () => {
  await browser?.close();
  customer?.closeAllConnections();
  await new Promise((r) => customer?.close(r));
  await server?.close();
});

describe('embed.js on another site', () => {
  it('shows nothing while everything is operational, then an accessible, themed banner when degraded', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    const summary = page.waitForResponse((r) => r.url() === `${server.url}/api/v2/summary.json`);
    await page.goto(customerUrl);
    expect((await summary).status()).toBe(200);
    await page.waitForLoadState('networkidle');
    expect(await page.locator('.somnet-status').count()).toBe(0);

    const res = await server.api('POST', '/api/v1/incidents', {
      name: 'Corte en Metepec',
      status: 'identified',
      body: 'x',
      components: { 'metepec-fibra': 'major_outage' },
    });
    expect(res.status).toBe(201);
    await page.reload();
    const banner = page.getByRole('status', { name: 'Estado de la red SOMNET' });
    await banner.waitFor();
    expect(await banner.textContent()).toContain('Sin servicio en parte de la red.');
    expect(await banner.textContent()).toContain('Afecta: Metepec · Fibra óptica.');
    expect(await page.locator('#slot > .somnet-status').count()).toBe(1); // placed in the host's slot
    const colours = await banner.evaluate((el) => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]);
    expect(colours).toEqual(['rgb(10, 20, 30)', 'rgb(250, 250, 250)']);
    expect(await page.getByRole('link', { name: 'Ver detalles' }).getAttribute('href')).toBe(
      'https://status.example.test',
    );
    const close = page.getByRole('button', { name: 'Cerrar aviso de estado' });
    await close.focus();
    await page.keyboard.press('Enter');
    expect(await page.locator('.somnet-status').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('pages and feeds through the real server', () => {
  it('every page head advertises the feeds; /integraciones documents them', async () => {
    for (const path of ['/', '/integraciones']) {
      const html = await (await fetch(`${server.url}${path}`)).text();
      expect(html).toContain(
        '<link rel="alternate" type="application/rss+xml" title="Incidentes de SOMNET (RSS)" href="https://status.example.test/feed.rss">',
      );
      expect(html).toContain('type="application/atom+xml"');
      expect(html).toContain('type="application/feed+json"');
    }
    const res = await fetch(`${server.url}/integraciones`);
    expect(res.status).toBe(200);
    const html = await res.text();
    for (const text of [
      '/componentes/metepec/feed.rss',
      '/api/v2/summary.json',
      'X-Somnet-Signature',
      '/embed.js',
      '--somnet-bg',
      '/badge.svg',
      '/status.txt',
      '/history.atom',
    ]) {
      expect(html).toContain(text);
    }
  });

  it('serves feeds from memory with ETag and Last-Modified, answering 304 to either', async () => {
    const first = await fetch(`${server.url}/feed.atom`);
    expect(first.status).toBe(200);
    const lastModified = first.headers.get('last-modified')!;
    expect(lastModified).toMatch(/GMT$/);
    // The second request is answered by the server's in-memory fast path, before Hono.
    const byDate = await fetch(`${server.url}/feed.atom`, { headers: { 'if-modified-since': lastModified } });
    expect(byDate.status).toBe(304);
    const byTag = await fetch(`${server.url}/feed.atom`, { headers: { 'if-none-match': first.headers.get('etag')! } });
    expect(byTag.status).toBe(304);
  });
});
