// The incident update form, the component board, corrections and the dashboard's clock, as
// the NOC uses them in Chromium over the real server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { startTestServer } from '../support/server.ts';
import { testClock } from '../support/db.ts';
import { findComponent } from '#db/commands/catalog.ts';
import { incidentDetail } from '#db/queries/index.ts';
import { addUser, submitSignIn } from './support.ts';

const clock = testClock('2026-11-26T16:00:00Z'); // Thursday 10:00 in Mexico City
let server: Awaited<ReturnType<typeof startTestServer>>;
let browser: Browser;

beforeAll(async () => {
  server = await startTestServer({ now: clock.now, publicUrl: 'http://127.0.0.1' });
  addUser(server.db, 'turno@somnet.com.mx', 'noc', 'clave-del-turno-123', { mustChange: false });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const status = (slug: string) => findComponent(server.db, slug)!.status;

async function signedIn(): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  page.setDefaultTimeout(10_000);
  await page.goto(`${server.url}/noc/login`);
  await submitSignIn(page, 'turno@somnet.com.mx', 'clave-del-turno-123');
  await page.waitForURL('**/noc');
  return page;
}

async function openIncident(
  name: string,
  components: Record<string, string>,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await server.api('POST', '/api/v1/incidents', {
    name,
    status: 'identified',
    impact: 'critical',
    body: 'Cuadrilla en camino.',
    components,
    ...extra,
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

describe('incident update form', () => {
  it('changes no component unless asked: ticking one only adds it to the incident, as it is', async () => {
    const id = await openIncident('Corte de fibra en Metepec', { 'metepec-fibra': 'major_outage' });
    const page = await signedIn();
    await page.goto(`${server.url}/noc/incidentes/${id}`);
    await page.getByText('Cambiar el estado de componentes con esta actualización').click();
    const lerma = page.locator('fieldset', { hasText: 'Lerma' }).first();
    // Each component's own status starts at «Sin cambio», and has a label of its own.
    expect(await page.getByLabel('Estado de Lerma · Fibra óptica con este aviso').inputValue()).toBe('');
    expect(
      await page.getByLabel('Estado de Metepec · Fibra óptica con este aviso').locator('option:checked').textContent(),
    ).toBe('Sin cambio');
    await lerma.getByLabel('Fibra óptica', { exact: true }).check();
    await page.getByLabel('Mensaje').fill('Seguimos trabajando; añadimos Lerma por el mismo tramo.');
    await page.getByRole('button', { name: 'Publicar actualización' }).click();
    await page.waitForURL('**?aviso=actualizado');
    expect(status('lerma-fibra')).toBe('operational');
    expect(status('metepec-fibra')).toBe('major_outage');
    expect(
      incidentDetail(server.db, id)!
        .components.map((c) => c.slug)
        .sort(),
    ).toEqual(['lerma-fibra', 'metepec-fibra']);

    // Asked: the own status changes that component only.
    await page.getByText('Cambiar el estado de componentes con esta actualización').click();
    await page.getByLabel('Estado de Lerma · Fibra óptica con este aviso').selectOption('degraded_performance');
    await page.getByLabel('Mensaje').fill('Lerma con baja velocidad.');
    await page.getByRole('button', { name: 'Publicar actualización' }).click();
    await page.waitForURL('**?aviso=actualizado');
    expect(status('lerma-fibra')).toBe('degraded_performance');
    expect(status('metepec-fibra')).toBe('major_outage');
    await page.context().close();
  });

  it('«En monitoreo» offers the components back to «Operativo», prefilled; an unticked one stays as it is even on «Resuelto»', async () => {
    const id = await openIncident('Falla en Zinacantepec', {
      'zinacantepec-fibra': 'major_outage',
      'zinacantepec-inalambrico': 'partial_outage',
    });
    const page = await signedIn();
    await page.goto(`${server.url}/noc/incidentes/${id}`);
    const offer = page.locator('fieldset#restablecer');
    // Shown only for the statuses it applies to (with JavaScript; without, it says so).
    expect(await offer.isVisible()).toBe(false);
    await page.getByLabel('Estado', { exact: true }).selectOption('monitoring');
    expect(await offer.isVisible()).toBe(true);
    expect(await offer.getByLabel(/Zinacantepec · Fibra óptica/).isChecked()).toBe(true);
    expect(await offer.getByLabel(/Zinacantepec · Inalámbrico/).isChecked()).toBe(true);
    await offer.getByLabel(/Zinacantepec · Inalámbrico/).uncheck();
    await page.getByLabel('Mensaje').fill('Fibra restablecida; el enlace inalámbrico sigue en revisión.');
    await page.getByRole('button', { name: 'Publicar actualización' }).click();
    await page.waitForURL('**?aviso=actualizado');
    expect(status('zinacantepec-fibra')).toBe('operational');
    expect(status('zinacantepec-inalambrico')).toBe('partial_outage');

    // Resolving with the remaining one unticked keeps it (the NOC said so), though resolving alone would return it.
    await page.getByLabel('Estado', { exact: true }).selectOption('resolved');
    await offer.getByLabel(/Zinacantepec · Inalámbrico/).uncheck();
    await page.getByLabel('Mensaje').fill('Incidente de fibra resuelto; el inalámbrico sigue en otro reporte.');
    await page.getByRole('button', { name: 'Publicar actualización' }).click();
    await page.waitForURL('**?aviso=resuelto');
    expect(status('zinacantepec-inalambrico')).toBe('partial_outage');
    await page.context().close();
  });
});

describe('component board and corrections', () => {
  it('the board shows which incident holds each component, linked', async () => {
    const id = await openIncident('Baja velocidad en San Mateo', {
      'san-mateo-atenco-inalambrico': 'degraded_performance',
    });
    const page = await signedIn();
    await page.goto(`${server.url}/noc/componentes`);
    const row = page
      .locator('.component', { hasText: 'Inalámbrico' })
      .filter({ hasText: 'Baja velocidad en San Mateo' });
    expect(await row.count()).toBe(1);
    expect(await row.getByRole('link', { name: 'Baja velocidad en San Mateo' }).getAttribute('href')).toBe(
      `/noc/incidentes/${id}`,
    );
    expect(await row.textContent()).toContain('Incidente: Baja velocidad en San Mateo');
    await page.context().close();
  });

  it("corrects the title, the criticality and an update's text, audited, without a new update", async () => {
    const id = await openIncident('Corte de fibar en Toluca', { 'toluca-fibra': 'major_outage' });
    const page = await signedIn();
    await page.goto(`${server.url}/noc/incidentes/${id}`);
    const updatesBefore = incidentDetail(server.db, id)!.updates.length;
    await page.getByLabel('Título', { exact: true }).fill('Corte de fibra en Toluca');
    await page.getByLabel('Criticidad').selectOption('major');
    await page.getByRole('button', { name: 'Guardar corrección' }).last().click();
    await page.waitForURL('**?aviso=corregido');
    let incident = incidentDetail(server.db, id)!;
    expect(incident).toMatchObject({ name: 'Corte de fibra en Toluca', impact: 'major' });

    const first = incident.updates[0];
    await page.locator(`#actualizacion-${first.id}`).getByText('Corregir el texto').click();
    await page.getByLabel('Texto corregido').fill('');
    await page.locator(`#actualizacion-${first.id}`).getByRole('button', { name: 'Guardar corrección' }).click();
    // Refused next to the field, nothing changed.
    expect(await page.locator(`#texto-${first.id}-error`).textContent()).toContain('Escriba el mensaje');
    expect(incidentDetail(server.db, id)!.updates[0].body).toBe('Cuadrilla en camino.');
    await page.getByLabel('Texto corregido').fill('Cuadrilla en camino a avenida Tollocan.');
    await page.locator(`#actualizacion-${first.id}`).getByRole('button', { name: 'Guardar corrección' }).click();
    await page.waitForURL('**?aviso=texto-corregido*');
    incident = incidentDetail(server.db, id)!;
    expect(incident.updates[0].body).toBe('Cuadrilla en camino a avenida Tollocan.');
    expect(incident.updates).toHaveLength(updatesBefore);
    const audit = server.db.$client
      .prepare(
        "SELECT action, actor_name AS actor FROM audit_log WHERE subject_id = ? AND action IN ('incident.edit', 'incident.update_edit') ORDER BY id",
      )
      .all(id);
    expect(audit).toEqual([
      { action: 'incident.edit', actor: 'turno@somnet.com.mx' },
      { action: 'incident.update_edit', actor: 'turno@somnet.com.mx' },
    ]);
    await page.context().close();
  });
});

describe('dashboard clock', () => {
  it('"hace …", the response commitment and a passed ETA follow the clock while the page stays open', async () => {
    clock.advance(3 * 3600_000); // none of the earlier incidents' deadlines matter: they are all late by now
    await openIncident(
      'Sin servicio en Lerma',
      { 'lerma-inalambrico': 'major_outage' },
      { eta: new Date(clock.now().getTime() + 20 * 60_000).toISOString() },
    );
    const page = await signedIn();
    await page.clock.install();
    await page.goto(`${server.url}/noc`);
    const row = page.locator('tr', { hasText: 'Sin servicio en Lerma' });
    expect(await row.getAttribute('data-overdue')).toBe('false');
    expect(await row.locator('[data-since]').textContent()).toBe('hace menos de 1 min');
    expect(await row.locator('.eta-passed').count()).toBe(0);
    await page.clock.fastForward('21:00');
    await expect.poll(() => row.locator('[data-since]').textContent()).toBe('hace 21 min');
    expect(await row.locator('.eta-passed').textContent()).toBe('vencida — esperando actualización');
    expect(await row.getAttribute('data-overdue')).toBe('false');
    await page.clock.fastForward('15:00');
    await expect.poll(() => row.getAttribute('data-overdue')).toBe('true');
    expect(await row.getAttribute('class')).toContain('overdue');
    expect(await row.locator('.sla').textContent()).toMatch(/^Vencido hace [56] min: actualizar ya\. Límite: /);
    await page.context().close();
  });
});
