// Guards the NOC console (/noc): sign-in, CSRF, roles and the headers that keep its pages
// private and unframeable. Public pages pass straight through.
import { defineMiddleware } from 'astro:middleware';
import type { APIContext, MiddlewareNext } from 'astro';
import type { PageLocals } from '../api/context.ts';
import { consoleAccess, consoleSession, LOGIN_CSRF_COOKIE, sameSecret } from './console/session.ts';
import { touchSession } from '#db/commands/consoleSessions.ts';
import { isConsolePath } from '../api/consoleSession.ts';
import { tooBusy } from '../api/pages.ts';

const CONSOLE_HEADERS: Record<string, string> = {
  // api/app.ts never caches or shares a response that says private/no-store.
  'cache-control': 'private, no-store',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
};

function refusal(status: number, title: string, message: string): Response {
  const html = `<!doctype html><html lang="es-MX"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title} · Consola NOC</title></head><body><main><h1>${title}</h1><p>${message}</p><p><a href="/noc">Volver a la consola</a></p></main></body></html>`;
  return new Response(html, { status, headers: { 'content-type': 'text/html; charset=utf-8' } });
}

function redirect(location: string): Response {
  return new Response(null, { status: 303, headers: { location } });
}

async function formField(request: Request, name: string): Promise<unknown> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(type)) return null;
  try {
    return (await request.clone().formData()).get(name);
  } catch {
    return null;
  }
}

const PRE_SESSION_PATHS = new Set(['/noc/login', '/noc/login/llave', '/noc/sso', '/noc/sso/retorno']);

/** The pages each unfinished sign-in may reach; the first is where it is sent. */
const ACCESS_PATHS: Record<'verify' | 'password' | 'enrol', string[]> = {
  verify: ['/noc/verificar', '/noc/verificar/llave'],
  password: ['/noc/contrasena'],
  enrol: ['/noc/seguridad', '/noc/seguridad/llaves'],
};

export const onRequest = defineMiddleware(async (context, next) => {
  // A page route matched: this rendering counts against the client's render budget, if the server says so.
  if ((context.locals as Partial<PageLocals>).admitRender?.() === false) return tooBusy();
  const path = context.url.pathname;
  if (!isConsolePath(path)) return next();
  // Fail closed: a console request without the server's locals (no database, so no session can be
  // established) is refused, never rendered. The server answers paths no route matches itself
  // (api/app.ts), so this is only ever reached by a request that did not come through it.
  const response = (context.locals as Partial<PageLocals>).db
    ? await guard(context, next)
    : refusal(404, 'Página no encontrada', 'La dirección no existe.');
  for (const [name, value] of Object.entries(CONSOLE_HEADERS)) response.headers.set(name, value);
  return response;
});

async function guard(context: APIContext, next: MiddlewareNext): Promise<Response> {
  const { request } = context;
  const path = context.url.pathname.replace(/\/+$/, '') || '/';
  const isPost = request.method === 'POST';
  if (request.method !== 'GET' && request.method !== 'HEAD' && !isPost)
    return refusal(405, 'Método no permitido', 'La consola solo acepta GET y POST.');

  // Before a session exists: the sign-in form, a passkey sign-in, single sign-on and its return.
  if (PRE_SESSION_PATHS.has(path)) {
    // Before a session exists the CSRF token is a random cookie repeated in the form
    // (double submit); Astro's security.checkOrigin has already refused cross-origin posts.
    if (isPost) {
      const cookie = context.cookies.get(LOGIN_CSRF_COOKIE)?.value;
      if (!cookie || !sameSecret(await formField(request, 'csrf'), cookie)) {
        return refusal(
          403,
          'Solicitud rechazada',
          'El formulario no trae un token de seguridad válido (CSRF). Vuelva a cargar la página de inicio de sesión.',
        );
      }
    }
    return next();
  }

  const locals = context.locals as PageLocals;
  const session = consoleSession({ cookies: context.cookies, locals });
  if (!session) {
    const back =
      request.method === 'GET' ? `?volver=${encodeURIComponent(context.url.pathname + context.url.search)}` : '';
    return redirect(`/noc/login${back}`);
  }
  if (isPost && !sameSecret(await formField(request, 'csrf'), session.csrfToken)) {
    return refusal(
      403,
      'Solicitud rechazada',
      'El formulario no trae un token de seguridad válido (CSRF). Vuelva a cargar la página e intente de nuevo.',
    );
  }
  touchSession(locals.db, session, locals.now());
  // A sign-in that is not finished reaches only the page that finishes it (and sign-out).
  const access = consoleAccess(session, locals.auth);
  if (access !== 'ok' && path !== '/noc/salir') {
    const [home, ...others] = ACCESS_PATHS[access];
    if (path !== home && !others.includes(path)) return redirect(home);
  }
  if ((path === '/noc/admin' || path.startsWith('/noc/admin/')) && session.user.role !== 'admin') {
    return refusal(403, 'Acceso restringido', 'Esta sección es solo para administradores.');
  }
  return next();
}
