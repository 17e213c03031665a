// The first screen on a phone answers "do they know, why, and until when": the public pages as a
// customer reads them on a phone during an outage, with an outage's data (a critical fibre cut in Metepec with cause and ETA, degraded microwave in Lerma,
// a maintenance in 5 days), in Chromium at 320, 360 and 1280 px.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContextOptions } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { startTestServer } from '../support/server.ts';
import { testClock } from '../support/db.ts';
import { publicRoutes, pathFor } from '../../api/publish/routes.ts';
import { collections } from '../../api/publish/collections.ts';

const clock = testClock('2026-11-26T18:00:00Z'); // 12:00 in Mexico City
let s: Awaited<ReturnType<typeof startTestServer>>;
let browser: Browser;
let fibreCut: string;
const CAUSE = 'Corte de fibra por obra civil de terceros';
// 15:00 in Mexico City, three hours from now.
const ETA = '2026-11-26T21:00:00.000Z';
const ETA_TEXT = '26 nov 2026, 15:00 (hora del centro de México)';

async function ok(res: Promise<Response>): Promise<{ id: string }> {
  const r = await res;
  const body = await r.json();
  expect(r.status, JSON.stringify(body)).toBeLessThan(300);
  return body;
}

beforeAll(async () => {
  s = await startTestServer({ now: clock.now });
  browser = await launchBrowser();
  fibreCut = (
    await ok(
      s.api('POST', '/api/v1/incidents', {
        name: 'Corte de fibra óptica en Metepec',
        status: 'identified',
        impact: 'critical',
        body: 'Una obra civil cortó el cable troncal en Av. Tecnológico. La cuadrilla ya está en sitio realizando el empalme.',
        cause: CAUSE,
        eta: ETA,
        components: { 'metepec-fibra': 'major_outage' },
      }),
    )
  ).id;
  clock.advance(5 * 60_000);
  await ok(
    s.api('POST', '/api/v1/incidents', {
      name: 'Baja velocidad en enlaces de microondas de Lerma',
      status: 'investigating',
      impact: 'major',
      body: 'Detectamos baja velocidad en los enlaces inalámbricos de Lerma.',
      components: { 'lerma-inalambrico': 'degraded_performance' },
    }),
  );
  await ok(
    s.api('POST', '/api/v1/maintenances', {
      name: 'Cambio de tarjetas en la OLT de Toluca',
      body: 'Sustitución de tarjetas de línea.',
      scheduled_for: '2026-12-01T00:00:00-06:00',
      scheduled_until: '2026-12-01T03:00:00-06:00',
      components: ['toluca-fibra'],
      impact_kind: 'outage',
    }),
  );
  const cancelled = await ok(
    s.api('POST', '/api/v1/maintenances', {
      name: 'Ajuste de antenas en Zinacantepec',
      body: 'Alineación de antenas.',
      scheduled_for: '2026-12-01T01:00:00-06:00',
      scheduled_until: '2026-12-01T02:00:00-06:00',
      components: ['zinacantepec-inalambrico'],
    }),
  );
  await ok(s.api('POST', `/api/v1/maintenances/${cancelled.id}/cancel`, { body: 'Se hará junto con otra ventana.' }));
});
afterAll(async () => {
  await browser?.close();
  await s?.close();
});

function phone(width: number, extra: BrowserContextOptions = {}) {
  return browser.newContext({
    viewport: { width, height: 740 },
    isMobile: width < 600,
    hasTouch: width < 600,
    locale: 'es-MX',
    ...extra,
  });
}

/** Every public page of the published snapshot (api/publish/routes.ts), one member per family. */
function publicPages(): string[] {
  const pages: string[] = [];
  for (const route of publicRoutes) {
    const last = route.path.split('/').at(-1)!;
    if (route.path.startsWith('/api/') || last.includes('.')) continue;
    if (!route.each) {
      pages.push(route.path);
      continue;
    }
    const members = collections[route.each].all(s.db, clock.now());
    const preferred = members.find((m) => m === fibreCut || m === 'metepec') ?? members[0];
    if (preferred) pages.push(pathFor(route, preferred));
  }
  return pages;
}

