import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testApp } from '../support/db.ts';

const t = testApp();

describe('/badge.svg', () => {
  it('shows the overall state in Spanish as a cacheable SVG', async () => {
    const res = await t.app.request('/badge.svg');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    expect(res.headers.get('cache-control')).toContain('public');
    const svg = await res.text();
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('<title>SOMNET: Operativo</title>');
    expect(svg).toContain('role="img"');
    const etag = res.headers.get('etag')!;
    expect((await t.app.request('/badge.svg', { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('follows writes, per component and per area, by slug or id, escaping names', async () => {
    await t.json('POST', '/api/v1/incidents', {
      name: 'Corte',
      status: 'identified',
      body: 'x',
      components: { 'metepec-fibra': 'major_outage' },
    });
    expect(await (await t.app.request('/badge.svg')).text()).toContain('<title>SOMNET: Sin servicio</title>');
    expect(await (await t.app.request('/componentes/metepec-fibra/badge.svg')).text()).toContain(
      '<title>Metepec · Fibra óptica: Sin servicio</title>',
    );
    expect(await (await t.app.request('/componentes/metepec/badge.svg')).text()).toContain(
      '<title>Metepec: Sin servicio</title>',
    );
    expect(await (await t.app.request('/componentes/toluca/badge.svg')).text()).toContain(
      '<title>Toluca: Operativo</title>',
    );
    const created = await (
      await t.json('POST', '/api/v1/components', { name: 'Enlace <A&B>', slug: 'enlace-ab' })
    ).json();
    const byId = await (await t.app.request(`/componentes/${created.id}/badge.svg`)).text();
    expect(byId).toContain('<title>Enlace &lt;A&amp;B&gt;: Operativo</title>');
    expect(byId).not.toContain('<A&B>');
  });

  it('answers 404 for an unknown component', async () => {
    const res = await t.app.request('/componentes/no-existe/badge.svg');
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('not_found');
  });
});

describe('/status.txt', () => {
  it('is plain text in SMS-sized lines: state, affected components, open incidents with ETA', async () => {
    t.clock.set('2026-11-26T18:30:00Z');
    await t.json('POST', '/api/v1/incidents', {
      name: 'Intermitencia en Lerma por mantenimiento correctivo no programado de la torre de microondas principal del corredor industrial',
      status: 'identified',
      body: 'x',
      cause:
        'Falla de alimentación eléctrica en la torre principal del corredor industrial Toluca–Lerma, cuadrilla en sitio',
      eta: '2026-11-26T14:00:00-06:00',
      components: { 'lerma-inalambrico': 'partial_outage' },
    });
    const res = await t.app.request('/status.txt');
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const lines = (await res.text()).trimEnd().split('\n');
    expect(lines[0]).toBe('SOMNET 26 nov 2026, 12:30 hora centro MX: Sin servicio en parte de la red.');
    expect(lines).toContain('Metepec · Fibra óptica: Sin servicio.');
    expect(lines).toContain('Lerma · Inalámbrico (microondas): Intermitencia.');
    const lerma = lines.find((l) => l.startsWith('Identificado: Intermitencia en Lerma'))!;
    expect(lerma.endsWith('…')).toBe(true); // clipped to one SMS
    expect(lines.at(-1)).toBe('Detalle: https://status.example.test/ · Emergencias (sin servicio): 722 167 5865');
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(160);
  });
});

describe('/embed.js', () => {
  it('is JavaScript under 3 KB gzipped, cacheable and loadable from other origins', async () => {
    const res = await t.app.request('/embed.js', { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(res.headers.get('cache-control')).toMatch(/public, max-age=300/);
    expect(Number(res.headers.get('content-length'))).toBeLessThan(3 * 1024);
    const source = readFileSync(new URL('../../api/embed/embed.js', import.meta.url));
    expect(gzipSync(source, { level: 9 }).length).toBeLessThan(3 * 1024);
    expect(source.toString()).not.toMatch(/\bimport\b|require\(/);
  });

  it('summary.json, which the script reads, allows any origin', async () => {
    const res = await t.app.request('/api/v2/summary.json', { headers: { origin: 'https://intranet.ejemplo.mx' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });
});
