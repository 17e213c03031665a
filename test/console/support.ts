// A cookie-keeping HTTP client for the console, over the real server.
import { createConsoleUser } from '#db/commands/consoleUsers.ts';
import { hashPasswordSync } from '#db/domain/password.ts';
import type { Db } from '#db/client.ts';
import type { Page } from 'playwright-core';

/** scrypt costs a tenth of a second by design: each test password is hashed once per worker. */
const hashes = new Map<string, string>();
function hashOf(password: string): string {
  let hash = hashes.get(password);
  if (!hash) hashes.set(password, (hash = hashPasswordSync(password)));
  return hash;
}

export function addUser(
  db: Db,
  email: string,
  role: 'admin' | 'noc',
  password: string,
  options: { mustChange?: boolean } = {},
) {
  createConsoleUser(
    db,
    { email, role, passwordHash: hashOf(password) },
    { now: new Date(), actor: { kind: 'cli', name: 'tests' } },
  );
  if (options.mustChange === false)
    db.$client.prepare('UPDATE console_users SET must_change_password = 0 WHERE email = ?').run(email);
}

/** Fills and sends the sign-in form the page shows (after a goto to /noc or /noc/login). */
export async function submitSignIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Correo').fill(email);
  await page.getByLabel('Contraseña').fill(password);
  await page.getByRole('button', { name: 'Entrar', exact: true }).click();
}

export function hiddenValue(html: string, name: string): string | undefined {
  return new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];
}

export class ConsoleClient {
  cookies = new Map<string, string>();
  readonly base: string;
  constructor(base: string) {
    this.base = base;
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: Response): Response {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, ...rest] = pair.split('=');
      const value = rest.join('=');
      if (value === 'deleted' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  async get(path: string): Promise<Response> {
    return this.keep(await fetch(this.base + path, { redirect: 'manual', headers: { cookie: this.cookieHeader() } }));
  }

  async post(
    path: string,
    fields: Record<string, string | string[]>,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
    return this.keep(
      await fetch(this.base + path, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          cookie: this.cookieHeader(),
          origin: this.base,
          'content-type': 'application/x-www-form-urlencoded',
          ...headers,
        },
        body,
      }),
    );
  }

  /** Loads the page's form and posts it with its csrf and idem tokens plus `fields`. */
  async submit(path: string, fields: Record<string, string | string[]>, formPath = path): Promise<Response> {
    const html = await (await this.get(formPath)).text();
    const csrf = hiddenValue(html, 'csrf') ?? '';
    const idem = hiddenValue(html, 'idem');
    return this.post(path, { csrf, ...(idem ? { idem } : {}), ...fields });
  }

  async login(email: string, password: string): Promise<Response> {
    return this.submit('/noc/login', { email, password });
  }
}
