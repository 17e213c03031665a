// The operator in a hurry: a refused form says so at the top, with the focus
// on it and a link to each field; checking buttons look secondary and stand apart from the one
// that publishes, and a check keeps every tick; /noc/incidentes finds any incident, its report
// and its audit rows. In Chromium at 360 and 1280 px.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { startTestServer } from '../support/server.ts';
import { testClock } from '../support/db.ts';
import { addUser, submitSignIn } from './support.ts';
import { alertmanagerPayload } from '../alerts/payloads.ts';

const clock = testClock('2026-11-26T16:00:00Z'); // Thursday 10:00 in Mexico City
let server: Awaited<ReturnType<typeof startTestServer>>;
let browser: Browser;
const ids: Record<string, string> = {};

async function incident(body: Record<string, unknown>, resolve = false): Promise<string> {
  const res = await server.api('POST', '/api/v1/incidents', body);
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: string };
  if (resolve) {
    const done = await server.api('POST', `/api/v1/incidents/${id}/updates`, {
      status: 'resolved',
      body: 'Servicio restablecido.',
    });
    expect(done.status).toBe(201);
  }
  return id;
}

beforeAll(async () => {
  server = await startTestServer({ now: clock.now, publicUrl: 'http://127.0.0.1' });
  addUser(server.db, 'guardia@somnet.com.mx', 'noc', 'guardia-de-noche-1', { mustChange: false });
  // 26 old, resolved, low-criticality incidents: more than one page (25 a page).
  for (let i = 1; i <= 26; i++)
    await incident(
      {
        name: `Lentitud breve número ${i} en Zinacantepec`,
        status: 'investigating',
        impact: 'minor',
        body: 'Revisamos.',
        started_at: new Date(Date.UTC(2026, 8, i, 15)).toISOString(),
        components: { 'zinacantepec-inalambrico': 'degraded_performance' },
      },
      true,
    );
  ids.lerma = await incident(
    {
      name: 'Caída del enlace troncal de Lerma',
      status: 'identified',
      impact: 'critical',
      body: 'Cuadrilla en sitio.',
      cause: 'Falla de energía en el nodo',
      started_at: '2026-10-15T14:00:00Z',
      components: { 'lerma-fibra': 'major_outage' },
    },
    true,
  );
  const report = await server.api('PUT', `/api/v1/incidents/${ids.lerma}/report`, {
    body: '## Causa raíz\n\nFalla de energía en el nodo de Lerma.',
  });
  expect(report.status).toBe(201);
  ids.toluca = await incident(
    {
      name: 'Intermitencia en Toluca centro',
      status: 'investigating',
      impact: 'major',
      body: 'Revisamos el anillo.',
      started_at: '2026-11-25T14:00:00Z',
      components: { 'toluca-fibra': 'partial_outage' },
    },
    true,
  );
  ids.metepec = await incident({
    name: 'Corte de fibra en Metepec por obra civil',
    status: 'identified',
    impact: 'critical',
    body: 'Cuadrilla en camino.',
    components: { 'metepec-fibra': 'major_outage' },
  });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function signedIn(width: number): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 740 }, isMobile: width < 600 });
  const page = await context.newPage();
  await page.goto(`${server.url}/noc`);
  await submitSignIn(page, 'guardia@somnet.com.mx', 'guardia-de-noche-1');
  await page.waitForURL(`${server.url}/noc`);
  return page;
}

/** The error summary: shown in the first screen, focused, announced, one link per field. */
async function expectSummary(page: Page, links: Record<string, string>) {
  const summary = page.locator('[data-error-summary]');
  expect(await summary.count()).toBe(1);
  expect(await summary.getAttribute('role')).toBe('alert');
  expect(await page.evaluate(() => document.activeElement?.hasAttribute('data-error-summary'))).toBe(true);
  const box = (await summary.boundingBox())!;
  const viewport = page.viewportSize()!;
  expect(box.y).toBeGreaterThanOrEqual(0);
  expect(box.y).toBeLessThan(viewport.height);
  const hrefs = await summary.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  expect(hrefs).toEqual(Object.keys(links).map((id) => `#${id}`));
  for (const [id, text] of Object.entries(links)) {
    expect(await summary.locator(`a[href="#${id}"]`).textContent()).toContain(text);
    expect(await page.locator(`[id="${id}"]`).count(), `#${id} exists`).toBe(1);
  }
}

