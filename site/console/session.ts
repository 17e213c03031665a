// NOC console plumbing shared by site/middleware.ts and the pages under site/pages/noc/.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AstroCookies } from 'astro';
import type { Actor } from '#db/commands/audit.ts';
import type { FieldError } from '#db/commands/errors.ts';
import type { ConsoleSession } from '#db/queries/console.ts';
import type { PageLocals } from '../../api/context.ts';
import { isHttps, sessionCookieName, sessionForToken } from '../../api/consoleSession.ts';
import type { AuthConfig } from '../../api/config.ts';
import type { SignInClient } from '#db/commands/consoleSessions.ts';

export { isHttps, sessionCookieName } from '../../api/consoleSession.ts';

export const LOGIN_CSRF_COOKIE = 'somnet_noc_login';

interface ContextLike {
  cookies: AstroCookies;
  locals: PageLocals;
}

/** The signed-in user of this request, read from the session cookie (null when signed out). */
export function consoleSession(ctx: ContextLike): ConsoleSession | null {
  return sessionForToken(
    ctx.locals.db,
    ctx.cookies.get(sessionCookieName(ctx.locals.publicUrl))?.value,
    ctx.locals.now(),
    ctx.locals.auth.idleMinutes,
  );
}

/**
 * Where a signed-in session may go: `verify` while a password sign-in owes its second factor,
 * `password` while a one-time password must be changed, `enrol` while CONSOLE_2FA=required and
 * the user has no second factor (a single sign-on's counts: the provider's), else `ok`.
 */
export type ConsoleAccess = 'verify' | 'password' | 'enrol' | 'ok';

export function consoleAccess(session: ConsoleSession, auth: AuthConfig): ConsoleAccess {
  if (!session.complete) return 'verify';
  if (session.user.mustChangePassword && session.method === 'password') return 'password';
  if (auth.secondFactor === 'required' && session.method === 'password' && !hasSecondFactor(session)) return 'enrol';
  return 'ok';
}

export function hasSecondFactor(session: ConsoleSession): boolean {
  return session.user.hasTotp || session.user.passkeys > 0;
}

/** The client signing in, for the limits, the audit log and the list of sessions. */
export function signInClient(ctx: { locals: PageLocals; request: Request }): SignInClient {
  return {
    address: ctx.locals.clientAddress,
    ip: ctx.locals.clientIp,
    userAgent: (ctx.request.headers.get('user-agent') ?? '').slice(0, 400),
  };
}

/** The session cookie: httpOnly, SameSite=Lax, Secure (and `__Host-`) on https. */
export function setSessionCookie(ctx: ContextLike, token: string, expiresAt: Date): void {
  ctx.cookies.set(sessionCookieName(ctx.locals.publicUrl), token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: isHttps(ctx.locals.publicUrl),
    path: '/',
    expires: expiresAt,
    maxAge: Math.max(1, Math.round((expiresAt.getTime() - ctx.locals.now().getTime()) / 1000)),
  });
}

/** Pages behind the middleware: the session exists (the middleware redirected otherwise). */
export function requireSession(ctx: ContextLike): ConsoleSession {
  const session = consoleSession(ctx);
  if (!session) throw new Error('Página de consola sin sesión: site/middleware.ts debió redirigir.');
  return session;
}

export function actorOf(session: ConsoleSession): Actor {
  return { kind: 'user', name: session.user.email };
}

export function commandContext(ctx: ContextLike, session: ConsoleSession) {
  return { now: ctx.locals.now(), actor: actorOf(session) };
}

/** A random token for one rendered form (idempotency) or one login form (CSRF). */
export function randomToken(): string {
  return randomBytes(24).toString('base64url');
}

export function sameSecret(a: unknown, b: string): boolean {
  if (typeof a !== 'string' || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** Field errors by path, for showing each message next to its input. */
export function fieldMap(fields: FieldError[] | undefined): Record<string, string> {
  const map: Record<string, string> = {};
  for (const f of fields ?? []) map[f.path] ??= f.message;
  return map;
}

export { parseLocalDateTime, toLocalDateTimeValue } from './localDateTime.ts';

/** Only paths inside the console are valid places to return to after signing in. */
export function safeReturnPath(value: string | null | undefined): string {
  return value && /^\/noc(\/[\w\-/]*)?(\?[\w=&%-]*)?$/.test(value) && !value.startsWith('//') ? value : '/noc';
}
