import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { startTestServer } from '../support/server.ts';

let s: Awaited<ReturnType<typeof startTestServer>>;
let browser: Browser;
beforeAll(async () => {
  [s, browser] = await Promise.all([startTestServer(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await s?.close();
});

/** A page whose map tiles can never load (tests have no internet; this makes it certain). */
async function openPage(
  path: string,
  options: Parameters<Browser['newContext']>[0] = {},
): Promise<{ context: BrowserContext; page: Page; cspErrors: string[]; tileRequests: string[] }> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const cspErrors: string[] = [];
  const tileRequests: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
  });
  await page.route(
    (url) => !url.href.startsWith(s.url),
    (route) => {
      tileRequests.push(route.request().url());
      return route.abort('internetdisconnected');
    },
  );
  await page.goto(`${s.url}${path}`);
  return { context, page, cspErrors, tileRequests };
}

const overlayPaths = (page: Page) => page.locator('.leaflet-overlay-pane path');

describe('LED guide in Chromium', () => {
  it('blinking LEDs animate by default', async () => {
    const { context, page } = await openPage('/leds');
    const blinking = page.locator('.led-blinking').first();
    expect(await blinking.evaluate((el) => getComputedStyle(el).animationName)).toBe('led-blink');
    expect(await blinking.evaluate((el) => el.getAnimations().length)).toBe(1);
    await context.close();
  });

  it('are still under prefers-reduced-motion, marked by a dashed ring instead', async () => {
    const { context, page } = await openPage('/leds');
    await page.emulateMedia({ reducedMotion: 'reduce' });
    const blinking = page.locator('.led-blinking').first();
    expect(await blinking.evaluate((el) => getComputedStyle(el).animationName)).toBe('none');
    expect(await blinking.evaluate((el) => el.getAnimations().length)).toBe(0);
    expect(await blinking.evaluate((el) => getComputedStyle(el).outlineStyle)).toBe('dashed');
    await context.close();
  });
});

