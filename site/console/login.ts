// /noc/login: the sign-in form (password), the passkey and single sign-on buttons, and where a
// signed-in user goes next. The commands (db/commands/consoleSessions.ts) enforce the limits.
import type { AstroCookies } from 'astro';
import { signIn } from '#db/commands/consoleSessions.ts';
import { CommandError } from '#db/commands/errors.ts';
import { clip, LIMITS } from '#db/commands/input.ts';
import { passkeySignInOptions, relyingPartyOf, signInWithPasskey } from '#db/commands/passkeys.ts';
import type { PageLocals } from '../../api/context.ts';
import {
  consoleSession,
  isHttps,
  LOGIN_CSRF_COOKIE,
  randomToken,
  safeReturnPath,
  setSessionCookie,
  signInClient,
} from './session.ts';

export interface PageContext {
  cookies: AstroCookies;
  locals: PageLocals;
  request: Request;
  url: URL;
}

/** An endpoint's context as the console modules read it (api/app.ts sets the locals). */
export function pageContext(context: {
  cookies: AstroCookies;
  locals: object;
  request: Request;
  url: URL;
}): PageContext {
  return context as PageContext;
}

export interface LoginView {
  csrf: string;
  email: string;
  error?: string;
  passwordLogin: boolean;
  sso: boolean;
  /** Why the visitor is here again (an idle session, the end of a single sign-on). */
  notice?: string;
}

/** The login form's CSRF cookie (double submit), made on first sight. */
export function loginCsrf(ctx: PageContext): string {
  let csrf = ctx.cookies.get(LOGIN_CSRF_COOKIE)?.value;
  if (!csrf || csrf.length > 64) {
    csrf = randomToken();
    ctx.cookies.set(LOGIN_CSRF_COOKIE, csrf, {
      httpOnly: true,
      sameSite: 'strict',
      secure: isHttps(ctx.locals.publicUrl),
      path: '/noc',
      maxAge: 3600,
    });
  }
  return csrf;
}

/** After a sign-in step: the second factor, a new password, or the page asked for. */
function nextPage(opened: { complete: boolean; mustChangePassword: boolean }, back: string): string {
  if (!opened.complete) return `/noc/verificar?volver=${encodeURIComponent(back)}`;
  return opened.mustChangePassword ? '/noc/contrasena' : back;
}

export async function loginPage(ctx: PageContext): Promise<{ redirect: string } | { status: number; view: LoginView }> {
  const { db, now, auth } = ctx.locals;
  const back = safeReturnPath(ctx.url.searchParams.get('volver'));
  if (ctx.request.method === 'GET' && consoleSession(ctx)) return { redirect: back };
  const view: LoginView = {
    csrf: loginCsrf(ctx),
    email: '',
    passwordLogin: auth.passwordLogin,
    sso: !!auth.oidc,
    notice: ctx.url.searchParams.get('motivo') === 'inactividad' ? 'Su sesión se cerró por inactividad.' : undefined,
  };
  if (ctx.request.method !== 'POST') return { status: 200, view };
  const form = await ctx.request.formData();
  view.email = clip(form.get('email'), LIMITS.email);
  try {
    const opened = await signIn(
      db,
      { email: view.email, password: String(form.get('password') ?? ''), ...signInClient(ctx) },
      now(),
      { passwordLogin: auth.passwordLogin },
    );
    setSessionCookie(ctx, opened.token, opened.expiresAt);
    ctx.cookies.delete(LOGIN_CSRF_COOKIE, { path: '/noc' });
    return { redirect: nextPage(opened, back) };
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    return { status: err.status, view: { ...view, error: err.message } };
  }
}

/** The cookie that ties a passkey sign-in's challenge to this browser. */
const PASSKEY_FLOW_COOKIE = 'somnet_noc_llave';

/**
 * POST /noc/login/llave: `accion=opciones` gives the options for navigator.credentials.get
 * (JSON); `accion=entrar` with the browser's answer (`credencial`, JSON) signs in.
 */
export async function passkeyLoginEndpoint(ctx: PageContext): Promise<Response> {
  const { db, now, auth, publicUrl } = ctx.locals;
  if (!auth.passwordLogin)
    return json(403, { error: 'El inicio de sesión está reservado a la cuenta de SOMNET (SSO).' });
  const rp = relyingPartyOf(publicUrl);
  const form = await ctx.request.formData();
  if (form.get('accion') === 'opciones') {
    const { flowToken, options } = await passkeySignInOptions(db, rp, now());
    ctx.cookies.set(PASSKEY_FLOW_COOKIE, flowToken, {
      httpOnly: true,
      sameSite: 'strict',
      secure: isHttps(publicUrl),
      path: '/noc/login',
      maxAge: 300,
    });
    return json(200, { options });
  }
  try {
    const credential = JSON.parse(String(form.get('credencial') ?? 'null'));
    const opened = await signInWithPasskey(
      db,
      ctx.cookies.get(PASSKEY_FLOW_COOKIE)?.value ?? '',
      credential,
      rp,
      signInClient(ctx),
      now(),
    );
    ctx.cookies.delete(PASSKEY_FLOW_COOKIE, { path: '/noc/login' });
    ctx.cookies.delete(LOGIN_CSRF_COOKIE, { path: '/noc' });
    setSessionCookie(ctx, opened.token, opened.expiresAt);
    return json(200, { redirect: nextPage(opened, safeReturnPath(String(form.get('volver') ?? ''))) });
  } catch (err) {
    if (err instanceof SyntaxError) return json(400, { error: 'La respuesta de la llave no es válida.' });
    if (!(err instanceof CommandError)) throw err;
    return json(err.status, { error: err.message });
  }
}

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'private, no-store' },
  });
}
