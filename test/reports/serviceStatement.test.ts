// The per-service statement and the billing report over the customer service inventory: a service is
// measured by its component's timeline, worsened while an incident named one of its network
// elements; NOM-184's estimate with a monthly price; one clean A4 page in Chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '#db/commands/audit.ts';
import { createIncident } from '#db/commands/incidents.ts';
import { formatPercent } from '#db/domain/availability.ts';
import { publicRouteOf } from '../../api/publish/routes.ts';
import { freshDb, testClock } from '../support/db.ts';
import { startTestServer } from '../support/server.ts';
import { launchBrowser } from '../support/browser.ts';
import { novemberOutages } from './fixtures.ts';

const at = (s: string) => ({ now: new Date(s), actor: systemActor });
const clock = testClock('2026-12-05T18:00:00Z');
const db = freshDb({ now: new Date('2026-11-01T06:00:00Z') });
// November 2026, a whole month: 30 × 1,440 minutes.
const NOVEMBER = 43_200;
let s: Awaited<ReturnType<typeof startTestServer>>;
let metepecId = '';
let towerId = '';

beforeAll(async () => {
  ({ metepec: metepecId, tower: towerId } = novemberOutages(db));
  s = await startTestServer({ db, now: clock.now });
});
afterAll(async () => {
  await s?.close();
});

const get = (path: string) => fetch(`${s.url}${path}`);
const api = (path: string) => fetch(`${s.url}${path}`, { headers: { authorization: `Bearer ${s.token}` } });

