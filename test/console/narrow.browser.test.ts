// Every console page, signed in, at 320, 360 and 1280 px: nothing scrolls sideways. And the
// password form as a person meets it: the rules before any error, what was right kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { startTestServer } from '../support/server.ts';
import { testClock } from '../support/db.ts';
import { createMaintenance } from '#db/commands/maintenances.ts';
import { addUser, submitSignIn } from './support.ts';

const clock = testClock('2026-11-26T16:00:00Z');
let server: Awaited<ReturnType<typeof startTestServer>>;
let browser: Browser;
let paths: string[] = [];

beforeAll(async () => {
  server = await startTestServer({ now: clock.now, publicUrl: 'http://127.0.0.1' });
  addUser(server.db, 'jefa@somnet.com.mx', 'admin', 'clave-de-la-jefa-123', { mustChange: false });
  addUser(server.db, 'nuevo@somnet.com.mx', 'noc', 'clave-temporal-9876');
  const incident = (await (
    await server.api('POST', '/api/v1/incidents', {
      name: 'Corte de fibra en Metepec por obra civil en avenida Tecnológico',
      status: 'identified',
      impact: 'critical',
      body: 'Cuadrilla en camino al punto del corte, frente a la plaza comercial.',
      cause: 'Corte de fibra por obra civil de terceros',
      eta: '2026-11-26T18:00:00Z',
      components: { 'metepec-fibra': 'major_outage', 'metepec-inalambrico': 'degraded_performance' },
    })
  ).json()) as { id: string };
  const { maintenance } = createMaintenance(
    server.db,
    {
      name: 'Cambio de tarjetas en el nodo Toluca centro',
      body: 'Sustitución de tarjetas de línea.',
      components: ['toluca-fibra'],
      scheduledFor: new Date('2026-12-02T06:00:00Z'),
      scheduledUntil: new Date('2026-12-02T08:00:00Z'),
    },
    { now: clock.now(), actor: { kind: 'cli', name: 'pruebas' } },
  );
  paths = [
    '/noc',
    '/noc/incidentes/nuevo',
    '/noc/incidentes/nuevo?plantilla=corte-fibra',
    `/noc/incidentes/${incident.id}`,
    '/noc/alertas',
    '/noc/alertas/reglas',
    '/noc/componentes',
    '/noc/mantenimientos',
    '/noc/mantenimientos/nuevo',
    `/noc/mantenimientos/${maintenance.id}`,
    '/noc/suscriptores',
    '/noc/auditoria',
    '/noc/contrasena',
    '/noc/admin',
    '/noc/admin/usuarios',
    '/noc/admin/catalogo',
    '/noc/admin/tokens',
  ];
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('console on a narrow screen', () => {
  // One test per width: each signs in and walks every console page in its own browser context.
  it.each([320, 360, 1280])('no console page scrolls sideways at %i px', async (width) => {
    const wide: string[] = [];
    const context = await browser.newContext({ viewport: { width, height: 740 }, isMobile: width < 600 });
    const page = await context.newPage();
    await page.goto(`${server.url}/noc/login`);
    const measure = async (label: string) => {
      const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
      if (scroll > width) wide.push(`${label} at ${width}px: ${scroll}px`);
    };
    await measure('/noc/login');
    await submitSignIn(page, 'jefa@somnet.com.mx', 'clave-de-la-jefa-123');
    await page.waitForURL('**/noc');
    for (const path of paths) {
      const res = await page.goto(`${server.url}${path}`);
      expect(res?.status(), path).toBe(200);
      await measure(path);
    }
    // The composer with its preview and the email shown.
    await page.goto(`${server.url}/noc/incidentes/nuevo?plantilla=corte-fibra`);
    await page.getByLabel('Título').fill('Corte de fibra en Zinacantepec');
    await page.getByLabel('Toda la zona Zinacantepec').check();
    await page.getByRole('button', { name: 'Vista previa y confirmación' }).click();
    await page.locator('section.preview').waitFor();
    await measure('composer preview');
    // Its two buttons are apart: neither can be hit for the other.
    const [a, b] = await Promise.all(
      [
        page.getByRole('button', { name: 'Actualizar vista previa' }),
        page.getByRole('button', { name: 'Publicar incidente' }).last(),
      ].map((l) => l.boundingBox()),
    );
    expect(a!.height).toBeGreaterThanOrEqual(24);
    expect(b!.height).toBeGreaterThanOrEqual(24);
    const apart = b!.x >= a!.x + a!.width + 8 || b!.y >= a!.y + a!.height + 8;
    expect(apart, `buttons at ${width}px: ${JSON.stringify([a, b])}`).toBe(true);
    await context.close();
    expect(wide).toEqual([]);
  });
});

describe('password change', () => {
  it('shows the rules before any error and keeps what was right after one', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}/noc/login`);
    await submitSignIn(page, 'nuevo@somnet.com.mx', 'clave-temporal-9876');
    await page.waitForURL('**/noc/contrasena');
    const rules = page.locator('#reglas');
    expect(await rules.textContent()).toContain('Entre 12 y 200 caracteres');
    expect(await rules.textContent()).toContain('Sin su nombre de usuario');
    expect(await page.locator('.field-error').count()).toBe(0);

    await page.getByLabel('Contraseña actual').fill('clave-temporal-9876');
    await page.getByLabel('Nueva contraseña (mínimo 12 caracteres)').fill('guardia-de-noche-larga');
    await page.getByLabel('Repita la nueva contraseña').fill('guardia-de-noche-largo');
    await page.getByRole('button', { name: 'Guardar contraseña' }).click();
    expect(await page.locator('#repetir-error').textContent()).toBe('Las contraseñas no coinciden.');
    expect(await page.locator('#reglas').isVisible()).toBe(true);
    // Only the field in error is emptied.
    expect(await page.getByLabel('Contraseña actual').inputValue()).toBe('clave-temporal-9876');
    expect(await page.getByLabel('Nueva contraseña (mínimo 12 caracteres)').inputValue()).toBe(
      'guardia-de-noche-larga',
    );
    expect(await page.getByLabel('Repita la nueva contraseña').inputValue()).toBe('');
    await page.getByLabel('Repita la nueva contraseña').fill('guardia-de-noche-larga');
    await page.getByRole('button', { name: 'Guardar contraseña' }).click();
    await page.waitForURL('**/noc?aviso=contrasena');
    await page.context().close();
  });
});
