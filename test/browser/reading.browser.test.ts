// The customer on a phone and the operator at a desk: no word
// is split across two lines in any table at 320, 360 or 1280 px; a phone's header is one line
// with a «Menú» that opens without JavaScript; a zone's link preselects it on /suscribirse and
// nothing chosen asks; «¿Me afecta?» reads the ID however it is typed. In Chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { startTestServer } from '../support/server.ts';
import { testClock } from '../support/db.ts';
import { replaceServiceInventory } from '#db/commands/services.ts';
import { systemActor } from '#db/commands/audit.ts';
import { inventory } from '../services/fixtures.ts';
import { addUser, submitSignIn } from '../console/support.ts';

const clock = testClock('2026-11-26T16:00:00Z');
let server: Awaited<ReturnType<typeof startTestServer>>;
let browser: Browser;
let incidentId = '';

beforeAll(async () => {
  server = await startTestServer({ now: clock.now, publicUrl: 'http://127.0.0.1' });
  replaceServiceInventory(server.db, inventory, { now: clock.now(), actor: systemActor });
  addUser(server.db, 'guardia@somnet.com.mx', 'noc', 'guardia-de-noche-1', { mustChange: false });
  const resolved = (await (
    await server.api('POST', '/api/v1/incidents', {
      name: 'Intermitencia en el anillo de distribución de Zinacantepec',
      status: 'identified',
      impact: 'major',
      body: 'Identificamos una tarjeta de distribución con fallas intermitentes.',
      cause: 'Tarjeta de distribución defectuosa',
      started_at: '2026-11-20T15:00:00Z',
      components: { 'zinacantepec-fibra': 'partial_outage', 'zinacantepec-inalambrico': 'degraded_performance' },
    })
  ).json()) as { id: string };
  await server.api('POST', `/api/v1/incidents/${resolved.id}/updates`, {
    status: 'resolved',
    body: 'Tarjeta sustituida; servicio restablecido.',
  });
  const open = (await (
    await server.api('POST', '/api/v1/incidents', {
      name: 'Corte de fibra en Metepec por obra civil en avenida Tecnológico',
      status: 'identified',
      impact: 'critical',
      body: 'Cuadrilla en camino al punto del corte.',
      cause: 'Corte de fibra por obra civil de terceros',
      eta: '2026-11-26T19:00:00Z',
      components: { 'metepec-fibra': 'major_outage', 'metepec-inalambrico': 'degraded_performance' },
    })
  ).json()) as { id: string };
  incidentId = open.id;
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const phone = (width: number, options: { javaScriptEnabled?: boolean } = {}): Promise<BrowserContext> =>
  browser.newContext({ viewport: { width, height: 740 }, isMobile: width < 600, hasTouch: width < 600, ...options });

/**
 * Words (two letters or more) in table cells whose letters lie on more than one line: each word's
 * Range gives one rectangle per line it occupies. A hyphenated break counts too.
 */
function splitWords(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    for (const cell of document.querySelectorAll('main td, main th')) {
      // Hidden cells, and the 1 px header row of a table stacked on a phone (read by screen readers only).
      if (!(cell as HTMLElement).checkVisibility() || cell.getBoundingClientRect().width < 20) continue;
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent ?? '';
        for (const m of text.matchAll(/\p{L}{2,}/gu)) {
          const range = document.createRange();
          range.setStart(node, m.index);
          range.setEnd(node, m.index + m[0].length);
          const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
          if (tops.size > 1) found.push(`«${m[0]}» in «${(cell.textContent ?? '').trim().slice(0, 60)}»`);
        }
      }
    }
    return found;
  });
}

