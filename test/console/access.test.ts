import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { startTestServer } from '../support/server.ts';
import { freshDb, tempDatabasePath, testClock } from '../support/db.ts';
import { openDatabase } from '#db/client.ts';
import { projectRoot } from '../../api/paths.ts';
import { addUser, ConsoleClient, hiddenValue } from './support.ts';

const clock = testClock('2026-11-26T16:00:00Z');
let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  server = await startTestServer({ now: clock.now, publicUrl: 'http://127.0.0.1' });
  addUser(server.db, 'admin@somnet.com.mx', 'admin', 'clave-de-administracion', { mustChange: false });
  addUser(server.db, 'guardia@somnet.com.mx', 'noc', 'clave-de-la-guardia', { mustChange: false });
});
afterAll(async () => {
  await server?.close();
});

const count = (sql: string, ...args: unknown[]) => (server.db.$client.prepare(sql).get(...args) as { n: number }).n;

describe('access to /noc', () => {
  it('redirects anonymous visitors to the login form, remembering where they were going', async () => {
    const res = await new ConsoleClient(server.url).get('/noc/componentes');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/noc/login?volver=%2Fnoc%2Fcomponentes');
  });

  it('serves every console page private, unframeable and never cached', async () => {
    const client = new ConsoleClient(server.url);
    for (const res of [await client.get('/noc/login'), await client.get('/noc')]) {
      expect(res.headers.get('cache-control')).toBe('private, no-store');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
    await client.login('admin@somnet.com.mx', 'clave-de-administracion');
    const page = await client.get('/noc');
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('private, no-store');
    expect(await page.text()).toContain('admin@somnet.com.mx');
    // An anonymous request right after must not get the signed-in page from a cache.
    expect((await new ConsoleClient(server.url).get('/noc')).status).toBe(303);
  });

  it('returns to the page asked for after signing in, but never outside the console', async () => {
    const client = new ConsoleClient(server.url);
    const inside = await client.submit('/noc/login?volver=%2Fnoc%2Fauditoria', {
      email: 'admin@somnet.com.mx',
      password: 'clave-de-administracion',
    });
    expect(inside.headers.get('location')).toBe('/noc/auditoria');
    const other = new ConsoleClient(server.url);
    const outside = await other.submit('/noc/login?volver=%2F%2Fmalicioso.example%2Fnoc', {
      email: 'admin@somnet.com.mx',
      password: 'clave-de-administracion',
    });
    expect(outside.headers.get('location')).toBe('/noc');
  });

  it('sets an httpOnly, SameSite=Lax session cookie with an expiry', async () => {
    const client = new ConsoleClient(server.url);
    const res = await client.login('admin@somnet.com.mx', 'clave-de-administracion');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/noc');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('somnet_noc='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toContain(`Expires=${new Date(clock.now().getTime() + 12 * 60 * 60_000).toUTCString()}`);
    expect(cookie).not.toMatch(/Secure/); // PUBLIC_URL is http here
  });

  it('refuses a wrong password with a Spanish message and no session', async () => {
    const client = new ConsoleClient(server.url);
    const res = await client.login('admin@somnet.com.mx', 'otra-clave-cualquiera');
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('Correo o contraseña incorrectos.');
    expect(client.cookies.has('somnet_noc')).toBe(false);
  });

  it('refuses a login post without the CSRF token, and a cross-origin one', async () => {
    const client = new ConsoleClient(server.url);
    await client.get('/noc/login');
    const noToken = await client.post('/noc/login', {
      email: 'admin@somnet.com.mx',
      password: 'clave-de-administracion',
    });
    expect(noToken.status).toBe(403);
    expect(await noToken.text()).toContain('CSRF');
    const html = await (await client.get('/noc/login')).text();
    const crossOrigin = await client.post(
      '/noc/login',
      { csrf: hiddenValue(html, 'csrf')!, email: 'admin@somnet.com.mx', password: 'clave-de-administracion' },
      { origin: 'https://malicioso.example' },
    );
    expect(crossOrigin.status).toBe(403);
    expect(client.cookies.has('somnet_noc')).toBe(false);
  });

  it('refuses console posts without the session CSRF token and writes nothing', async () => {
    const client = new ConsoleClient(server.url);
    await client.login('guardia@somnet.com.mx', 'clave-de-la-guardia');
    const before = count('SELECT count(*) AS n FROM incidents');
    const html = await (await client.get('/noc/incidentes/nuevo')).text();
    const fields = {
      idem: hiddenValue(html, 'idem')!,
      accion: 'vista-previa',
      name: 'Prueba',
      impact: 'major',
      status: 'investigating',
      body: 'x',
    };
    expect((await client.post('/noc/incidentes/nuevo', fields)).status).toBe(403);
    expect(
      (await client.post('/noc/incidentes/nuevo', { ...fields, csrf: 'un-token-inventado-de-43-caracteres-000000' }))
        .status,
    ).toBe(403);
    expect(count('SELECT count(*) AS n FROM incidents')).toBe(before);
  });

  it('keeps noc users out of admin pages', async () => {
    const client = new ConsoleClient(server.url);
    await client.login('guardia@somnet.com.mx', 'clave-de-la-guardia');
    for (const path of ['/noc/admin/usuarios', '/noc/admin/tokens', '/noc/admin']) {
      const res = await client.get(path);
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('solo para administradores');
    }
    expect(await (await client.get('/noc')).text()).not.toContain('/noc/admin/usuarios');
  });

  it('locks an account after 5 wrong passwords, even for the right one, until 15 minutes pass', async () => {
    addUser(server.db, 'bloqueo@somnet.com.mx', 'noc', 'clave-correcta-larga', { mustChange: false });
    const client = new ConsoleClient(server.url);
    for (let i = 0; i < 5; i++)
      expect((await client.login('bloqueo@somnet.com.mx', `mala-${i}-xxxxxxxx`)).status).toBe(401);
    const locked = await client.login('bloqueo@somnet.com.mx', 'clave-correcta-larga');
    expect(locked.status).toBe(429);
    expect(await locked.text()).toContain('bloqueada temporalmente');
    clock.advance(16 * 60_000);
    expect((await client.login('bloqueo@somnet.com.mx', 'clave-correcta-larga')).status).toBe(303);
  });

  it('ends a session after its 12 h lifetime', async () => {
    const client = new ConsoleClient(server.url);
    await client.login('guardia@somnet.com.mx', 'clave-de-la-guardia');
    expect((await client.get('/noc')).status).toBe(200);
    clock.advance(12 * 60 * 60_000 + 1000);
    expect((await client.get('/noc')).status).toBe(303);
  });

  it('logs out everywhere: every session of the user ends', async () => {
    const phone = new ConsoleClient(server.url);
    const desk = new ConsoleClient(server.url);
    await phone.login('guardia@somnet.com.mx', 'clave-de-la-guardia');
    await desk.login('guardia@somnet.com.mx', 'clave-de-la-guardia');
    const res = await desk.submit('/noc/salir', { todas: '1' }, '/noc');
    expect(res.status).toBe(303);
    expect((await phone.get('/noc')).status).toBe(303);
    expect((await desk.get('/noc')).status).toBe(303);
    const audit = server.db.$client
      .prepare("SELECT actor_name FROM audit_log WHERE action = 'user.logout_everywhere'")
      .all();
    expect(audit).toEqual([{ actor_name: 'guardia@somnet.com.mx' }]);
  });
});

describe('rate limiting by client address', () => {
  it('refuses every sign-in from an address after 20 failures in 15 minutes, whichever the account', async () => {
    clock.advance(60 * 60_000);
    const client = new ConsoleClient(server.url);
    for (let i = 0; i < 20; i++)
      expect((await client.login(`nadie${i}@somnet.com.mx`, 'cualquier-cosa-larga')).status).toBe(401);
    const blocked = await client.login('admin@somnet.com.mx', 'clave-de-administracion');
    expect(blocked.status).toBe(429);
    expect(await blocked.text()).toContain('Demasiados intentos fallidos desde esta conexión');
    clock.advance(15 * 60_000 + 1000);
    expect((await client.login('admin@somnet.com.mx', 'clave-de-administracion')).status).toBe(303);
  });
});

describe('first sign-in with a one-time password', () => {
  it('the CLI prints the password alone on its last line, and the console asks for a new one', async () => {
    const path = tempDatabasePath();
    openDatabase(path).$client.close();
    const run = spawnSync(
      process.execPath,
      ['api/cli.ts', 'user', 'create', '--email', 'Nueva@Somnet.com.mx', '--role', 'admin'],
      { cwd: projectRoot, env: { ...process.env, DATABASE_PATH: path }, encoding: 'utf8' },
    );
    expect(run.status).toBe(0);
    const password = run.stdout.trim().split('\n').at(-1)!;
    expect(password).toMatch(/^\S{16}$/);
    const again = spawnSync(
      process.execPath,
      ['api/cli.ts', 'user', 'create', '--email', 'nueva@somnet.com.mx', '--role', 'admin'],
      { cwd: projectRoot, env: { ...process.env, DATABASE_PATH: path }, encoding: 'utf8' },
    );
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('Ya existe un usuario');
    const badRole = spawnSync(
      process.execPath,
      ['api/cli.ts', 'user', 'create', '--email', 'otra@somnet.com.mx', '--role', 'jefe'],
      { cwd: projectRoot, env: { ...process.env, DATABASE_PATH: path }, encoding: 'utf8' },
    );
    expect(badRole.status).toBe(1);
    expect(badRole.stderr).toContain('El rol debe ser admin o noc.');

    const own = await startTestServer({ db: openDatabase(path), publicUrl: 'http://127.0.0.1' });
    try {
      const client = new ConsoleClient(own.url);
      const login = await client.login('nueva@somnet.com.mx', password);
      expect(login.headers.get('location')).toBe('/noc/contrasena');
      expect((await client.get('/noc/componentes')).headers.get('location')).toBe('/noc/contrasena');
      const short = await client.submit('/noc/contrasena', { actual: password, nueva: 'corta', repetir: 'corta' });
      expect(short.status).toBe(422);
      expect(await short.text()).toContain('al menos 12 caracteres');
      const ok = await client.submit('/noc/contrasena', {
        actual: password,
        nueva: 'otra-clave-distinta-segura',
        repetir: 'otra-clave-distinta-segura',
      });
      expect(ok.headers.get('location')).toBe('/noc?aviso=contrasena');
      expect((await client.get('/noc/componentes')).status).toBe(200);
      const fresh = new ConsoleClient(own.url);
      expect((await fresh.login('nueva@somnet.com.mx', password)).status).toBe(401);
      expect((await fresh.login('nueva@somnet.com.mx', 'otra-clave-distinta-segura')).headers.get('location')).toBe(
        '/noc',
      );
    } finally {
      await own.close();
    }
  });

  it('marks the session cookie Secure (and __Host-) when PUBLIC_URL is https', async () => {
    const db = freshDb();
    addUser(db, 'segura@somnet.com.mx', 'noc', 'clave-segura-larga', { mustChange: false });
    const own = await startTestServer({ db });
    try {
      const client = new ConsoleClient(own.url);
      const res = await client.login('segura@somnet.com.mx', 'clave-segura-larga');
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith('__Host-somnet_noc='));
      expect(cookie).toMatch(/; Secure/);
      expect(cookie).toMatch(/Path=\//);
    } finally {
      await own.close();
    }
  });
});
