// Through the real server: a path spelled with repeated slashes (`/noc//admin/usuarios`, sent as
// is, as `curl --path-as-is` does) is answered 301 with its one spelling before anything routes it,
// so the console's sign-in, CSRF and role checks always run; and a console page asked for without
// the server's locals is refused by the guard, never rendered.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import http from 'node:http';
import { activeBuild, buildLayout } from '../../api/paths.ts';
import { loadPageRenderer, syntheticGet } from '../../api/pages.ts';
import type { PageLocals } from '../../api/context.ts';
import { startTestServer } from '../support/server.ts';
import { addUser, ConsoleClient } from '../console/support.ts';

let server: Awaited<ReturnType<typeof startTestServer>>;
const errors: unknown[][] = [];

beforeAll(async () => {
  server = await startTestServer();
  vi.spyOn(console, 'error').mockImplementation((...args) => {
    errors.push(args);
  });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await server?.close();
});

/** A request whose path is sent exactly as written (no client-side normalisation). */
function raw(method: string, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; location?: string; body: string }>((resolve, reject) => {
    const req = http.request(server.url, { method, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, location: res.headers.location, body }));
    });
    req.on('error', reject);
    req.end(method === 'POST' ? 'csrf=x' : undefined);
  });
}

// The shapes the attack used: every console page, the per-service pages, the history, the areas
// and the subscription links, each with a doubled (or tripled, or leading) slash.
const SHAPES: Array<[string, string]> = [
  ['/noc//admin/usuarios', '/noc/admin/usuarios'],
  ['/noc//admin/tokens', '/noc/admin/tokens'],
  ['/noc//admin/catalogo', '/noc/admin/catalogo'],
  ['/noc/admin//usuarios', '/noc/admin/usuarios'],
  ['/noc//admin', '/noc/admin'],
  ['/noc//', '/noc/'],
  ['//noc', '/noc'],
  ['/noc//auditoria', '/noc/auditoria'],
  ['/noc//componentes', '/noc/componentes'],
  ['/noc//suscriptores', '/noc/suscriptores'],
  ['/noc//alertas', '/noc/alertas'],
  ['/noc//alertas/reglas', '/noc/alertas/reglas'],
  ['/noc//incidentes/nuevo', '/noc/incidentes/nuevo'],
  ['/noc///mantenimientos', '/noc/mantenimientos'],
  ['/noc//mantenimientos/nuevo', '/noc/mantenimientos/nuevo'],
  ['/noc//sesiones', '/noc/sesiones'],
  ['/noc//seguridad', '/noc/seguridad'],
  ['/noc//contrasena', '/noc/contrasena'],
  ['/mi-servicio//SOM-00001', '/mi-servicio/SOM-00001'],
  ['/mi-servicio//SOM-00001/reporte/2026-12', '/mi-servicio/SOM-00001/reporte/2026-12'],
  ['/historial//2026-12', '/historial/2026-12'],
  ['/zonas//toluca?desde=correo', '/zonas/toluca?desde=correo'],
  ['/suscripcion//preferencias?t=abc', '/suscripcion/preferencias?t=abc'],
  ['/suscripcion//baja', '/suscripcion/baja'],
];

describe('repeated slashes', () => {
  it('answers each of the 24 shapes 301 to its canonical path, with no sign-in skipped and no error logged', async () => {
    expect(SHAPES).toHaveLength(24);
    for (const [path, canonical] of SHAPES) {
      const res = await raw('GET', path);
      expect(res.status, path).toBe(301);
      expect(new URL(res.location!, server.url).pathname + new URL(res.location!, server.url).search, path).toBe(
        canonical,
      );
      // Followed, a console page still asks for a sign-in.
      if (canonical.startsWith('/noc')) {
        const followed = await raw('GET', canonical);
        expect(followed.status, canonical).toBe(303);
        expect(followed.location, canonical).toMatch(/^\/noc\/login/);
      }
    }
    expect(errors).toEqual([]);
  });

  it('keeps the role check for a signed-in operator and the method of a form post (308)', async () => {
    addUser(server.db, 'guardia@somnet.com.mx', 'noc', 'clave-de-guardia-1', { mustChange: false });
    const noc = new ConsoleClient(server.url);
    expect((await noc.login('guardia@somnet.com.mx', 'clave-de-guardia-1')).status).toBe(303);
    const cookie = [...noc.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await raw('GET', '/noc//admin/usuarios', { cookie });
    expect(res.status).toBe(301);
    const page = await raw('GET', res.location!, { cookie });
    expect(page.status).toBe(403);
    expect(page.body).toContain('solo para administradores');
    const post = await raw('POST', '/noc//salir', { cookie, 'content-type': 'application/x-www-form-urlencoded' });
    expect(post.status).toBe(308);
    expect(post.location).toBe('/noc/salir');
    expect(errors).toEqual([]);
  });

  it('never sends anyone to another site: a leading //host becomes a path', async () => {
    const res = await raw('GET', '//evil.example/noc');
    expect(res.status).toBe(301);
    expect(res.location).toBe('/evil.example/noc');
  });
});

describe('the console guard fails closed', () => {
  it('refuses a console page rendered without the server locals instead of rendering it', async () => {
    const pages = await loadPageRenderer(buildLayout.serverEntry(activeBuild()!));
    for (const path of ['/noc/admin/usuarios', '/noc', '/noc/auditoria']) {
      const page = await pages.render(syntheticGet(path, 'status.example.test'), {} as PageLocals);
      expect(page?.status, path).toBe(404);
      expect(page?.body.toString(), path).not.toContain('Usuarios');
      expect(page?.headers['cache-control'], path).toBe('private, no-store');
    }
  });
});