describe('a refused console form', () => {
  for (const width of [360, 1280]) {
    it(`an update without a message: summary at the top, focused, linked to the field, what was typed kept (${width} px)`, async () => {
      const page = await signedIn(width);
      await page.goto(`${server.url}/noc/incidentes/${ids.metepec}`);
      await page.getByLabel('Causa').fill('Obra civil de terceros en avenida Tecnológico');
      await page.getByRole('button', { name: 'Publicar actualización' }).click();
      await page.waitForLoadState();
      await expectSummary(page, { body: 'mensaje' });
      expect(await page.getByLabel('Mensaje', { exact: true }).getAttribute('aria-invalid')).toBe('true');
      expect(await page.locator('#body-error').isVisible()).toBe(true);
      expect(await page.getByLabel('Causa').inputValue()).toBe('Obra civil de terceros en avenida Tecnológico');
      // The link takes the operator to the field.
      await page.locator('[data-error-summary] a').click();
      expect(await page.evaluate(() => location.hash)).toBe('#body');
      await page.context().close();
    });

    it(`a maintenance window with nothing filled in: every field in error listed (${width} px)`, async () => {
      const page = await signedIn(width);
      await page.goto(`${server.url}/noc/mantenimientos/nuevo`);
      await page.getByLabel('Toda la zona Metepec').check();
      await page.getByRole('button', { name: 'Publicar mantenimiento' }).click();
      await page.waitForLoadState();
      const summary = page.locator('[data-error-summary]');
      const hrefs = await summary.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      expect(hrefs).toEqual(expect.arrayContaining(['#name', '#body', '#scheduled_for', '#scheduled_until']));
      expect(await page.evaluate(() => document.activeElement?.hasAttribute('data-error-summary'))).toBe(true);
      for (const id of ['name', 'scheduled_for']) {
        expect(await page.locator(`#${id}`).getAttribute('aria-invalid')).toBe('true');
      }
      // The area stays ticked (and so do its components).
      expect(await page.getByLabel('Toda la zona Metepec').isChecked()).toBe(true);
      await page.context().close();
    });
  }

  it('a draft discarded without a reason: summary at the top, the draft still open', async () => {
    await server.api(
      'POST',
      '/api/v1/alerts/alertmanager',
      alertmanagerPayload([
        {
          labels: { alertname: 'RadioCaido', component: 'lerma-inalambrico', severity: 'major' },
          annotations: { summary: 'Radio Lerma sin enlace' },
        },
      ]),
    );
    const page = await signedIn(1280);
    // «Revisar y publicar» is the link it reads as.
    const review = page.locator('section.drafts tr', { hasText: 'Lerma' }).getByRole('link', {
      name: 'Revisar y publicar',
    });
    await review.click();
    await page.waitForURL(/\/noc\/incidentes\/nuevo\?borrador=/);
    await page.getByRole('button', { name: 'Descartar borrador' }).click();
    await page.waitForLoadState();
    await expectSummary(page, { motivo: 'Escriba por qué se descarta' });
    expect(await page.getByLabel(/^Motivo/).getAttribute('aria-invalid')).toBe('true');
    await page.context().close();
  });
});

describe('checking beside publishing', () => {
  for (const width of [360, 1280]) {
    it(`«Comprobar ventana» looks secondary, stands apart from «Publicar mantenimiento» and keeps every field (${width} px)`, async () => {
      const page = await signedIn(width);
      await page.goto(`${server.url}/noc/mantenimientos/nuevo`);
      const check = page.getByRole('button', { name: 'Comprobar ventana' });
      const publish = page.getByRole('button', { name: 'Publicar mantenimiento' });
      const look = (l: typeof check) =>
        l.evaluate((b) => {
          const s = getComputedStyle(b);
          return { bg: s.backgroundColor, color: s.color, weight: s.fontWeight };
        });
      const [c, p] = [await look(check), await look(publish)];
      expect(c.bg).not.toBe(p.bg);
      const [a, b] = [(await check.boundingBox())!, (await publish.boundingBox())!];
      const gap = Math.max(b.x - (a.x + a.width), b.y - (a.y + a.height), a.x - (b.x + b.width));
      expect(gap, JSON.stringify([a, b])).toBeGreaterThanOrEqual(24);

      await page.getByLabel('Título').fill('Cambio de tarjetas en Metepec');
      await page.getByLabel('Toda la zona Metepec').check();
      await page.getByLabel('Toda la zona Lerma').check();
      await check.click();
      await page.waitForLoadState();
      expect(await page.locator('p.notice[role=status]').textContent()).toContain('no se guardó nada');
      expect(await page.locator('[data-error-summary]').count()).toBe(0);
      expect(await page.getByLabel('Título').inputValue()).toBe('Cambio de tarjetas en Metepec');
      expect(await page.getByLabel('Toda la zona Metepec').isChecked()).toBe(true);
      expect(await page.getByLabel('Toda la zona Lerma').isChecked()).toBe(true);
      expect(await page.getByLabel('Toda la zona Toluca').isChecked()).toBe(false);
      await page.context().close();
    });
  }
});