describe('per-service statement', () => {
  it('shows the month of one service and its incidents, and nothing private: no company, contact or money', async () => {
    const res = await get('/mi-servicio/som-12345/reporte/2026-11');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Reporte de disponibilidad · noviembre de 2026');
    expect(html).toContain('SOM-12345 · Fibra óptica');
    expect(html).toContain(formatPercent(100 * (1 - 60 / NOVEMBER)));
    expect(html).toContain(`<a href="/incidentes/${metepecId}">Corte de fibra en Metepec</a>`);
    expect(html).not.toContain(towerId);
    // The public URL says the time without service and that the bonus is applied, never an amount
    // (3,499 a month, 5.83 estimated: those are in the token API below).
    expect(html).toContain('Bonificación (NOM-184-SCFI-2018)');
    expect(html).toContain('estuvo 1 h sin servicio');
    for (const secret of ['Abarrotes', 'Sucursal Centro', 'Laura', 'esperanza.mx', 'OLT-MET-01', 'PON-MET-01'])
      expect(html, secret).not.toContain(secret);
    for (const money of ['$', '3,499', '3499', '5.83', '4.86', '0.97', 'MXN', 'Renta'])
      expect(html, money).not.toContain(money);
    // Without a price in the inventory, no bonus section.
    expect(await (await get('/mi-servicio/SOM-12346/reporte/2026-11')).text()).not.toContain('Bonificación (NOM-184');
  });

  it("counts an incident that named one of the service's elements, and announced maintenance not at all", async () => {
    const tower = await (await get('/mi-servicio/SOM-20001/reporte/2026-11')).text();
    expect(tower).toContain(`<a href="/incidentes/${towerId}">Falla en una torre de Lerma</a>`);
    expect(tower).toContain(formatPercent(100 * (1 - 30 / NOVEMBER)));
    expect(tower).not.toContain('TORRE-LERMA');
    const toluca = await (await get('/mi-servicio/SOM-30001/reporte/2026-11')).text();
    expect(toluca).toContain('100.00 %');
    expect(toluca).toContain('Cambio de tarjetas en Toluca');
    expect(toluca).toContain('avisado con 72 h');
  });

  it('an unknown service or a month without figures: 404 with the reason; never a published file', async () => {
    const unknown = await get('/mi-servicio/SOM-99999/reporte/2026-11');
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('No encontramos el servicio «SOM-99999»');
    const future = await get('/mi-servicio/SOM-12345/reporte/2027-02');
    expect(future.status).toBe(404);
    expect(await future.text()).toContain('todavía no empieza');
    expect(publicRouteOf('/mi-servicio/SOM-12345/reporte/2026-11')).toBeUndefined();
  });

  it("GET /api/v1/reports/services gives every service's figures for billing, JSON and CSV, as the statements", async () => {
    const res = await api('/api/v1/reports/services?month=2026-11');
    expect(res.status).toBe(200);
    const json = (await res.json()) as {
      services: Array<{
        service_id: string;
        company: string;
        availability_percent: number;
        minutes: { unavailable: number };
        incidents: string[];
        compensation_estimate_mxn: { total: number } | null;
        monthly_price_mxn: number | null;
      }>;
    };
    const byId = new Map(json.services.map((x) => [x.service_id, x]));
    expect([...byId.keys()]).toEqual(['SOM-12345', 'SOM-12346', 'SOM-20001', 'SOM-30001']);
    expect(byId.get('SOM-12345')).toMatchObject({
      company: 'Abarrotes La Esperanza SA de CV',
      monthly_price_mxn: 3499,
      compensation_estimate_mxn: { total: 5.83 },
      incidents: [metepecId],
      minutes: { unavailable: 60 },
    });
    expect(byId.get('SOM-12346')!.compensation_estimate_mxn).toBeNull();
    expect(byId.get('SOM-20001')).toMatchObject({ incidents: [towerId], minutes: { unavailable: 30 } });
    const page = await (await get('/mi-servicio/SOM-20001/reporte/2026-11')).text();
    expect(page).toContain(formatPercent(byId.get('SOM-20001')!.availability_percent));
    const csv = await (await api('/api/v1/reports/services?month=2026-11&format=csv')).text();
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe(
      'mes,servicio,cliente,empresa,etiqueta,tecnologia,componente,disponibilidad_pct,minutos_medidos,minutos_sin_servicio,minutos_intermitencia,minutos_mantenimiento_avisado,minutos_indisponibles,incidentes,mantenimientos,renta_mensual_mxn,bonificacion_estimada_mxn,cifras_hasta',
    );
    expect(lines[1]).toMatch(
      /^2026-11,SOM-12345,C-100,Abarrotes La Esperanza SA de CV,Sucursal Centro,Fibra óptica,metepec-fibra,[\d.]+,43200,60,0,0,60,1,0,3499,5.83,2026-12-01T00:00:00-06:00$/,
    );
    expect((await api('/api/v1/reports/services?month=2030-01')).status).toBe(422);
    expect((await get('/api/v1/reports/services?month=2026-11')).status).toBe(401);
  });

  it("prints as one clean A4 page in Chromium, without the site's header and footer", async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(`${s.url}/mi-servicio/SOM-12345/reporte/2026-11`);
      await page.emulateMedia({ media: 'print' });
      expect(await page.evaluate(() => getComputedStyle(document.querySelector('header.site')!).display)).toBe('none');
      expect(await page.evaluate(() => getComputedStyle(document.querySelector('footer.site')!).display)).toBe('none');
      const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true, printBackground: true });
      const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
      expect(pages).toBe(1);
    } finally {
      await browser.close();
    }
  });

  it('the month in progress counts up to the last quarter hour, and says so: an incident opened minutes ago is on the statement and the billing report', async () => {
    // 18:20 UTC: the figures count up to the last quarter hour (18:15), after the incident began (18:05).
    const openId = createIncident(
      db,
      {
        name: 'Corte de fibra en Metepec hoy',
        impact: 'critical',
        status: 'identified',
        body: 'Cuadrilla en camino.',
        components: { 'metepec-fibra': 'major_outage' },
      },
      at('2026-12-05T18:05:00Z'),
    ).id;
    clock.set('2026-12-05T18:20:00Z');
    const html = await (await get('/mi-servicio/SOM-12345/reporte/2026-12')).text();
    expect(html).toContain(`<a href="/incidentes/${openId}">Corte de fibra en Metepec hoy</a>`);
    expect(html).toContain('Sin servicio: 10 min');
    expect(html).toContain('al 5 dic 2026, 12:15, hora del centro de México');
    const json = (await (await api('/api/v1/reports/services?month=2026-12')).json()) as {
      services: Array<{ service_id: string; incidents: string[]; minutes: { unavailable: number } }>;
    };
    expect(json.services.find((x) => x.service_id === 'SOM-12345')).toMatchObject({
      incidents: [openId],
      minutes: { unavailable: 10 },
    });
  });
});
