// The subscription flow as a person does it, in Chromium, without JavaScript on the pages:
// sign up → confirmation email → link shows a button (opening alone confirms nothing) →
// confirmed → preferences → unsubscribe page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { eq } from 'drizzle-orm';
import { launchBrowser } from '../support/browser.ts';
import { startTestServer } from '../support/server.ts';
import { outboxMessages } from '#db/schema/index.ts';
import { listSubscribers } from '#db/queries/index.ts';
import { findComponent } from '#db/commands/catalog.ts';
import type { EmailPayload } from '#db/subscriptions/payload.ts';
import { ALL_COMPONENTS_LABEL } from '#db/subscriptions/choices.ts';
import { confirmedRecipientsFor } from '#db/queries/index.ts';
import { drainOutbox } from '#db/outbox/worker.ts';
import { resendTransport } from '../../api/email/resend.ts';
import { startResendStandin } from '../support/resend-standin.ts';
import { testConfig } from '../support/db.ts';

let server: Awaited<ReturnType<typeof startTestServer>>;
let browser: Browser;
beforeAll(async () => {
  server = await startTestServer();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const lastEmail = (to: string) => {
  const rows = server.db.select().from(outboxMessages).where(eq(outboxMessages.recipient, to)).all();
  return JSON.parse(rows.at(-1)!.payload) as EmailPayload;
};

describe('subscription pages', () => {
  it('signs up, confirms by button, edits preferences and unsubscribes', async () => {
    const page = await browser.newPage({ javaScriptEnabled: false });
    page.setDefaultTimeout(5_000);
    await page.goto(`${server.url}/suscribirse`);
    expect(await page.locator('h1').textContent()).toBe('Suscribirse a los avisos por correo');
    await page.getByLabel('Correo electrónico').fill('gerente@ferreteria-metepec.mx');
    await page.getByLabel(/ID de cliente/).fill('SOM-5521');
    await page.locator('fieldset.chooser-group', { hasText: 'Metepec' }).getByLabel('Fibra óptica').check();
    await page.getByRole('button', { name: 'Suscribirme' }).click();
    expect(await page.getByRole('status').textContent()).toContain('Revise su correo');

    const confirm = lastEmail('gerente@ferreteria-metepec.mx') as Extract<EmailPayload, { template: 'confirm' }>;
    expect(confirm.template).toBe('confirm');
    const response = await page.goto(`${server.url}/suscripcion/confirmar?token=${confirm.confirmToken}`);
    expect(response!.headers()['cache-control']).toBe('private, no-store');
    // Opening the link (as a mail scanner would) confirms nothing.
    expect(listSubscribers(server.db, { email: 'gerente@ferreteria-metepec.mx' })[0].confirmedAt).toBeNull();
    await page.getByRole('button', { name: 'Confirmar suscripción' }).click();
    expect(await page.locator('h1').textContent()).toBe('Suscripción confirmada');
    const [sub] = listSubscribers(server.db, { email: 'gerente@ferreteria-metepec.mx' });
    expect(sub.confirmedAt).not.toBeNull();
    expect(sub.customerId).toBe('SOM-5521');
    expect(sub.componentIds).toEqual([findComponent(server.db, 'metepec-fibra')!.id]);

    // The link is single-use.
    await page.goto(`${server.url}/suscripcion/confirmar?token=${confirm.confirmToken}`);
    expect(await page.locator('h1').textContent()).toBe('El enlace no es válido o ya expiró');

    await page.goto(`${server.url}/suscripcion/preferencias?token=${confirm.manageToken}`);
    await page.locator('fieldset.chooser-group', { hasText: 'Toluca' }).getByLabel('Inalámbrico (microondas)').check();
    await page.getByRole('button', { name: 'Guardar preferencias' }).click();
    expect(await page.getByRole('status').textContent()).toContain('Preferencias guardadas');
    expect(listSubscribers(server.db, { email: 'gerente@ferreteria-metepec.mx' })[0].componentIds.sort()).toEqual(
      [findComponent(server.db, 'metepec-fibra')!.id, findComponent(server.db, 'toluca-inalambrico')!.id].sort(),
    );

    await page.goto(`${server.url}/suscripcion/baja?token=${confirm.manageToken}`);
    expect(listSubscribers(server.db, { email: 'gerente@ferreteria-metepec.mx' })).toHaveLength(1);
    await page.getByRole('button', { name: 'Cancelar mi suscripción' }).click();
    expect(await page.locator('h1').textContent()).toBe('Suscripción cancelada');
    expect(listSubscribers(server.db, { email: 'gerente@ferreteria-metepec.mx' })).toHaveLength(0);
    await page.close();
  });

  it('stores exactly the components ticked, and the pages and the confirmation email list them', async () => {
    const standin = await startResendStandin();
    try {
      const page = await browser.newPage({ javaScriptEnabled: false });
      page.setDefaultTimeout(5_000);
      await page.goto(`${server.url}/suscribirse`);
      await page.getByLabel('Correo electrónico').fill('sistemas@clinica-metepec.mx');
      // Only ticks: nothing else on the form is touched.
      await page.locator('fieldset.chooser-group', { hasText: 'Metepec' }).getByLabel('Fibra óptica').check();
      await page.locator('fieldset.chooser-group', { hasText: 'Lerma' }).getByLabel('Inalámbrico (microondas)').check();
      await page.getByRole('button', { name: 'Suscribirme' }).click();
      const status = page.getByRole('status');
      expect(await status.locator('ul.scope li').allTextContents()).toEqual([
        'Metepec · Fibra óptica',
        'Lerma · Inalámbrico (microondas)',
      ]);
      const [sub] = listSubscribers(server.db, { email: 'sistemas@clinica-metepec.mx' });
      expect(sub.allComponents).toBe(false);
      expect(sub.componentIds.sort()).toEqual(
        [findComponent(server.db, 'metepec-fibra')!.id, findComponent(server.db, 'lerma-inalambrico')!.id].sort(),
      );

      await drainOutbox(
        server.db,
        resendTransport(server.db, testConfig, { apiKey: standin.apiKey, baseUrl: standin.url, requestsPerSecond: 0 }),
        { now: () => new Date() },
      );
      const mail = standin.delivered.find((d) => d.to === 'sistemas@clinica-metepec.mx')!;
      expect(mail.subject).toBe('Confirme su suscripción a los avisos de SOMNET');
      expect(mail.text).toContain(
        'Recibirá avisos de:\n- Metepec · Fibra óptica\n- Lerma · Inalámbrico (microondas)\n',
      );
      expect(mail.html).toContain('<ul><li>Metepec · Fibra óptica</li><li>Lerma · Inalámbrico (microondas)</li></ul>');
      // Not subscribed yet: the footer does not say it is.
      expect(mail.html).toContain('Recibe este correo porque se pidió suscribir esta dirección');
      expect(mail.html).not.toContain('porque se suscribió');

      // A notice about Toluca does not reach this address; one about Metepec does.
      expect(
        confirmedRecipientsFor(server.db, [findComponent(server.db, 'toluca-fibra')!.id]).map((r) => r.address),
      ).not.toContain('sistemas@clinica-metepec.mx');
      const confirmToken = new URL(mail.text!.match(/https:\/\/\S+confirmar\?token=\S+/)![0]).searchParams.get(
        'token',
      )!;
      await page.goto(`${server.url}/suscripcion/confirmar?token=${encodeURIComponent(confirmToken)}`);
      await page.getByRole('button', { name: 'Confirmar suscripción' }).click();
      expect(await page.getByRole('status').locator('ul.scope li').allTextContents()).toEqual([
        'Metepec · Fibra óptica',
        'Lerma · Inalámbrico (microondas)',
      ]);
      expect(
        confirmedRecipientsFor(server.db, [findComponent(server.db, 'metepec-fibra')!.id]).map((r) => r.address),
      ).toContain('sistemas@clinica-metepec.mx');
      expect(
        confirmedRecipientsFor(server.db, [findComponent(server.db, 'toluca-fibra')!.id]).map((r) => r.address),
      ).not.toContain('sistemas@clinica-metepec.mx');

      // Unticking everything on the preferences page means every component again.
      await page.getByRole('link', { name: 'Administrar mis preferencias' }).click();
      expect(await page.locator('ul.scope li').allTextContents()).toEqual([
        'Metepec · Fibra óptica',
        'Lerma · Inalámbrico (microondas)',
      ]);
      await page.locator('fieldset.chooser-group', { hasText: 'Metepec' }).getByLabel('Fibra óptica').uncheck();
      await page
        .locator('fieldset.chooser-group', { hasText: 'Lerma' })
        .getByLabel('Inalámbrico (microondas)')
        .uncheck();
      await page.getByRole('button', { name: 'Guardar preferencias' }).click();
      expect(await page.locator('ul.scope li').allTextContents()).toEqual([ALL_COMPONENTS_LABEL]);
      expect(listSubscribers(server.db, { email: 'sistemas@clinica-metepec.mx' })[0]).toMatchObject({
        allComponents: true,
        componentIds: [],
      });
      await page.close();
    } finally {
      await standin.close();
    }
  });

  it('with nothing ticked subscribes to everything, and says so', async () => {
    const page = await browser.newPage({ javaScriptEnabled: false });
    await page.goto(`${server.url}/suscribirse`);
    await page.getByLabel('Correo electrónico').fill('direccion@constructora.mx');
    await page.getByRole('button', { name: 'Suscribirme' }).click();
    expect(await page.getByRole('status').locator('ul.scope li').allTextContents()).toEqual([ALL_COMPONENTS_LABEL]);
    expect(listSubscribers(server.db, { email: 'direccion@constructora.mx' })[0]).toMatchObject({
      allComponents: true,
      componentIds: [],
    });
    await page.close();
  });

  it('a ticked component means "only these" even when an older copy of the form also sends alcance=todo', async () => {
    const res = await fetch(`${server.url}/suscribirse`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
      body: new URLSearchParams([
        ['email', 'vieja@forma.mx'],
        ['alcance', 'todo'],
        ['componentes', 'metepec-fibra'],
      ]).toString(),
    });
    expect(res.status).toBe(200);
    expect(listSubscribers(server.db, { email: 'vieja@forma.mx' })[0]).toMatchObject({
      allComponents: false,
      componentIds: [findComponent(server.db, 'metepec-fibra')!.id],
    });
  });

  it('shows field errors in Spanish and keeps what was typed', async () => {
    const page = await browser.newPage({ javaScriptEnabled: false });
    page.setDefaultTimeout(5_000);
    await page.goto(`${server.url}/suscribirse`);
    await page.getByLabel('Correo electrónico').fill('esto-no-es-correo');
    await page.getByRole('button', { name: 'Suscribirme' }).click();
    expect(await page.locator('#email-error').textContent()).toMatch(/dirección de correo válida/);
    expect(await page.getByLabel('Correo electrónico').inputValue()).toBe('esto-no-es-correo');
    await page.close();
  });

  it('answers an invalid or expired link with 404 and a way forward', async () => {
    for (const path of [
      '/suscripcion/confirmar?token=x',
      '/suscripcion/preferencias?token=999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    ]) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('cache-control')).toBe('private, no-store');
      expect(await res.text()).toContain('href="/suscribirse"');
    }
    const res = await fetch(`${server.url}/suscripcion/baja?token=999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`);
    expect(await res.text()).toContain('ya no está suscrita');
  });

  it('refuses a cross-site form post (Astro checkOrigin)', async () => {
    const res = await fetch(`${server.url}/suscribirse`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      body: 'email=victima%40empresa.mx',
    });
    expect(res.status).toBe(403);
    expect(listSubscribers(server.db, { email: 'victima@empresa.mx' })).toHaveLength(0);
  });
});