describe('no word split in the middle', () => {
  it('in every table of the public pages and the console, at 320, 360 and 1280 px', async () => {
    const pages = [
      '/',
      '/disponibilidad',
      '/disponibilidad/2026-11',
      '/historial',
      '/soporte',
      '/mi-servicio/SOM-12345',
      '/mi-servicio/SOM-12345/reporte/2026-11',
      `/incidentes/${incidentId}`,
      '/zonas/metepec',
      '/mantenimiento',
      '/calidad',
      '/integraciones',
      '/integraciones/api',
    ];
    const consolePages = ['/noc', '/noc/incidentes', '/noc/auditoria', '/noc/componentes', '/noc/alertas'];
    const split: string[] = [];
    for (const width of [320, 360, 1280]) {
      const context = await phone(width);
      const page = await context.newPage();
      for (const path of pages) {
        await page.goto(`${server.url}${path}`);
        // Tables inside <details> count too: open them.
        await page.evaluate(() => document.querySelectorAll('main details').forEach((d) => d.setAttribute('open', '')));
        for (const w of await splitWords(page)) split.push(`${path} at ${width}px: ${w}`);
        const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
        if (scroll > width) split.push(`${path} at ${width}px scrolls sideways (${scroll}px)`);
      }
      await page.goto(`${server.url}/noc`);
      await submitSignIn(page, 'guardia@somnet.com.mx', 'guardia-de-noche-1');
      await page.waitForURL(`${server.url}/noc`);
      for (const path of consolePages) {
        await page.goto(`${server.url}${path}`);
        for (const w of await splitWords(page)) split.push(`${path} at ${width}px: ${w}`);
      }
      await context.close();
    }
    expect(split).toEqual([]);
  });

  it('the measure finds a split word when there is one', async () => {
    const context = await phone(360);
    const page = await context.newPage();
    await page.setContent(
      '<main><table style="width:60px"><tr><td style="overflow-wrap:anywhere">Disponibilidad</td></tr></table></main>',
    );
    expect(await splitWords(page)).toEqual(['«Disponibilidad» in «Disponibilidad»']);
    await context.close();
  });
});

describe('a phone header', () => {
  for (const javaScriptEnabled of [true, false]) {
    it(`is one line (mark, state, «Menú») and its menu opens ${javaScriptEnabled ? 'with' : 'without'} JavaScript`, async () => {
      const context = await phone(360, { javaScriptEnabled });
      const page = await context.newPage();
      await page.goto(`${server.url}/historial`);
      const header = (await page.locator('header.site').boundingBox())!;
      expect(header.height).toBeLessThanOrEqual(64);
      expect(await page.locator('header.site .now img').getAttribute('src')).toBe('/badge.svg');
      const menu = page.locator('details.menu');
      expect(await menu.isVisible()).toBe(true);
      expect(await page.locator('nav.wide').isVisible()).toBe(false);
      const link = menu.getByRole('link', { name: 'Avisos por correo' });
      expect(await link.isVisible()).toBe(false);
      await menu.locator('summary').click();
      expect(await link.isVisible()).toBe(true);
      expect((await link.boundingBox())!.height).toBeGreaterThanOrEqual(44);
      await link.click();
      await page.waitForURL(`${server.url}/suscribirse`);
      await context.close();
    });
  }

  it('at 1280 px the menu is the row of links, no «Menú»', async () => {
    const context = await phone(1280);
    const page = await context.newPage();
    await page.goto(`${server.url}/historial`);
    expect(await page.locator('details.menu').isVisible()).toBe(false);
    expect(await page.locator('nav.wide').getByRole('link', { name: 'Historial' }).getAttribute('aria-current')).toBe(
      'page',
    );
    await context.close();
  });
});