describe('/noc/incidentes', () => {
  const rows = (page: Page) => page.locator('table.incident-list tbody tr');
  const names = (page: Page) => rows(page).locator('td:first-child > a').allTextContents();

  for (const width of [360, 1280]) {
    it(`open first, then resolved newest first, 25 a page; each row links to its incident, report and audit (${width} px)`, async () => {
      const page = await signedIn(width);
      await page.getByRole('link', { name: 'Todos los incidentes (también los resueltos, con su informe)' }).click();
      await page.waitForURL(`${server.url}/noc/incidentes`);
      expect(await page.locator('#resultados').textContent()).toBe('29 incidentes.');
      const first = await names(page);
      expect(first).toHaveLength(25);
      expect(first.slice(0, 3)).toEqual([
        'Corte de fibra en Metepec por obra civil',
        'Intermitencia en Toluca centro',
        'Caída del enlace troncal de Lerma',
      ]);
      expect(first[3]).toBe('Lentitud breve número 26 en Zinacantepec');
      // Resolved Media without a report: «sin informe»; Alta with one: its report; Baja: neither.
      const toluca = page.locator(`tr[data-incident="${ids.toluca}"] td[data-label="Informe"]`);
      expect(await toluca.textContent()).toContain('sin informe');
      expect(await toluca.getAttribute('data-report')).toBe('missing');
      const lerma = page.locator(`tr[data-incident="${ids.lerma}"] td[data-label="Informe"]`);
      expect(await lerma.getAttribute('data-report')).toBe('yes');
      expect(await lerma.locator('a').getAttribute('href')).toBe(`/noc/incidentes/${ids.lerma}/informe`);
      expect(await page.locator(`tr[data-incident="${ids.metepec}"] td[data-label="Informe"]`).textContent()).toContain(
        'al resolverse',
      );
      expect(await page.locator('td[data-report="missing"]').count()).toBe(1);
      // Audit rows of the incident, each linking back to it.
      await page.locator(`tr[data-incident="${ids.toluca}"] td[data-label="Auditoría"] a`).click();
      await page.waitForURL(/\/noc\/auditoria\?objeto=/);
      const objects = page.locator('tbody td:nth-child(4) a');
      expect(await objects.count()).toBeGreaterThanOrEqual(2);
      for (const href of await objects.evaluateAll((as) => as.map((a) => a.getAttribute('href'))))
        expect(href).toBe(`/noc/incidentes/${ids.toluca}`);
      // The second page holds the rest, oldest last.
      await page.goBack();
      await page.getByRole('link', { name: 'Más antiguos →' }).click();
      expect(await names(page)).toEqual([
        'Lentitud breve número 4 en Zinacantepec',
        'Lentitud breve número 3 en Zinacantepec',
        'Lentitud breve número 2 en Zinacantepec',
        'Lentitud breve número 1 en Zinacantepec',
      ]);
      expect(await page.getByRole('link', { name: 'Más antiguos →' }).count()).toBe(0);
      const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(scroll).toBeLessThanOrEqual(width);
      await page.context().close();
    });
  }

  it('searches by text or ID and filters by area, criticality, state and month', async () => {
    const page = await signedIn(1280);
    await page.goto(`${server.url}/noc/incidentes`);
    const search = async (fill: () => Promise<void>) => {
      await page.goto(`${server.url}/noc/incidentes`);
      await fill();
      await page.getByRole('button', { name: 'Buscar' }).click();
      await page.waitForLoadState();
      return names(page);
    };
    expect(await search(() => page.getByLabel('Buscar (título, causa o ID)').fill('troncal'))).toEqual([
      'Caída del enlace troncal de Lerma',
    ]);
    // The cause counts as text too.
    expect(await search(() => page.getByLabel('Buscar (título, causa o ID)').fill('energía'))).toEqual([
      'Caída del enlace troncal de Lerma',
    ]);
    expect(await search(() => page.getByLabel('Buscar (título, causa o ID)').fill(ids.toluca))).toEqual([
      'Intermitencia en Toluca centro',
    ]);
    expect(
      await search(() =>
        page
          .getByLabel('Zona')
          .selectOption({ label: 'Metepec' })
          .then(() => {}),
      ),
    ).toEqual(['Corte de fibra en Metepec por obra civil']);
    expect(
      await search(() =>
        page
          .getByLabel('Criticidad')
          .selectOption({ label: 'Alta' })
          .then(() => {}),
      ),
    ).toEqual(['Corte de fibra en Metepec por obra civil', 'Caída del enlace troncal de Lerma']);
    expect(
      await search(() =>
        page
          .getByLabel('Estado')
          .selectOption({ label: 'Abiertos' })
          .then(() => {}),
      ),
    ).toEqual(['Corte de fibra en Metepec por obra civil']);
    expect(
      await search(() =>
        page
          .getByLabel('Mes de inicio')
          .selectOption({ label: 'octubre de 2026' })
          .then(() => {}),
      ),
    ).toEqual(['Caída del enlace troncal de Lerma']);
    // Filters combine, and the form shows what was chosen.
    expect(
      await search(async () => {
        await page.getByLabel('Criticidad').selectOption({ label: 'Baja' });
        await page.getByLabel('Mes de inicio').selectOption({ label: 'septiembre de 2026' });
        await page.getByLabel('Buscar (título, causa o ID)').fill('número 7');
      }),
    ).toEqual(['Lentitud breve número 7 en Zinacantepec']);
    expect(await page.getByLabel('Criticidad').inputValue()).toBe('minor');
    expect(await page.locator('#resultados').textContent()).toBe('1 incidente con estos filtros.');
    expect(await search(() => page.getByLabel('Buscar (título, causa o ID)').fill('no existe tal cosa'))).toEqual([]);
    expect(await page.locator('#resultados').textContent()).toBe('Ningún incidente coincide con estos filtros.');
    await page.context().close();
  });
});
