// Single sign-on against a real OpenID provider running here (oidc-provider, a certified
// implementation), in Chromium: a known user enters with the role from the claim and no second
// factor of ours (the provider's counts); an unknown user, a wrong `state` and a wrong `nonce`
// are refused and audited; with CONSOLE_PASSWORD_LOGIN=0 no password is accepted.
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Provider from 'oidc-provider';
import type { Browser, Page } from 'playwright-core';
import { DEFAULT_AUTH } from '../../api/config.ts';
import { launchBrowser } from '../support/browser.ts';
import { startTestServer } from '../support/server.ts';
import { addUser, hiddenValue } from '../console/support.ts';

const accounts: Record<string, { email: string; roles: string[] }> = {
  ana: { email: 'ana@somnet.com.mx', roles: ['NOC-Admins'] },
  extrano: { email: 'nadie@otra.example', roles: ['NOC'] },
};

let idp: Server;
let issuer: string;
let server: Awaited<ReturnType<typeof startTestServer>>;
let browser: Browser;

beforeAll(async () => {
  idp = createServer();
  await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(idp.address() as { port: number }).port}`;
  // The redirect URI is PUBLIC_URL's: the server listens where PUBLIC_URL says.
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  server = await startTestServer({
    publicUrl: `http://127.0.0.1:${port}`,
    config: {
      port,
      auth: {
        ...DEFAULT_AUTH,
        passwordLogin: false,
        oidc: {
          issuer,
          clientId: 'somnet-status',
          clientSecret: 'secreto-de-prueba-largo',
          roleClaim: 'roles',
          roleMap: { 'NOC-Admins': 'admin', NOC: 'noc' },
          createUsers: false,
        },
      },
    },
  });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'somnet-status',
        client_secret: 'secreto-de-prueba-largo',
        redirect_uris: [`${server.url}/noc/sso/retorno`],
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['roles'] },
    async findAccount(_ctx, sub) {
      const account = accounts[sub];
      if (!account) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { sub, email: account.email, email_verified: true, roles: account.roles };
        },
      };
    },
  });
  idp.on('request', provider.callback());
  browser = await launchBrowser();
  addUser(server.db, 'ana@somnet.com.mx', 'noc', 'clave-que-no-sirve-aqui', { mustChange: false });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await new Promise((resolve) => idp?.close(resolve));
});

/** Through the provider's own sign-in and consent pages (oidc-provider's development interactions). */
async function providerSignIn(page: Page, login: string) {
  await page.waitForURL(new RegExp(`^${issuer}/interaction/`));
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('cualquiera');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.waitForURL(new RegExp(`^${issuer}/interaction/`));
  await page.getByRole('button', { name: 'Continue' }).click();
}

/**
 * Starts single sign-on in the browser's context (its cookie jar) and returns the authorization
 * URL our server sent it to, without following it.
 */
async function authorizationUrl(page: Page): Promise<URL> {
  const res = await page.context().request.get(`${server.url}/noc/sso`, { maxRedirects: 0 });
  expect(res.status()).toBe(303);
  return new URL(res.headers().location);
}

const failures = () =>
  server.db.$client
    .prepare("SELECT details FROM audit_log WHERE action = 'user.login_failed' ORDER BY id")
    .all()
    .map((r) => JSON.parse((r as { details: string }).details) as { outcome: string; factor: string });

describe('single sign-on (OpenID Connect, authorization code + PKCE)', () => {
  it('signs in a known user with the role from the claim; the provider counts as the second factor', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/noc/login`);
    expect(await page.locator('input[name="password"]').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Entrar con la cuenta de SOMNET (SSO)' }).getAttribute('href')).toBe(
      '/noc/sso',
    );
    const auth = await authorizationUrl(page);
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256');
    expect(auth.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(auth.searchParams.get('state')).toBeTruthy();
    expect(auth.searchParams.get('nonce')).toBeTruthy();
    expect(auth.searchParams.get('redirect_uri')).toBe(`${server.url}/noc/sso/retorno`);
    await page.goto(auth.href);
    await providerSignIn(page, 'ana');
    await page.waitForURL(`${server.url}/noc`);
    expect(await page.locator('.who').textContent()).toContain('ana@somnet.com.mx (Administrador)');
    const row = server.db.$client
      .prepare("SELECT role, oidc_subject FROM console_users WHERE email = 'ana@somnet.com.mx'")
      .get();
    expect(row).toEqual({ role: 'admin', oidc_subject: 'ana' });
    const login = server.db.$client
      .prepare("SELECT details FROM audit_log WHERE action = 'user.login' ORDER BY id DESC")
      .get() as { details: string };
    expect(JSON.parse(login.details).method).toBe('oidc');
    await context.close();
  });

  it('refuses a user who does not exist here (OIDC_CREATE_USERS unset)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/noc/sso`);
    await providerSignIn(page, 'extrano');
    await page.waitForURL(/\/noc\/sso\/retorno/);
    expect(await page.locator('[role=alert]').textContent()).toContain('No hay un usuario de la consola con el correo');
    expect(failures().at(-1)).toMatchObject({ outcome: 'unknown_account', factor: 'oidc' });
    expect(
      server.db.$client.prepare("SELECT 1 FROM console_users WHERE email = 'nadie@otra.example'").get(),
    ).toBeUndefined();
    await context.close();
  });

  it('refuses an answer whose state is not the one sent', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const auth = await authorizationUrl(page);
    auth.searchParams.set('state', 'state-falso-0123456789abcdef');
    await page.goto(auth.href);
    await providerSignIn(page, 'ana');
    await page.waitForURL(/\/noc\/sso\/retorno/);
    expect(await page.locator('h1').textContent()).toBe('No se pudo iniciar sesión');
    expect(failures().at(-1)).toMatchObject({ outcome: 'oidc_refused' });
    await page.goto(`${server.url}/noc`);
    expect(new URL(page.url()).pathname).toBe('/noc/login');
    await context.close();
  });

  it('refuses an ID token whose nonce is not the one sent', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const auth = await authorizationUrl(page);
    auth.searchParams.set('nonce', 'nonce-falso-0123456789abcdef');
    await page.goto(auth.href);
    await providerSignIn(page, 'ana');
    await page.waitForURL(/\/noc\/sso\/retorno/);
    expect(await page.locator('h1').textContent()).toBe('No se pudo iniciar sesión');
    const last = failures().at(-1) as { outcome: string; detail?: string };
    expect(last.outcome).toBe('oidc_refused');
    // The ID token's nonce is the one claim that differs from a good sign-in.
    expect(last.detail).toContain('OAUTH_JWT_CLAIM_COMPARISON_FAILED');
    await page.goto(`${server.url}/noc`);
    expect(new URL(page.url()).pathname).toBe('/noc/login');
    await context.close();
  });

  it('refuses password sign-in when CONSOLE_PASSWORD_LOGIN=0', async () => {
    const res = await fetch(`${server.url}/noc/login`);
    const csrf = hiddenValue(await res.text(), 'csrf');
    expect(csrf).toBeUndefined();
  });
});