describe('subscribing from a zone', () => {
  for (const width of [360, 1280]) {
    it(`a zone's link preselects «Toda la zona»; nothing chosen asks; the zone is what is signed up (${width} px)`, async () => {
      const context = await phone(width);
      const page = await context.newPage();
      await page.goto(`${server.url}/zonas/metepec`);
      await page.getByRole('link', { name: /Avisos de Metepec por correo/ }).click();
      await page.waitForURL(`${server.url}/suscribirse?zona=metepec`);
      expect(await page.getByLabel('Toda la zona Metepec').isChecked()).toBe(true);
      expect(await page.getByLabel('Toda la zona Lerma').isChecked()).toBe(false);
      expect(await page.getByLabel('Todas las zonas y servicios').isChecked()).toBe(false);

      // Nothing chosen: the page asks, nothing is signed up.
      await page.getByLabel('Toda la zona Metepec').uncheck();
      await page.getByLabel('Correo electrónico').fill(`zona-${width}@empresa.mx`);
      await page.getByRole('button', { name: 'Suscribirme' }).click();
      await page.waitForLoadState();
      expect(await page.locator('#componentes-error').textContent()).toContain('Todas las zonas y servicios');
      expect(await page.locator('#componentes').getAttribute('aria-invalid')).toBe('true');
      expect(await page.getByLabel('Correo electrónico').inputValue()).toBe(`zona-${width}@empresa.mx`);
      const none = server.db.$client
        .prepare('SELECT count(*) AS n FROM subscribers WHERE address = ?')
        .get(`zona-${width}@empresa.mx`) as { n: number };
      expect(none.n).toBe(0);

      await page.getByLabel('Toda la zona Metepec').check();
      await page.getByRole('button', { name: 'Suscribirme' }).click();
      await page.waitForLoadState();
      const scope = await page.locator('ul.scope').textContent();
      expect(scope).toContain('Metepec');
      expect(scope).not.toContain('Lerma');
      await context.close();
    });
  }

  it('an incident links to its zone and to subscribing to it, preselected', async () => {
    const context = await phone(360);
    const page = await context.newPage();
    await page.goto(`${server.url}/incidentes/${incidentId}`);
    const zones = page.locator('#zona-del-incidente');
    expect(await zones.getByRole('link', { name: 'Metepec', exact: true }).getAttribute('href')).toBe('/zonas/metepec');
    await zones.getByRole('link', { name: 'Recibir avisos de Metepec' }).click();
    await page.waitForURL(`${server.url}/suscribirse?zona=metepec`);
    expect(await page.getByLabel('Toda la zona Metepec').isChecked()).toBe(true);
    await context.close();
  });

  it('«Todas las zonas y servicios» is an explicit choice', async () => {
    const context = await phone(1280);
    const page = await context.newPage();
    await page.goto(`${server.url}/suscribirse`);
    expect(await page.locator('input[type=checkbox]:checked').count()).toBe(0);
    await page.getByLabel('Todas las zonas y servicios').check();
    await page.getByLabel('Correo electrónico').fill('todo@empresa.mx');
    await page.getByRole('button', { name: 'Suscribirme' }).click();
    await page.waitForLoadState();
    expect(await page.locator('#revise').textContent()).toBe('Revise su correo');
    expect(await page.locator('ul.scope').textContent()).toContain('Todas');
    await context.close();
  });
});

describe('«¿Me afecta?»', () => {
  for (const width of [360, 1280]) {
    it(`reads the ID however it is typed, in a full-width field 44 px tall (${width} px)`, async () => {
      const context = await phone(width);
      const page = await context.newPage();
      for (const typed of [' som 12345', 'som12345', 'SOM_12345', 'som-12345']) {
        await page.goto(`${server.url}/mi-servicio`);
        const input = page.getByLabel('ID del servicio');
        const box = (await input.boundingBox())!;
        expect(box.height).toBeGreaterThanOrEqual(44);
        if (width < 600) expect(box.width).toBeGreaterThanOrEqual(width - 2 * 16 - 2);
        await input.fill(typed);
        await page.getByRole('button', { name: 'Consultar' }).click();
        await page.waitForURL(`${server.url}/mi-servicio/SOM-12345`);
      }
      // Its zone is one tap from subscribing, «toda la zona» beside the service's own notices.
      expect(await page.getByRole('link', { name: 'de toda la zona Metepec' }).getAttribute('href')).toBe(
        '/suscribirse?zona=metepec',
      );
      await context.close();
    });
  }
});
