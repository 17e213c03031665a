import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { startTestServer } from '../support/server.ts';
import { testClock } from '../support/db.ts';

// A fixed clock: the ETA below must still be ahead when the incident is posted (a past one is refused).
const clock = testClock('2026-11-26T20:00:00Z');
let s: Awaited<ReturnType<typeof startTestServer>>;
let browser: Browser;
beforeAll(async () => {
  s = await startTestServer({ now: clock.now });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await s?.close();
});

describe('in Chromium', () => {
  it('an incident posted through the API appears on / for a customer on a phone, JavaScript off', async () => {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 390, height: 844 },
      locale: 'es-MX',
    });
    const tab = await context.newPage();
    await tab.goto(`${s.url}/`);
    await expect(tab.locator('h1').textContent()).resolves.toBe('Todos los servicios operan con normalidad');

    const res = await s.api('POST', '/api/v1/incidents', {
      name: 'Corte de fibra en San Mateo Atenco',
      status: 'identified',
      body: 'Cuadrilla trabajando en el empalme.',
      cause: 'Corte de fibra por obra civil',
      eta: '2026-11-26T18:00:00-06:00',
      components: { 'san-mateo-atenco-fibra': 'major_outage' },
    });
    expect(res.status).toBe(201);

    await tab.reload();
    await expect(tab.locator('h1').textContent()).resolves.toBe('Sin servicio en parte de la red');
    // Above the fold on a phone: the banner names the affected area.
    const banner = tab.locator('section.banner');
    await expect(banner.textContent()).resolves.toContain('San Mateo Atenco · Fibra óptica');
    const box = await banner.boundingBox();
    expect(box!.y + box!.height).toBeLessThan(844);
    // The chip says which technology is down, not "Sin servicio" for the whole area, and leads to the incident.
    const area = tab.locator('.areas li', { hasText: 'San Mateo Atenco' });
    await expect(area.textContent()).resolves.toContain('Fibra óptica sin servicio');
    await expect(area.locator('a').getAttribute('href')).resolves.toMatch(/^\/incidentes\/[a-z0-9]+$/);
    const card = tab.locator('article.incident', { hasText: 'Corte de fibra en San Mateo Atenco' });
    await expect(card.textContent()).resolves.toContain('Corte de fibra por obra civil');
    await expect(card.textContent()).resolves.toContain('26 nov 2026, 18:00');
    // The zone is named once on the page (the banner's ETA), each time keeps its machine-readable instant.
    expect((await tab.content()).match(/\(hora del centro de México\)<\/time>/g)).toHaveLength(1);
    await expect(card.locator('time').first().getAttribute('datetime')).resolves.toMatch(/^\d{4}-\d\d-\d\dT/);

    await card.getByRole('link', { name: 'Corte de fibra en San Mateo Atenco' }).click();
    await tab.waitForURL(/\/incidentes\/[a-z0-9]+$/);
    await expect(tab.locator('h1').textContent()).resolves.toBe('Corte de fibra en San Mateo Atenco');
    await context.close();
  });

  it('the skip link and area links work from the keyboard', async () => {
    const tab = await browser.newPage();
    await tab.goto(`${s.url}/`);
    await tab.waitForLoadState('load');
    await tab.keyboard.press('Tab');
    await expect(tab.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Saltar al contenido');
    await tab.keyboard.press('Enter');
    await tab.waitForURL(/#contenido$/);
    // An area with nothing open links to its own page.
    await tab.locator('.areas a', { hasText: 'Lerma' }).focus();
    await tab.keyboard.press('Enter');
    await tab.waitForURL(/\/zonas\/lerma$/);
    await expect(tab.locator('h1').textContent()).resolves.toBe('Lerma: operativo');
    await tab.close();
  });
});
