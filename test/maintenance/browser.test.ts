import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { startTestServer } from '../support/server.ts';
import { testClock } from '../support/db.ts';

const clock = testClock('2026-11-26T18:00:00Z');
let server: Awaited<ReturnType<typeof startTestServer>>;
let browser: Browser;
let id: string;

beforeAll(async () => {
  server = await startTestServer({ now: clock.now });
  const res = await server.api('POST', '/api/v1/maintenances', {
    name: 'Migración de OLT en Zinacantepec',
    body: 'Migración de clientes de fibra.',
    scheduled_for: '2026-12-03T00:00:00-06:00',
    scheduled_until: '2026-12-03T02:00:00-06:00',
    components: ['zinacantepec-fibra'],
  });
  id = (await res.json()).id;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('maintenance calendar in a browser without JavaScript', () => {
  it('goes from the home page to the calendar, the next month and the maintenance, and offers the .ics', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, locale: 'es-MX' });
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    await expect(
      page.getByRole('heading', { name: 'Mantenimiento programado: próximos 7 días' }).count(),
    ).resolves.toBe(1);
    await page.getByRole('navigation', { name: 'Principal' }).getByRole('link', { name: 'Mantenimiento' }).click();
    await page.waitForURL(`${server.url}/mantenimiento`);
    expect(await page.getByRole('heading', { level: 2, name: 'noviembre de 2026' }).count()).toBe(1);
    await page.getByRole('link', { name: 'diciembre de 2026 →' }).click();
    await page.waitForURL(`${server.url}/mantenimiento/mes/2026-12`);
    const cell = page.getByRole('cell', { name: /^3\b/ });
    await cell.getByRole('link', { name: '00:00 Migración de OLT en Zinacantepec' }).click();
    await page.waitForURL(`${server.url}/mantenimiento/${id}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(
      'Mantenimiento programado: Migración de OLT en Zinacantepec',
    );
    const download = page.getByRole('link', { name: 'Añadir a mi calendario' });
    expect(await download.getAttribute('href')).toBe(`/mantenimiento/${id}.ics`);
    const ics = await page.request.get(`${server.url}/mantenimiento/${id}.ics`);
    expect(ics.headers()['content-type']).toBe('text/calendar; charset=utf-8');
    expect(await ics.text()).toContain(`UID:maintenance-${id}@`);
    await context.close();
  });
});
