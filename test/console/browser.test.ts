import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { startTestServer } from '../support/server.ts';
import { testClock } from '../support/db.ts';
import { addUser, submitSignIn } from './support.ts';

const clock = testClock('2026-11-26T16:00:00Z'); // Thursday 10:00 in Mexico City
let server: Awaited<ReturnType<typeof startTestServer>>;
let browser: Browser;

beforeAll(async () => {
  server = await startTestServer({ now: clock.now, publicUrl: 'http://127.0.0.1' });
  addUser(server.db, 'guardia@somnet.com.mx', 'noc', 'clave-temporal-1234');
  addUser(server.db, 'teclado@somnet.com.mx', 'noc', 'solo-con-el-teclado', { mustChange: false });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function signIn(page: Page, email: string, password: string) {
  await page.goto(`${server.url}/noc`);
  expect(new URL(page.url()).pathname).toBe('/noc/login');
  await submitSignIn(page, email, password);
}

describe('NOC console in Chromium', () => {
  it('logs in, changes the one-time password, creates an incident from a template, sees it on /, updates and resolves it', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, 'guardia@somnet.com.mx', 'clave-temporal-1234');
    await page.waitForURL('**/noc/contrasena');
    await page.getByLabel('Contraseña actual').fill('clave-temporal-1234');
    await page.getByLabel('Nueva contraseña (mínimo 12 caracteres)').fill('turno-de-noche-seguro');
    await page.getByLabel('Repita la nueva contraseña').fill('turno-de-noche-seguro');
    await page.getByRole('button', { name: 'Guardar contraseña' }).click();
    await page.waitForURL('**/noc?aviso=contrasena');

    await page.getByRole('link', { name: 'Nuevo incidente' }).click();
    await page.getByRole('link', { name: 'Falla eléctrica en nodo' }).click();
    expect(await page.getByLabel('Título').inputValue()).toBe('Falla eléctrica en nodo');
    await page.getByLabel('Título').fill('Falla eléctrica en nodo Zinacantepec');
    await page.getByLabel('Toda la zona Zinacantepec').check();
    await page
      .getByLabel('Tiempo estimado de restauración (hora del centro de México, opcional)')
      .fill('2026-11-26T13:30');
    await page.getByRole('button', { name: 'Vista previa y confirmación' }).click();
    const preview = page.locator('section.preview');
    await expect.poll(() => preview.locator('h3').first().textContent()).toBe('Falla eléctrica en nodo Zinacantepec');
    expect(await preview.textContent()).toContain('Zinacantepec · Fibra óptica');
    expect(await page.locator('#audiencia').textContent()).toContain('Nadie está suscrito a estos componentes');
    await page.getByRole('button', { name: 'Publicar incidente' }).click();
    await page.waitForURL(/\/noc\/incidentes\/\w+\?aviso=publicado/);
    const incidentPath = new URL(page.url()).pathname;

    const publicPage = await context.newPage();
    await publicPage.goto(`${server.url}/`);
    const active = publicPage.locator('#incidentes-activos').locator('..');
    expect(await active.textContent()).toContain('Falla eléctrica en nodo Zinacantepec');
    expect(await active.textContent()).toContain('Falla del suministro eléctrico en el nodo');

    await page.getByLabel('Estado', { exact: true }).selectOption('monitoring');
    await page.getByLabel('Mensaje').fill('Energía restablecida con planta; monitoreamos el nodo.');
    await page.getByRole('button', { name: 'Publicar actualización' }).click();
    await page.waitForURL('**?aviso=actualizado');
    expect(await page.locator('.timeline').textContent()).toContain('Energía restablecida con planta');

    await page.getByLabel('Estado', { exact: true }).selectOption('resolved');
    await page.getByLabel('Mensaje').fill('Suministro eléctrico normal. Servicio restablecido.');
    await page.getByRole('button', { name: 'Publicar actualización' }).click();
    await page.waitForURL('**?aviso=resuelto');

    await publicPage.goto(`${server.url}/`);
    expect(await publicPage.locator('#incidentes-activos').count()).toBe(0);
    await publicPage.goto(`${server.url}${incidentPath.replace('/noc', '')}`);
    expect(await publicPage.locator('main').textContent()).toContain('Suministro eléctrico normal.');
    await context.close();
  });

  it('rejects a form posted without its CSRF token', async () => {
    addUser(server.db, 'csrf@somnet.com.mx', 'noc', 'clave-de-prueba-csrf', { mustChange: false });
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await signIn(page, 'csrf@somnet.com.mx', 'clave-de-prueba-csrf');
    await page.waitForURL('**/noc');
    await page.goto(`${server.url}/noc/componentes`);
    await page.locator('main input[name=csrf]').evaluateAll((inputs) => inputs.forEach((i) => i.remove()));
    await page.locator('select[name^=zona_]').first().selectOption('major_outage');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Aplicar cambios' }).click(),
    ]);
    expect(response.status()).toBe(403);
    expect(await page.locator('h1').textContent()).toBe('Solicitud rechazada');
    const changed = server.db.$client
      .prepare("SELECT count(*) AS n FROM components WHERE status = 'major_outage'")
      .get() as { n: number };
    expect(changed.n).toBe(0);
    await context.close();
  });

  it('keeps a noc user out of the admin pages', async () => {
    addUser(server.db, 'noc2@somnet.com.mx', 'noc', 'clave-de-prueba-noc2', { mustChange: false });
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, 'noc2@somnet.com.mx', 'clave-de-prueba-noc2');
    await page.waitForURL('**/noc');
    expect(await page.getByRole('link', { name: 'Usuarios' }).count()).toBe(0);
    const response = await page.goto(`${server.url}/noc/admin/usuarios`);
    expect(response?.status()).toBe(403);
    expect(await page.locator('h1').textContent()).toBe('Acceso restringido');
    await context.close();
  });

  it('flags an incident whose last public update is older than its SLA (injected clock)', async () => {
    addUser(server.db, 'sla@somnet.com.mx', 'noc', 'clave-de-prueba-sla', { mustChange: false });
    const created = await server.api('POST', '/api/v1/incidents', {
      name: 'Corte de fibra en Lerma',
      status: 'identified',
      impact: 'critical',
      body: 'Cuadrilla en camino.',
      components: { 'lerma-fibra': 'major_outage' },
    });
    expect(created.status).toBe(201);
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, 'sla@somnet.com.mx', 'clave-de-prueba-sla');
    await page.waitForURL('**/noc');
    const row = page.locator('tr', { hasText: 'Corte de fibra en Lerma' });
    expect(await row.getAttribute('data-overdue')).toBe('false');
    // The operator keeps the console open (a request every 20 min keeps the session inside its
    // 30-minute idle limit) while the SLA runs out.
    clock.advance(20 * 60_000);
    await page.reload();
    expect(await row.getAttribute('data-overdue')).toBe('false');
    clock.advance(11 * 60_000);
    await page.reload();
    expect(await row.getAttribute('data-overdue')).toBe('true');
    expect(await row.getAttribute('class')).toBe('overdue');
    expect(await row.locator('.sla').textContent()).toContain('Vencido');
    expect(await row.textContent()).toContain('hace 31 min');
    await context.close();
  });

  it('can be used from the keyboard alone: sign in, compose from a template, preview and publish', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const tabTo = async (predicate: string, max = 80): Promise<boolean> => {
      for (let i = 0; i < max; i++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate(predicate)) return true;
      }
      return false;
    };
    await page.goto(`${server.url}/noc`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Saltar al contenido');
    expect(await tabTo("document.activeElement?.id === 'email'")).toBe(true);
    await page.keyboard.type('teclado@somnet.com.mx');
    await page.keyboard.press('Tab');
    await page.keyboard.type('solo-con-el-teclado');
    await Promise.all([page.waitForURL(`${server.url}/noc`), page.keyboard.press('Enter')]);

    expect(await tabTo("document.activeElement?.textContent === 'Nuevo incidente'")).toBe(true);
    await Promise.all([page.waitForURL('**/noc/incidentes/nuevo'), page.keyboard.press('Enter')]);
    expect(await tabTo("document.activeElement?.textContent === 'Corte de fibra'")).toBe(true);
    await Promise.all([page.waitForURL('**plantilla=corte-fibra'), page.keyboard.press('Enter')]);
    expect(
      await tabTo(
        "document.activeElement?.id?.startsWith('zona-') && document.activeElement.labels[0]?.textContent === 'Toda la zona Lerma'",
        200,
      ),
    ).toBe(true);
    await page.keyboard.press('Space');
    expect(await tabTo("document.activeElement?.value === 'vista-previa'", 200)).toBe(true);
    await page.keyboard.press('Enter');
    await page.locator('section.preview').waitFor();
    expect(await page.locator('section.preview').textContent()).toContain('Lerma · Fibra óptica');
    expect(await tabTo("document.activeElement?.value === 'publicar'", 300)).toBe(true);
    await Promise.all([page.waitForURL(/\/noc\/incidentes\/\w+\?aviso=publicado/), page.keyboard.press('Enter')]);
    expect(await page.locator('h1').textContent()).toBe('Corte de fibra óptica');
    await context.close();
  });

  it('keeps the preview live as the NOC types, and publishes exactly the last preview', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, 'teclado@somnet.com.mx', 'solo-con-el-teclado');
    await page.waitForURL(`${server.url}/noc`);
    await page.goto(`${server.url}/noc/incidentes/nuevo?plantilla=saturacion`);
    expect(await page.locator('section.preview').count()).toBe(0);
    await page.getByLabel('Toda la zona San Mateo Atenco').check();
    await page.getByLabel('Título').fill('Saturación en San Mateo Atenco');
    const preview = page.locator('section.preview');
    await expect
      .poll(() => preview.locator('h3').first().textContent(), { timeout: 10_000 })
      .toBe('Saturación en San Mateo Atenco');
    expect(await preview.textContent()).toContain('San Mateo Atenco · Fibra óptica');
    expect(await page.locator('#correo-asunto').textContent()).toMatch(
      /^\[Incidente\] Saturación en San Mateo Atenco — /,
    );

    await page.getByLabel('Mensaje para los clientes').fill('Tráfico alto en el enlace troncal; balanceamos la carga.');
    await expect.poll(() => preview.textContent(), { timeout: 10_000 }).toContain('balanceamos la carga');
    await page.getByRole('button', { name: 'Publicar incidente' }).click();
    await page.waitForURL(/\/noc\/incidentes\/\w+\?aviso=publicado/);
    expect(await page.locator('h1').textContent()).toBe('Saturación en San Mateo Atenco');
    expect(await page.locator('.timeline').textContent()).toContain('balanceamos la carga');
    await context.close();
  });
});