describe('no public page scrolls sideways', () => {
  for (const width of [320, 360, 1280]) {
    it(`at ${width} px`, async () => {
      const pages = [
        ...publicPages(),
        '/autodiagnostico?zona=metepec',
        '/autodiagnostico?zona=toluca&reinicio=si&leds=rojo&cable=falla',
        '/soporte?criticidad=media&servicio=Internet&cliente=ACME',
      ];
      expect(pages).toContain('/zonas/metepec');
      expect(pages).toContain(`/incidentes/${fibreCut}`);
      const context = await phone(width);
      const tab = await context.newPage();
      const wide: string[] = [];
      for (const path of pages) {
        const res = await tab.goto(`${s.url}${path}`);
        expect(res!.status(), path).toBeLessThan(400);
        const scroll = await tab.evaluate(() => document.documentElement.scrollWidth);
        if (scroll > width) wide.push(`${path} (${scroll} px)`);
      }
      expect(wide).toEqual([]);
      await context.close();
    });
  }
});

describe('the first screen of / answers "do they know, why, and until when"', () => {
  for (const width of [320, 360, 1280]) {
    it(`shows the worst open incident's cause and ETA within the first 740 px at ${width} px`, async () => {
      const context = await phone(width);
      const tab = await context.newPage();
      await tab.goto(`${s.url}/`);
      const banner = tab.locator('section.banner');
      const cause = banner.locator('dd', { hasText: CAUSE });
      const eta = banner.locator('dd', { hasText: ETA_TEXT });
      for (const fact of [cause, eta]) {
        const box = (await fact.boundingBox())!;
        expect(box.y + box.height).toBeLessThanOrEqual(740);
        expect(box.x + box.width).toBeLessThanOrEqual(width);
      }
      // The open incidents come right under the banner, before the maintenance days away.
      const incidents = (await tab.locator('#incidentes-activos').boundingBox())!;
      const upcoming = (await tab.locator('#mantenimiento-proximo').boundingBox())!;
      expect(incidents.y).toBeLessThan(upcoming.y);
      await context.close();
    });
  }

  it('says when the NOC last spoke, "hace N min" by the reader\'s clock, and that a passed ETA is overdue', async () => {
    const context = await phone(360);
    const tab = await context.newPage();
    // The reader opens the page (or its published copy) 3 h 20 min after the last update.
    await tab.clock.install({ time: new Date('2026-11-26T21:25:00Z') });
    await tab.goto(`${s.url}/`);
    const updated = tab.locator('section.banner p', { hasText: 'Última actualización' });
    await expect
      .poll(() => updated.textContent())
      .toBe('Última actualización: 26 nov 2026, 12:05 (hora del centro de México) (hace 3 h 20 min)');
    await expect
      .poll(() => tab.locator('section.banner [data-eta]').textContent())
      .toBe(`${ETA_TEXT} · vencida — esperando actualización`);
    await context.close();
  });

  it('/incidentes/:id puts cause and ETA first, inside the first 740 px at 320 px', async () => {
    const context = await phone(320);
    const tab = await context.newPage();
    await tab.goto(`${s.url}/incidentes/${fibreCut}`);
    const facts = tab.locator('dl.facts').first();
    await expect(facts.locator('dt').first().textContent()).resolves.toBe('Causa');
    const eta = (await facts.locator('[data-eta]').boundingBox())!;
    expect(eta.y + eta.height).toBeLessThanOrEqual(740);
    await context.close();
  });

  it('says the ETA is overdue without JavaScript too, when the page is rendered after it', async () => {
    clock.set('2026-11-26T21:30:00Z');
    try {
      // Any public write renders the pages afresh (the page cache holds them until the next one).
      await ok(
        s.api('POST', '/api/v1/maintenances', {
          name: 'Revisión de respaldo eléctrico en Lerma',
          body: 'Prueba de la planta de emergencia.',
          scheduled_for: '2027-01-20T00:00:00-06:00',
          scheduled_until: '2027-01-20T01:00:00-06:00',
          components: ['lerma-fibra'],
        }),
      );
      const context = await phone(360, { javaScriptEnabled: false });
      const tab = await context.newPage();
      await tab.goto(`${s.url}/incidentes/${fibreCut}`);
      await expect(tab.locator('.facts [data-eta]').textContent()).resolves.toBe(
        `${ETA_TEXT} · vencida — esperando actualización`,
      );
      // No relative words in the HTML itself: a snapshot read later would be wrong.
      await expect(tab.locator('main').textContent()).resolves.not.toContain('hace ');
      await context.close();
    } finally {
      clock.set('2026-11-26T18:05:00Z');
    }
  });

  it('refreshes itself while an incident is open, and says so', async () => {
    const context = await phone(360);
    const tab = await context.newPage();
    await tab.clock.install({ time: new Date('2026-11-26T18:06:00Z') });
    await tab.goto(`${s.url}/`);
    await ok(
      s.api('POST', `/api/v1/incidents/${fibreCut}/updates`, {
        status: 'identified',
        body: 'Empalme al 50 %.',
        cause: 'Corte de fibra por obra del ayuntamiento',
        eta: ETA,
      }),
    );
    await tab.clock.runFor(61_000);
    await expect
      .poll(() => tab.locator('section.banner').textContent(), { timeout: 10_000 })
      .toContain('Corte de fibra por obra del ayuntamiento');
    await expect(tab.locator('#actualizacion-automatica').textContent()).resolves.toMatch(
      /^Página actualizada a las \d\d:\d\d/,
    );
    await ok(
      s.api('POST', `/api/v1/incidents/${fibreCut}/updates`, {
        status: 'identified',
        body: 'Empalme al 60 %.',
        cause: CAUSE,
        eta: ETA,
      }),
    );
    await context.close();
  });
});