describe('coverage map in Chromium, tiles unreachable', () => {
  it('draws both layers on a plain background and toggles each', async () => {
    const { context, page, cspErrors, tileRequests } = await openPage('/cobertura');
    await expect.poll(() => overlayPaths(page).count()).toBe(10);
    expect(tileRequests.length).toBeGreaterThan(0);
    expect(tileRequests.every((u) => u.startsWith('https://tile.openstreetmap.org/'))).toBe(true);
    expect(await page.locator('.leaflet-control-attribution').textContent()).toContain('OpenStreetMap');

    const fibre = page.getByRole('checkbox', { name: 'Fibra óptica' });
    const microwave = page.getByRole('checkbox', { name: 'Inalámbrico (microondas)' });
    await fibre.uncheck();
    await expect.poll(() => overlayPaths(page).count()).toBe(5);
    await microwave.uncheck();
    await expect.poll(() => overlayPaths(page).count()).toBe(0);
    await fibre.check();
    await microwave.check();
    await expect.poll(() => overlayPaths(page).count()).toBe(10);
    expect(cspErrors).toEqual([]);
    await context.close();
  });

  it('answers a click with technology and live status', async () => {
    await s.api('POST', '/api/v1/incidents', {
      name: 'Lentitud en Toluca',
      status: 'investigating',
      impact: 'major',
      body: 'Revisando.',
      components: { 'toluca-fibra': 'degraded_performance' },
    });
    const { context, page } = await openPage('/cobertura');
    await expect.poll(() => overlayPaths(page).count()).toBe(10);
    // The first path drawn is Toluca's fibre area; its centre is inside fibre and microwave.
    const box = (await overlayPaths(page).first().boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    const answer = page.locator('#respuesta');
    await expect.poll(() => answer.textContent()).toContain('Sí hay cobertura');
    const text = (await answer.textContent())!;
    expect(text).toContain('Fibra óptica · Toluca centro y zona industrial (Toluca) — estado actual: Baja velocidad');
    expect(text).toContain(
      'Inalámbrico (microondas) · Toluca (todo el municipio urbano) (Toluca) — estado actual: Operativo',
    );
    expect(await page.locator('.leaflet-marker-icon').count()).toBe(1);
    expect(await page.locator('#f-latitude').inputValue()).toMatch(/^19\.2\d+$/);
    await context.close();
  });

  it('uses the browser location; outside coverage it leads to the prefilled feasibility form', async () => {
    const { context, page } = await openPage('/cobertura', {
      geolocation: { latitude: 19.5012, longitude: -99.2033 },
      permissions: ['geolocation'],
    });
    await expect.poll(() => overlayPaths(page).count()).toBe(10);
    await page.getByRole('button', { name: 'Usar mi ubicación' }).click();
    const answer = page.locator('#respuesta');
    await expect.poll(() => answer.textContent()).toContain('Ese punto está fuera del área marcada');
    expect(await page.locator('#f-latitude').inputValue()).toBe('19.5012');
    expect(await page.locator('#f-longitude').inputValue()).toBe('-99.2033');
    await page.getByRole('link', { name: 'solicite un estudio de factibilidad sin costo' }).click();
    expect(page.url()).toMatch(/#factibilidad$/);
    await context.close();
  });
});

describe('keyboard navigation in Chromium', () => {
  async function tabTo(page: Page, predicate: string, max = 60): Promise<boolean> {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(predicate)) return true;
    }
    return false;
  }

  it('skip link first, then the layer toggles, the map and the coordinates form all work from the keyboard', async () => {
    const { context, page } = await openPage('/cobertura');
    await expect.poll(() => overlayPaths(page).count()).toBe(10);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Saltar al contenido');
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).left)).not.toBe('-9999px');

    expect(await tabTo(page, "document.activeElement?.id === 'mapa'")).toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#respuesta').textContent()).toMatch(/Sí hay cobertura|fuera del área/);

    expect(await tabTo(page, "document.activeElement?.getAttribute('value') === 'fiber'")).toBe(true);
    await page.keyboard.press('Space');
    await expect.poll(() => overlayPaths(page).count()).toBe(5);

    expect(await tabTo(page, "document.activeElement?.id === 'lat'")).toBe(true);
    await page.keyboard.press('Control+A');
    await page.keyboard.type('19.25');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('-99.6');
    await Promise.all([page.waitForURL(/lat=19\.25/), page.keyboard.press('Enter')]);
    expect(await page.locator('#respuesta').textContent()).toContain('Sí hay cobertura en 19.25, -99.6');
    await context.close();
  });

  it('the self-diagnosis can be completed from the keyboard, and its countdown runs', async () => {
    const { context, page } = await openPage('/autodiagnostico');
    expect(await tabTo(page, "document.activeElement?.id === 'zona'")).toBe(true);
    // Typing picks the option, as on any select (Toluca has an open problem in this file: its steps are folded away).
    await page.keyboard.type('Zin');
    expect(await page.locator('#zona').inputValue()).toBe('zinacantepec');
    // The area first: the steps come once we know there is nothing published there.
    expect(await tabTo(page, "document.activeElement?.getAttribute('type') === 'submit'")).toBe(true);
    await Promise.all([page.waitForURL(/zona=/), page.keyboard.press('Enter')]);
    await page.clock.install();

    expect(await tabTo(page, "document.activeElement?.hasAttribute('data-countdown-start')")).toBe(true);
    await page.keyboard.press('Enter');
    expect(await page.locator('[data-countdown-display]').textContent()).toBe('60 s');
    await page.clock.runFor(61_000);
    expect(await page.locator('[data-countdown-display]').textContent()).toContain('Listo');

    for (const name of ['reinicio', 'leds', 'cable']) {
      expect(await tabTo(page, `document.activeElement?.getAttribute('name') === '${name}'`)).toBe(true);
      await page.keyboard.press('Space');
    }
    expect(await tabTo(page, "document.activeElement?.getAttribute('type') === 'submit'")).toBe(true);
    await Promise.all([page.waitForURL(/cable=/), page.keyboard.press('Enter')]);
    expect(await page.locator('#resultado h2').textContent()).toMatch(/No tenemos fallas publicadas|Ya lo sabemos/);
    await context.close();
  });
});
