import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { startTestServer } from '../support/server.ts';
import { testClock } from '../support/db.ts';
import { statusOnPage } from '../support/alertmanager.ts';
import { addUser, submitSignIn } from '../console/support.ts';
import { alertmanagerPayload } from './payloads.ts';

const clock = testClock('2026-11-26T16:00:00Z'); // Thursday 10:00 in Mexico City
let server: Awaited<ReturnType<typeof startTestServer>>;
let browser: Browser;

beforeAll(async () => {
  server = await startTestServer({ now: clock.now, publicUrl: 'http://127.0.0.1' });
  addUser(server.db, 'guardia@somnet.com.mx', 'noc', 'guardia-de-noche-1', { mustChange: false });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function signIn(page: Page) {
  await page.goto(`${server.url}/noc`);
  await submitSignIn(page, 'guardia@somnet.com.mx', 'guardia-de-noche-1');
  await page.waitForURL(`${server.url}/noc`);
}

const fibra = {
  alertname: 'OltPonSinLuz',
  component: 'zinacantepec-fibra',
  severity: 'critical',
  instance: 'olt-zina-1',
};
const summary = { summary: 'Sin luz en la OLT de Zinacantepec' };
// A draft says where and what monitoring measured, nothing more (no cause guessed from «OLT»).
const draftTitle = 'Falla detectada en Zinacantepec · Fibra óptica: pérdida de señal óptica';

describe('alert → draft → publish, in Chromium', () => {
  it('the dashboard shows the draft first with its SLA clock; one click publishes it; when the alert resolves the console proposes «En monitoreo»', async () => {
    // The alert started at 09:50 Mexico City; it is now 10:00.
    const res = await server.api(
      'POST',
      '/api/v1/alerts/alertmanager',
      alertmanagerPayload([{ labels: fibra, annotations: summary, startsAt: '2026-11-26T15:50:00Z' }]),
    );
    expect(res.status).toBe(200);
    const context = await browser.newContext();
    const page = await context.newPage();
    const publicPage = await context.newPage();
    await publicPage.goto(`${server.url}/`);
    expect(statusOnPage(await publicPage.content(), 'zinacantepec', 'Fibra óptica')).toBe('major_outage');
    expect(await publicPage.locator('#incidentes-activos').count()).toBe(0); // the draft is not public

    await signIn(page);
    const drafts = page.locator('section.drafts');
    await expect.poll(() => drafts.locator('h2').textContent()).toBe('Borradores abiertos por alertas (1)');
    const row = drafts.locator('tbody tr');
    expect(await row.textContent()).toContain(draftTitle);
    // Alta: the first public word within 30 minutes of the alert's start (09:50 → 10:20).
    expect(await row.locator('td.sla').textContent()).toContain(
      'Publicar antes de 26 nov 2026, 10:20 (menos de 30 minutos)',
    );
    expect(await row.getAttribute('data-overdue')).toBe('false');

    await row.getByRole('link', { name: draftTitle }).click();
    await page.waitForURL(/\/noc\/incidentes\/nuevo\?borrador=\w+/);
    expect(await page.getByLabel('Título').inputValue()).toBe(draftTitle);
    expect(await page.getByLabel('Mensaje para los clientes').inputValue()).toBe('Sin luz en la OLT de Zinacantepec');
    expect(await page.locator('#impact').inputValue()).toBe('critical');
    expect(await page.locator('section.draft').textContent()).toContain('Sin luz en la OLT de Zinacantepec');
    expect(await page.locator('section.preview h3').first().textContent()).toBe(draftTitle);
    // The message is the NOC's to improve before customers read it; the preview follows.
    await page
      .getByLabel('Mensaje para los clientes')
      .fill('Se cortó la fibra que alimenta Zinacantepec. Una cuadrilla va en camino.');
    await expect
      .poll(() => page.locator('section.preview').textContent(), { timeout: 10_000 })
      .toContain('Una cuadrilla va en camino.');
    // One click, from right under the preview (the form's own button at its end does the same).
    await page.locator('section.preview').getByRole('button', { name: 'Publicar incidente' }).click();
    await page.waitForURL(/\/noc\/incidentes\/\w+\?aviso=publicado/);
    const incidentId = new URL(page.url()).pathname.split('/').pop()!;

    await publicPage.goto(`${server.url}/`);
    expect(await publicPage.locator('#incidentes-activos').locator('..').textContent()).toContain(
      'Una cuadrilla va en camino.',
    );
    const v2 = await (await fetch(`${server.url}/api/v2/incidents/unresolved.json`)).json();
    expect(v2.incidents).toEqual([
      expect.objectContaining({ id: incidentId, started_at: '2026-11-26T15:50:00.000Z', impact: 'critical' }),
    ]);

    // The alert resolves: nothing is posted by itself, the console proposes the update.
    clock.advance(25 * 60_000);
    await server.api(
      'POST',
      '/api/v1/alerts/alertmanager',
      alertmanagerPayload([
        {
          labels: fibra,
          annotations: summary,
          startsAt: '2026-11-26T15:50:00Z',
          status: 'resolved',
          endsAt: '2026-11-26T16:24:30Z',
        },
      ]),
    );
    await page.goto(`${server.url}/noc`);
    await page.getByRole('link', { name: 'Sus alertas se resolvieron: proponer «En monitoreo»' }).click();
    expect(await page.locator('#propuesta-monitoreo').textContent()).toContain('Le proponemos publicar «En monitoreo»');
    expect(await page.getByLabel('Estado', { exact: true }).inputValue()).toBe('monitoring');
    expect(await page.getByLabel('Mensaje').inputValue()).toContain(
      'nuestro monitoreo dejó de registrar la falla a las 10:25',
    );
    expect(statusOnPage(await (await fetch(`${server.url}/`)).text(), 'zinacantepec', 'Fibra óptica')).toBe(
      'major_outage',
    ); // held by the open incident
    await page.getByRole('button', { name: 'Publicar actualización' }).click();
    await page.waitForURL(/\?aviso=actualizado/);
    await publicPage.goto(`${server.url}/`);
    expect(statusOnPage(await publicPage.content(), 'zinacantepec', 'Fibra óptica')).toBe('operational');
    expect(await publicPage.locator('#incidentes-activos').locator('..').textContent()).toContain('En monitoreo');
    await context.close();
  });

  it('a draft is discarded with a reason, shown next to the field when missing', async () => {
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
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page);
    await page.locator('section.drafts').getByRole('link', { name: /Lerma/ }).click();
    await page.getByRole('button', { name: 'Descartar borrador' }).click();
    expect(await page.locator('#motivo-error').textContent()).toContain('Escriba por qué se descarta');
    await page.getByLabel(/^Motivo/).fill('Falsa alarma: el radio estaba en pruebas.');
    await page.getByRole('button', { name: 'Descartar borrador' }).click();
    await page.waitForURL(/\/noc\?aviso=descartado/);
    expect(await page.locator('section.drafts tr', { hasText: 'Lerma' }).count()).toBe(0);
    const said = await page.locator('[role=status]').first().textContent();
    expect(said).toContain('Borrador descartado.');
    // Its alert still holds the radio link: the public status stays, and says so; one click returns it.
    expect(said).toContain('El estado público queda como está');
    expect(said).toContain('Nuestro monitoreo detectó una falla en Lerma · Inalámbrico (microondas)');
    const publicHtml = await (await fetch(`${server.url}/zonas/lerma`)).text();
    expect(publicHtml).toContain('Nuestro monitoreo detectó una falla en Lerma · Inalámbrico (microondas)');
    expect(await page.getByLabel('Lerma · Inalámbrico (microondas)').inputValue()).toBe('operational');
    await page.getByRole('button', { name: 'Regresar a Operativo' }).click();
    await page.waitForURL(/\/noc\/componentes\?cambios=1/);
    expect(statusOnPage(await (await fetch(`${server.url}/`)).text(), 'lerma', 'Inalámbrico (microondas)')).toBe(
      'operational',
    );
    expect(await (await fetch(`${server.url}/zonas/lerma`)).text()).not.toContain('Nuestro monitoreo detectó');
    await context.close();
  });
});
