// Passkeys in real Chromium through its virtual authenticator (DevTools WebAuthn domain): one
// registered as the first second factor, a second one added, sign-in with a passkey alone, and a
// passkey as the second factor of a password sign-in. WebAuthn needs the page's origin to be
// PUBLIC_URL's (RP ID "localhost").
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { DEFAULT_AUTH } from '../../api/config.ts';
import { launchBrowser } from '../support/browser.ts';
import { startTestServer } from '../support/server.ts';
import { addUser, submitSignIn } from '../console/support.ts';

let server: Awaited<ReturnType<typeof startTestServer>>;
let browser: Browser;
let base: string;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://localhost:${port}`;
  server = await startTestServer({ publicUrl: base, config: { port, auth: DEFAULT_AUTH } });
  browser = await launchBrowser();
  addUser(server.db, 'llaves@somnet.com.mx', 'noc', 'clave-de-llaves-larga', { mustChange: false });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function virtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; id: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, id: authenticatorId };
}

async function addPasskey(page: Page, name: string) {
  await page.getByLabel('Nombre de la nueva llave').fill(name);
  await page.getByRole('button', { name: 'Agregar llave de acceso' }).click();
  await page.waitForURL(/aviso=llave/);
}

describe('passkeys', () => {
  it('registers passkeys (several per user), signs in with one alone, and serves as the second factor', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const { cdp, id } = await virtualAuthenticator(page);
    await page.goto(`${base}/noc`);
    await submitSignIn(page, 'llaves@somnet.com.mx', 'clave-de-llaves-larga');
    await page.waitForURL(/\/noc\/seguridad/);
    await addPasskey(page, 'Laptop del NOC');
    expect(await page.locator('tbody').textContent()).toContain('Laptop del NOC');
    // Enrolled: the rest of the console opens.
    await page.goto(`${base}/noc/auditoria`);
    expect(new URL(page.url()).pathname).toBe('/noc/auditoria');

    // A second authenticator, a second passkey.
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: id });
    const second = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'usb',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    await page.goto(`${base}/noc/seguridad`);
    await addPasskey(page, 'Llave USB');
    expect(await page.locator('tbody tr').count()).toBe(2);

    // Signed out, then in with the passkey alone (no email, no password).
    await page.getByRole('button', { name: 'Cerrar sesión', exact: true }).click();
    await page.waitForURL(/\/noc\/login/);
    await page.getByRole('button', { name: 'Entrar con llave de acceso' }).click();
    await page.waitForURL(`${base}/noc`);
    expect(await page.locator('.who').textContent()).toContain('llaves@somnet.com.mx');

    // A password sign-in now owes the second factor; the passkey gives it.
    await page.getByRole('button', { name: 'Cerrar sesión', exact: true }).click();
    await page.waitForURL(/\/noc\/login/);
    await submitSignIn(page, 'llaves@somnet.com.mx', 'clave-de-llaves-larga');
    await page.waitForURL(/\/noc\/verificar/);
    await page.getByRole('button', { name: 'Usar mi llave de acceso' }).click();
    await page.waitForURL(`${base}/noc`);

    const audit = server.db.$client
      .prepare("SELECT action, details FROM audit_log WHERE subject_id = 'llaves@somnet.com.mx' ORDER BY id")
      .all() as { action: string; details: string | null }[];
    expect(audit.filter((a) => a.action === 'user.passkey_add')).toHaveLength(2);
    expect(audit.map((a) => a.details ?? '').join(' ')).toContain('"method":"passkey"');
    expect(audit.map((a) => a.details ?? '').join(' ')).toContain('"method":"password+passkey"');
    const counters = server.db.$client.prepare('SELECT counter, last_used_at FROM console_passkeys').all() as {
      counter: number;
      last_used_at: number | null;
    }[];
    expect(counters.filter((c) => c.last_used_at !== null)).toHaveLength(1);
    void second;
    await context.close();
  });

  it('says so when the browser has no passkey for this site', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await virtualAuthenticator(page);
    await page.goto(`${base}/noc/login`);
    // The fresh authenticator holds no credential for this site: the browser finds nothing.
    await page.getByRole('button', { name: 'Entrar con llave de acceso' }).click();
    await expect.poll(() => page.locator('[data-passkey-error]').textContent(), { timeout: 15_000 }).not.toBe('');
    expect(new URL(page.url()).pathname).toBe('/noc/login');
    await context.close();
  });
});
