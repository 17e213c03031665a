// TOTP in real Chromium with the production default (CONSOLE_2FA=required): enrolment at first
// sign-in (QR code as SVG, the otpauth:// URI as text), sign-in with a code computed here from
// the secret, the same code refused a second time, a recovery code accepted once; the list of
// one's sessions; failed sign-ins in /noc/auditoria.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { totpCode } from '#db/domain/secondFactor.ts';
import { DEFAULT_AUTH } from '../../api/config.ts';
import { launchBrowser } from '../support/browser.ts';
import { startTestServer } from '../support/server.ts';
import { addUser, submitSignIn } from '../console/support.ts';

let server: Awaited<ReturnType<typeof startTestServer>>;
let browser: Browser;

beforeAll(async () => {
  server = await startTestServer({ publicUrl: 'http://127.0.0.1', config: { auth: DEFAULT_AUTH } });
  browser = await launchBrowser();
  addUser(server.db, 'guardia@somnet.com.mx', 'admin', 'clave-de-guardia-larga', { mustChange: false });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function signInWithCode(page: Page, code: string) {
  await page.goto(`${server.url}/noc`);
  await submitSignIn(page, 'guardia@somnet.com.mx', 'clave-de-guardia-larga');
  await page.waitForURL(/\/noc\/verificar/);
  await page.getByLabel('Código de 6 dígitos').fill(code);
  await page.getByRole('button', { name: 'Verificar' }).click();
}

describe('TOTP second factor (CONSOLE_2FA=required)', () => {
  let secret = '';
  let recovery: string[] = [];

  it('sends a user without a second factor to enrol, with a QR code and the otpauth URI, before any other page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/noc`);
    await submitSignIn(page, 'guardia@somnet.com.mx', 'clave-de-guardia-larga');
    await page.waitForURL(/\/noc\/seguridad/);
    await page.goto(`${server.url}/noc/incidentes/nuevo`);
    expect(new URL(page.url()).pathname).toBe('/noc/seguridad');
    expect(await page.locator('nav[aria-label="Consola"]').count()).toBe(0);
    expect(await page.locator('.qr svg').count()).toBe(1);
    const uri = (await page.locator('#totp-uri').textContent())!.trim();
    expect(uri).toMatch(/^otpauth:\/\/totp\/SOMNET%20NOC:guardia%40somnet\.com\.mx\?.*secret=[A-Z2-7]+/);
    secret = new URL(uri).searchParams.get('secret')!;
    expect(new URL(uri).searchParams.get('period')).toBe('30');
    expect(new URL(uri).searchParams.get('digits')).toBe('6');
    await page
      .getByLabel('Escriba el código de 6 dígitos')
      .fill('000000' === totpCode(secret, new Date()) ? '111111' : '000000');
    await page.getByRole('button', { name: 'Confirmar' }).click();
    expect(await page.locator('#code-error').textContent()).toContain('no coincide');
    await page.getByLabel('Escriba el código de 6 dígitos').fill(totpCode(secret, new Date()));
    await page.getByRole('button', { name: 'Confirmar' }).click();
    recovery = (await page.locator('#codigos-recuperacion code').allTextContents()).map((c) => c.trim());
    expect(recovery).toHaveLength(10);
    expect(new Set(recovery).size).toBe(10);
    // Stored hashed: no code appears in the database.
    const stored = server.db.$client.prepare('SELECT code_hash FROM console_recovery_codes').all() as {
      code_hash: string;
    }[];
    expect(stored).toHaveLength(10);
    for (const code of recovery) expect(stored.some((r) => r.code_hash.includes(code.replace(/-/g, '')))).toBe(false);
    await page.goto(`${server.url}/noc`);
    expect(new URL(page.url()).pathname).toBe('/noc');
    await context.close();
  });

  it('signs in with a code computed from the secret; the same code is refused a second time', async () => {
    // A code of the step after the one spent at enrolment.
    const at = new Date(Date.now() + 30_000);
    const code = totpCode(secret, at);
    const first = await browser.newContext();
    const page = await first.newPage();
    await signInWithCode(page, code);
    await page.waitForURL(`${server.url}/noc`);
    expect(await page.locator('nav[aria-label="Consola"]').count()).toBe(1);
    const replay = await browser.newContext();
    const again = await replay.newPage();
    await signInWithCode(again, code);
    expect(new URL(again.url()).pathname).toBe('/noc/verificar');
    expect(await again.locator('#codigo-error').textContent()).toContain('ya se usó');
    // The half-signed-in session reaches nothing else.
    await again.goto(`${server.url}/noc/auditoria`);
    expect(new URL(again.url()).pathname).toBe('/noc/verificar');
    await replay.close();

    // The list of one's sessions, and «Cerrar esta sesión».
    await page.goto(`${server.url}/noc/sesiones`);
    const rows = page.locator('tbody tr');
    expect(await rows.count()).toBeGreaterThanOrEqual(1);
    const current = rows.filter({ hasText: '(esta sesión)' });
    expect(await current.locator('td').nth(2).textContent()).toBe('127.0.0.1');
    expect(await current.locator('td').nth(3).textContent()).toContain('Chrome en Linux');
    await first.close();
  });

  it('accepts a recovery code once, and audits sign-ins, failures and the code used', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInWithCode(page, recovery[0].toUpperCase());
    await page.waitForURL(/\/noc\/seguridad\?aviso=recuperacion/);
    expect(await page.locator('main').textContent()).toContain('Códigos de recuperación sin usar: 9');
    const other = await browser.newContext();
    const second = await other.newPage();
    await signInWithCode(second, recovery[0]);
    expect(new URL(second.url()).pathname).toBe('/noc/verificar');
    await other.close();

    await page.goto(`${server.url}/noc/auditoria?objeto=guardia`);
    const audit = await page.locator('tbody').textContent();
    for (const action of ['user.totp_enrol', 'user.login', 'user.login_failed', 'user.recovery_code_used'])
      expect(audit).toContain(action);
    expect(audit).toContain('replayed_code');
    expect(audit).toContain('password+totp');
    await context.close();
  });
});
