// The maintenance scheduler in Chromium: hints as you type, then the window on /mantenimiento.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { startTestServer } from '../support/server.ts';
import { testClock } from '../support/db.ts';
import { maintenanceDetail } from '#db/queries/index.ts';
import { addUser, submitSignIn } from './support.ts';

const clock = testClock('2026-11-26T16:00:00Z'); // Thursday 10:00 in Mexico City
let server: Awaited<ReturnType<typeof startTestServer>>;
let browser: Browser;

beforeAll(async () => {
  server = await startTestServer({ now: clock.now, publicUrl: 'http://127.0.0.1' });
  addUser(server.db, 'guardia@somnet.com.mx', 'noc', 'clave-de-la-guardia', { mustChange: false });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('maintenance scheduler in Chromium', () => {
  it('shows the 72 h and low-impact hints as the NOC types, and the published window appears on /mantenimiento', async () => {
    const context = await browser.newContext({ locale: 'es-MX' });
    const page = await context.newPage();
    const scriptErrors: string[] = [];
    page.on('pageerror', (err) => scriptErrors.push(err.message));
    await page.goto(`${server.url}/noc`);
    await submitSignIn(page, 'guardia@somnet.com.mx', 'clave-de-la-guardia');
    await page.waitForURL(`${server.url}/noc`);
    await page.getByRole('navigation', { name: 'Consola' }).getByRole('link', { name: 'Mantenimientos' }).click();
    await page.getByRole('link', { name: 'Programar un mantenimiento' }).click();
    await page.waitForURL('**/noc/mantenimientos/nuevo');

    // The public calendar is rendered (and cached) before the window exists.
    const publicPage = await context.newPage();
    await publicPage.goto(`${server.url}/mantenimiento`);
    expect(await publicPage.locator('main').textContent()).not.toContain('Cambio de radios en Lerma');
    // A tab in the background gets no animation frames, which Playwright waits for before clicking.
    await page.bringToFront();

    const notice = page.locator('#scheduled_for-hint');
    const window = page.locator('#scheduled_until-hint');
    expect(await notice.textContent()).toBe('');
    await page.getByLabel('Título').fill('Cambio de radios en Lerma');
    await page
      .getByLabel('Mensaje para los clientes (qué se hará y qué notarán)')
      .fill('Cortes de hasta 15 minutos en enlaces de microondas.');
    // Saturday 00:00 is 38 h away: too little notice, said before anything is sent.
    await page.getByLabel('Inicio').fill('2026-11-28T00:00');
    // The script's clock is the server's at render time plus the seconds spent on the page, so
    // the notice shown may already be an hour lower (37 h 59 min 58 s floors to 37 h).
    await expect
      .poll(() => notice.textContent())
      .toMatch(
        /^Menos de 72 horas de aviso \(1 día y 1[34] h de anticipación\)\. El inicio más cercano posible es 29 nov 2026, 10:0\d/,
      );
    expect(await notice.getAttribute('class')).toBe('hint hint-error');
    await page.getByLabel('Término').fill('2026-11-28T10:00');
    await expect
      .poll(() => window.textContent())
      .toBe(
        'Fuera del horario de bajo impacto (00:00–04:00, hora del centro de México): se publicará marcado así. Duración: 10 h.',
      );
    await page.getByLabel('Mantenimiento de emergencia (permite menos de 72 horas de aviso)').check();
    await expect
      .poll(() => notice.textContent())
      .toContain('Emergencia: se publicará como «Mantenimiento de emergencia»');
    await page.getByLabel('Mantenimiento de emergencia (permite menos de 72 horas de aviso)').uncheck();
    await page.getByLabel('Término').fill('2026-11-28T13:00');
    await expect.poll(() => window.textContent()).toContain('La ventana no puede durar más de 12 horas');

    await page.getByLabel('Inicio').fill('2026-12-05T00:00');
    await page.getByLabel('Término').fill('2026-12-05T03:00');
    await expect
      .poll(() => notice.textContent())
      .toMatch(/^Aviso: 8 días y 1[34] h de anticipación \(mínimo 72 horas\)\.$/);
    expect(await notice.getAttribute('class')).toBe('hint hint-ok');
    await expect
      .poll(() => window.textContent())
      .toBe('Dentro del horario de bajo impacto (00:00–04:00). Duración: 3 h.');
    await page.getByLabel('Toda la zona Lerma').check();
    expect(await page.getByLabel('Lerma · Inalámbrico (microondas)').isChecked()).toBe(true);
    await page.getByLabel('Lerma · Fibra óptica').uncheck();
    expect(await page.getByLabel('Toda la zona Lerma').isChecked()).toBe(false);
    await page.getByRole('button', { name: 'Publicar mantenimiento' }).click();
    await page.waitForURL(/\/noc\/mantenimientos\/\w+\?aviso=programado$/);
    expect(await page.getByRole('status').first().textContent()).toContain('Mantenimiento publicado.');
    const id = /\/noc\/mantenimientos\/(\w+)/.exec(page.url())![1];

    await publicPage.goto(`${server.url}/mantenimiento`);
    const link = publicPage.locator('main').getByRole('link', { name: 'Cambio de radios en Lerma' }).first();
    expect(await link.getAttribute('href')).toBe(`/mantenimiento/${id}`);
    await publicPage.goto(`${server.url}/mantenimiento?mes=2026-12`);
    expect(await publicPage.getByRole('cell', { name: /^5\b/ }).textContent()).toContain(
      '00:00 Cambio de radios en Lerma',
    );
    expect(maintenanceDetail(server.db, id)!.components.map((c) => c.slug)).toEqual(['lerma-inalambrico']);
    expect(scriptErrors).toEqual([]);
    await context.close();
  });
});
