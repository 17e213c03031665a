import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { startTestServer } from '../support/server.ts';
import { testClock } from '../support/db.ts';

const clock = testClock('2026-11-26T18:00:00Z');
let s: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  s = await startTestServer({ now: clock.now });
});
afterAll(async () => {
  await s.close();
});

const page = async (path: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${s.url}${path}`, { headers });
  return { res, html: await res.text() };
};

describe('public status page', () => {
  it('shows the overall state, every area and the support channels, without JavaScript', async () => {
    const { res, html } = await page('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html).toContain('<html lang="es-MX">');
    expect(html).toContain('Todos los servicios operan con normalidad');
    for (const area of ['Toluca', 'Metepec', 'Zinacantepec', 'Lerma', 'San Mateo Atenco', 'Servicios centrales'])
      expect(html).toContain(area);
    expect(html).toContain('href="tel:+527221675865"');
    expect(html).toContain('soporte@somnet.com.mx');
    expect(html).toContain('cliente.somnet.com.mx');
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('¿Cómo se calculan las barras de disponibilidad?');
    expect(Buffer.byteLength(html)).toBeLessThan(40_000);
  });

  it('shows a new incident on the next request after the API write returns, escaped, with cause and ETA in local time', async () => {
    const before = await page('/');
    const etag = before.res.headers.get('etag')!;
    expect((await fetch(`${s.url}/`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    const created = await s.api('POST', '/api/v1/incidents', {
      name: 'Corte <script>alert(1)</script> & fibra',
      status: 'identified',
      body: 'Cuadrilla en sitio.\n<img src=x onerror=alert(1)>',
      cause: 'Obra civil <b>municipal</b>',
      eta: '2026-11-26T16:30:00-06:00',
      components: { 'metepec-fibra': 'major_outage' },
    });
    expect(created.status).toBe(201);
    const { id } = await created.json();
    const after = await fetch(`${s.url}/`, { headers: { 'if-none-match': etag } });
    expect(after.status).toBe(200);
    const html = await after.text();
    expect(html).toContain('Sin servicio en parte de la red');
    expect(html).toContain('Metepec · Fibra óptica: sin servicio');
    expect(html).toContain('Corte &lt;script&gt;alert(1)&lt;/script&gt; &amp; fibra');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('Obra civil &lt;b&gt;municipal&lt;/b&gt;');
    expect(html).toContain('Tiempo estimado de restauración');
    expect(html).toContain(
      '<time datetime="2026-11-26T22:30:00.000Z">26 nov 2026, 16:30 (hora del centro de México)</time>',
    );
    expect(html).toContain(`href="/incidentes/${id}"`);
    // The affected area is flagged at the top, before the incident details.
    expect(html.indexOf('Sin servicio')).toBeLessThan(html.indexOf('Incidentes activos'));
  });

  it('incident page: timeline newest first with transitions and duration once resolved', async () => {
    const created = await (
      await s.api('POST', '/api/v1/incidents', {
        name: 'Saturación en Lerma',
        status: 'investigating',
        body: 'Revisando',
        components: { 'lerma-inalambrico': 'degraded_performance' },
      })
    ).json();
    clock.advance(45 * 60_000);
    await s.api('POST', `/api/v1/incidents/${created.id}/updates`, { status: 'resolved', body: 'Capacidad ampliada' });
    const { res, html } = await page(`/incidentes/${created.id}`);
    expect(res.status).toBe(200);
    expect(html.indexOf('Capacidad ampliada')).toBeLessThan(html.indexOf('Revisando'));
    expect(html).toContain('Lerma · Inalámbrico (microondas): Baja velocidad → <strong>Operativo</strong>');
    expect(html).toContain('45 min');
    expect(html).toContain(`id="actualizacion-`);
    clock.set('2026-11-26T18:00:00Z');
  });

  it('unknown incidents and pages answer 404 with a Spanish page', async () => {
    for (const path of ['/incidentes/noexiste', '/incidentes/..%2f', '/nada']) {
      const { res, html } = await page(path);
      expect(res.status).toBe(404);
      expect(html).toContain('Página no encontrada');
    }
  });

  it('history by month, with bad parameters handled', async () => {
    const ok = await page('/historial?mes=2026-11');
    expect(ok.res.status).toBe(200);
    expect(ok.html).toContain('noviembre de 2026');
    expect(ok.html).toContain('Saturación en Lerma');
    const empty = await page('/historial?mes=2026-10');
    expect(empty.html).toContain('No hubo incidentes en octubre de 2026');
    for (const bad of ['2026-13', 'abc', '2030-01', "2026-11'--"]) {
      const { res, html } = await page(`/historial?mes=${encodeURIComponent(bad)}`);
      expect(res.status).toBe(400);
      expect(html).toContain('El mes solicitado no es válido');
    }
  });

  it('serves compressed bytes from memory with strong ETags and CDN-friendly caching', async () => {
    const res = await fetch(`${s.url}/`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers.get('cache-control')).toMatch(/s-maxage=\d+/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    // fetch decodes transparently; check the raw bytes through a HEAD + length instead.
    const raw = await new Promise<Buffer>((resolve) => {
      import('node:http').then(({ get }) =>
        get(`${s.url}/`, { headers: { 'accept-encoding': 'gzip' } }, (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c) => chunks.push(c));
          r.on('end', () => resolve(Buffer.concat(chunks)));
        }),
      );
    });
    expect(gunzipSync(raw).toString()).toContain('<html lang="es-MX">');
    const head = await fetch(`${s.url}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});
