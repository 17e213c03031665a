import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRssFeed } from 'feedsmith';
import { startTestServer } from '../support/server.ts';
import { testClock } from '../support/db.ts';
import { addUser, ConsoleClient } from '../console/support.ts';

// The home banner and /autodiagnostico during a maintenance window, on the real server (built site).
const clock = testClock('2026-11-26T18:00:00Z');
let s: Awaited<ReturnType<typeof startTestServer>>;
let maintenanceId = '';
beforeAll(async () => {
  s = await startTestServer({ now: clock.now });
});
afterAll(async () => {
  await s?.close();
});

const page = async (path: string) => {
  const res = await fetch(`${s.url}${path}`);
  expect(res.status).toBe(200);
  return res.text();
};
// Tone, headline, and the line under the worst open incident's cause and ETA (when there is one).
const banner = (html: string) =>
  html.match(
    /<section class="banner tone-([a-z_]+)"[^>]*>\s*<h1 id="estado-general">([^<]*)<\/h1>\s*(?:<div class="banner-incident">.*?<\/div>\s*)?<p>(.*?)<\/p>/s,
  );
const diagnosis = (zona: string) => page(`/autodiagnostico?zona=${zona}&reinicio=si&leds=rojo&cable=falla`);
async function call(method: string, path: string, body: unknown, status = 201) {
  const res = await s.api(method, path, body);
  const json = await res.json();
  expect(res.status, JSON.stringify(json)).toBe(status);
  return json;
}

describe('home banner', () => {
  it('says all is well with no window open', async () => {
    const b = banner(await page('/'))!;
    expect(b[1]).toBe('operational');
    expect(b[2]).toBe('Todos los servicios operan con normalidad');
  });

  it('agrees with v2 while a window without auto_transition is in progress', async () => {
    maintenanceId = (
      await call('POST', '/api/v1/maintenances', {
        name: 'Reinicio de OLT en Metepec',
        body: 'Reinicio controlado de la OLT principal.',
        emergency: true,
        emergency_reason: 'Falla de memoria en la OLT.',
        scheduled_for: '2026-11-26T18:00:00Z',
        scheduled_until: '2026-11-26T19:30:00Z',
        components: ['metepec'],
        auto_transition: false,
        impact_kind: 'degraded',
      })
    ).id;
    const summary = await (await fetch(`${s.url}/api/v2/summary.json`)).json();
    expect(summary.status.indicator).toBe('maintenance');
    // The components stay operational: only the page-level rule makes it "maintenance".
    expect(
      summary.components
        .filter((c: { group: boolean }) => !c.group)
        .every((c: { status: string }) => c.status === 'operational'),
    ).toBe(true);
    const html = await page('/');
    const b = banner(html)!;
    expect(b[1]).toBe('under_maintenance');
    expect(b[2]).toBe(summary.status.description);
    expect(b[2]).toBe('Mantenimiento en curso');
    expect(b[3]).toBe(
      'Mantenimiento en curso en Metepec · Fibra óptica; Metepec · Inalámbrico (microondas): <a href="#mantenimiento-en-curso">ver detalles</a>.',
    );
    expect(html).toContain('id="mantenimiento-en-curso"');
  });

  it('the NOC dashboard says what the public page says', async () => {
    addUser(s.db, 'noc@somnet.com.mx', 'noc', 'una contraseña larga de prueba', { mustChange: false });
    const desk = new ConsoleClient(s.url);
    expect((await desk.login('noc@somnet.com.mx', 'una contraseña larga de prueba')).status).toBe(303);
    const res = await desk.get('/noc');
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(
      /<section class="banner tone-under_maintenance"[^>]*>\s*<h1 id="estado">Mantenimiento en curso<\/h1>/,
    );
  });
});