describe('/autodiagnostico', () => {
  it('stops at once for an affected area: "Ya lo sabemos", cause and ETA, and no power-cycle steps', async () => {
    const context = await phone(360);
    const tab = await context.newPage();
    await tab.goto(`${s.url}/autodiagnostico`);
    await expect(tab.getByText('Desconecte de la corriente').count()).resolves.toBe(0);
    await tab.locator('#zona').selectOption('metepec');
    await Promise.all([tab.waitForURL(/zona=metepec/), tab.getByRole('button', { name: 'Comprobar mi zona' }).click()]);
    const known = tab.getByRole('heading', { name: 'Ya lo sabemos: hay una falla en Metepec' });
    await expect(known.isVisible()).resolves.toBe(true);
    const cause = tab.locator('#resultado dd', { hasText: CAUSE });
    const box = (await cause.boundingBox())!;
    expect(box.y + box.height).toBeLessThanOrEqual(740);
    await expect(tab.locator('#resultado [data-eta]').textContent()).resolves.toContain(ETA_TEXT);
    // The steps are there for whoever thinks their fault is another, folded away.
    await expect(tab.getByText('Desconecte de la corriente').isVisible()).resolves.toBe(false);
    await tab.getByText('Mi falla parece ser otra: hacer el autodiagnóstico').click();
    await expect(tab.getByText('Desconecte de la corriente').isVisible()).resolves.toBe(true);
    await context.close();
  });

  it('goes on to the steps for an area with nothing published', async () => {
    const context = await phone(360);
    const tab = await context.newPage();
    await tab.goto(`${s.url}/autodiagnostico`);
    await tab.locator('#zona').selectOption('san-mateo-atenco');
    await Promise.all([
      tab.waitForURL(/zona=san-mateo-atenco/),
      tab.getByRole('button', { name: 'Comprobar mi zona' }).click(),
    ]);
    await expect(
      tab.getByText('No tenemos fallas publicadas en San Mateo Atenco en este momento.', { exact: false }).isVisible(),
    ).resolves.toBe(true);
    await expect(tab.getByText('Desconecte de la corriente').isVisible()).resolves.toBe(true);
    await context.close();
  });
});