describe('/autodiagnostico: "ya lo sabemos" for a maintenance in progress', () => {
  it('stops the flow in the affected area with the window, the notice, the expected end and the latest update', async () => {
    clock.set('2026-11-26T18:20:00Z');
    await call('POST', `/api/v1/maintenances/${maintenanceId}/updates`, {
      status: 'in_progress',
      body: 'OLT reiniciada; restableciendo sesiones.',
    });
    const html = await diagnosis('metepec');
    expect(html).toContain('Ya lo sabemos: hay un mantenimiento en curso en Metepec');
    expect(html).toContain(`<a href="/mantenimiento/${maintenanceId}">Reinicio de OLT en Metepec</a>`);
    expect(html).toContain('Reinicio controlado de la OLT principal.');
    expect(html).toContain('OLT reiniciada; restableciendo sesiones.');
    expect(html).toMatch(
      /<dt>Término previsto<\/dt><dd><time datetime="2026-11-26T19:30:00.000Z">26 nov 2026,? 13:30( \(hora del centro de México\))?<\/time><\/dd>/,
    );
    // The zone is named once on the page.
    expect(html.match(/\(hora del centro de México\)<\/time>/g)).toHaveLength(1);
    expect(html).toContain('<time datetime="2026-11-26T18:00:00.000Z">');
    expect(html).toContain('Servicio degradado');
    expect(html).toContain('Mantenimiento de emergencia');
    // The flow stops: no ticket template.
    expect(html).not.toContain('id="resultados"');
    expect(html).not.toContain('No tenemos fallas publicadas');
  });

  it('does not stop the flow in an area the window does not touch', async () => {
    const html = await diagnosis('toluca');
    expect(html).toContain('No tenemos fallas publicadas en Toluca');
    expect(html).not.toContain('Reinicio de OLT en Metepec');
  });

  it('shows an incident and the window together, the incident first', async () => {
    const incident = await call('POST', '/api/v1/incidents', {
      name: 'Corte de fibra en Metepec',
      status: 'identified',
      body: 'Cuadrilla en camino.',
      components: { 'metepec-fibra': 'major_outage' },
    });
    const html = await diagnosis('metepec');
    expect(html).toContain('Ya lo sabemos: hay una falla en Metepec');
    expect(html.indexOf('Corte de fibra en Metepec')).toBeGreaterThan(0);
    expect(html.indexOf('Corte de fibra en Metepec')).toBeLessThan(html.indexOf('Reinicio de OLT en Metepec'));
    // The banner now reports the outage, not the maintenance.
    expect(banner(await page('/'))![2]).toBe('Sin servicio en parte de la red');
    await call('POST', `/api/v1/incidents/${incident.id}/updates`, {
      status: 'resolved',
      body: 'Restablecido.',
      components: { 'metepec-fibra': 'operational' },
    });
  });

  it('lets the flow reach the ticket once the window is completed', async () => {
    clock.set('2026-11-26T19:00:00Z');
    await call('POST', `/api/v1/maintenances/${maintenanceId}/updates`, {
      status: 'completed',
      body: 'Trabajo concluido.',
    });
    const html = await diagnosis('metepec');
    expect(html).toContain('No tenemos fallas publicadas en Metepec');
    expect(html).toContain('id="resultados"');
    expect(banner(await page('/'))![2]).toBe('Todos los servicios operan con normalidad');
  });
});

describe('feed links', () => {
  it('every maintenance item of /feed.rss points at an existing anchor of the maintenance page', async () => {
    const feed = parseRssFeed(await page('/feed.rss'));
    const links = feed.items!.map((i) => i.link!).filter((l) => l.includes('/mantenimiento/'));
    expect(links).toHaveLength(4);
    const html = await page(`/mantenimiento/${maintenanceId}`);
    for (const link of links) {
      const anchor = new URL(link).hash.slice(1);
      expect(anchor).toMatch(/^actualizacion-[a-z0-9]+$/);
      expect(html).toContain(`id="${anchor}"`);
    }
  });
});