describe('area pages and the rest of the first impression', () => {
  it("/zonas/metepec says which technology is down, with the incident's cause and ETA", async () => {
    const context = await phone(360);
    const tab = await context.newPage();
    await tab.goto(`${s.url}/`);
    const chip = tab.locator('.areas a', { hasText: 'Metepec' });
    await expect(chip.textContent()).resolves.toContain('Fibra óptica sin servicio');
    await expect(chip.getAttribute('href')).resolves.toBe(`/incidentes/${fibreCut}`);
    await expect(tab.locator('.areas a', { hasText: 'Zinacantepec' }).getAttribute('href')).resolves.toBe(
      '/zonas/zinacantepec',
    );
    await tab.goto(`${s.url}/zonas/metepec`);
    await expect(tab.locator('h1').textContent()).resolves.toBe('Metepec: fibra óptica sin servicio');
    await expect(tab.locator('article.incident').textContent()).resolves.toContain(CAUSE);
    await expect(tab.locator('a[href="/componentes/metepec/feed.rss"]').count()).resolves.toBe(1);
    expect((await tab.goto(`${s.url}/zonas/no-existe`))!.status()).toBe(404);
    await context.close();
  });

  it('the 90-day bars open a per-day detail from the keyboard, linked to the incident, no hover needed', async () => {
    const context = await phone(360);
    const tab = await context.newPage();
    await tab.goto(`${s.url}/zonas/metepec`);
    const fibre = tab.locator('.component', { hasText: 'Fibra óptica' });
    const summary = fibre.locator('.uptime-days summary');
    await expect(summary.textContent()).resolves.toBe('Detalle por día: 1 día con incidencias');
    const link = fibre.locator(`.uptime-days a[href="/incidentes/${fibreCut}"]`);
    await expect(link.isVisible()).resolves.toBe(false);
    await summary.focus();
    await tab.keyboard.press('Enter');
    await expect(link.isVisible()).resolves.toBe(true);
    await expect(fibre.locator('.uptime-days li').textContent()).resolves.toMatch(
      /^26 de noviembre de 2026: \d.* sin servicio · Corte de fibra óptica en Metepec$/,
    );
    // A service with a quiet quarter has no detail at all.
    await expect(tab.locator('.component', { hasText: 'Inalámbrico' }).locator('.uptime-days').count()).resolves.toBe(
      0,
    );
    await context.close();
  });

  it('a cancelled maintenance says so in its heading, and its badge is not struck through', async () => {
    const context = await phone(360);
    const tab = await context.newPage();
    await tab.goto(`${s.url}/mantenimiento`);
    const link = tab.locator('table.month a', { hasText: 'Ajuste de antenas en Zinacantepec' });
    await Promise.all([tab.waitForURL(/\/mantenimiento\/[a-z0-9]+$/), link.click()]);
    await expect(tab.locator('h1').textContent()).resolves.toBe(
      'Mantenimiento cancelado: Ajuste de antenas en Zinacantepec',
    );
    const badge = tab.locator('.badge-cancelled');
    await expect(badge.evaluate((el) => getComputedStyle(el).textDecorationLine)).resolves.toBe('none');
    await context.close();
  });

  it('/mantenimiento on a phone lists the windows before the month grid', async () => {
    const context = await phone(360);
    const tab = await context.newPage();
    await tab.goto(`${s.url}/mantenimiento`);
    const list = (await tab.locator('#proximos').boundingBox())!;
    const grid = (await tab.locator('table.month').first().boundingBox())!;
    expect(list.y).toBeLessThan(grid.y);
    expect(grid.x + grid.width).toBeLessThanOrEqual(360);
    await context.close();
  });

  it('has a favicon, a theme colour and nav links of 24 px or more', async () => {
    const icon = await fetch(`${s.url}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toBe('image/x-icon');
    const context = await phone(360);
    const tab = await context.newPage();
    await tab.goto(`${s.url}/`);
    await expect(tab.locator('meta[name="theme-color"]').first().getAttribute('content')).resolves.toBe('#0550ae');
    for (const box of await tab
      .locator('header.site nav a')
      .evaluateAll((links) => links.map((a) => a.getBoundingClientRect().height))) {
      expect(box).toBeGreaterThanOrEqual(24);
    }
    await context.close();
  });

  it('follows a dark colour scheme with text of 4.5:1 or more', async () => {
    const context = await phone(360, { colorScheme: 'dark' });
    const tab = await context.newPage();
    await tab.goto(`${s.url}/zonas/metepec`);
    const ratios = await tab.evaluate(() => {
      const rgb = (c: string) =>
        c
          .match(/\d+(\.\d+)?/g)!
          .slice(0, 3)
          .map(Number);
      const lum = (c: string) => {
        const [r, g, b] = rgb(c).map((v) => {
          const x = v / 255;
          return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      const ratio = (a: string, b: string) => {
        const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
        return (hi + 0.05) / (lo + 0.05);
      };
      const bg = getComputedStyle(document.documentElement).backgroundColor;
      const sample = (selector: string) => ratio(getComputedStyle(document.querySelector(selector)!).color, bg);
      return {
        bgLuminance: lum(bg),
        text: sample('main p'),
        link: sample('main a'),
        muted: sample('.muted'),
        outage: sample('.status-major_outage'),
      };
    });
    expect(ratios.bgLuminance).toBeLessThan(0.05);
    for (const [name, value] of Object.entries(ratios))
      if (name !== 'bgLuminance') expect(value, name).toBeGreaterThanOrEqual(4.5);
    await context.close();
  });
});
