// /noc/sesiones: the user's open sessions (started, last seen, address, browser), each with
// «Cerrar esta sesión». Ending one is the command's (db/commands/consoleSessions.ts).
import { endOwnSession } from '#db/commands/consoleSessions.ts';
import { CommandError } from '#db/commands/errors.ts';
import { ownSessions, type OwnSessionView } from '#db/queries/console.ts';
import { contextOf } from './action.ts';
import type { PageContext } from './login.ts';
import { requireSession } from './session.ts';

export interface SessionsView {
  sessions: (OwnSessionView & { browser: string })[];
  error?: string;
  notice?: string;
}

/**
 * A browser as a person names it ("Chrome en Windows"), from its User-Agent. Only the common
 * families: the full text stays available beside it.
 */
export function browserLabel(userAgent: string): string {
  if (!userAgent) return 'Desconocido';
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /OPR\//.test(userAgent)
      ? 'Opera'
      : /Firefox\//.test(userAgent)
        ? 'Firefox'
        : /Chrom(e|ium)\//.test(userAgent)
          ? 'Chrome'
          : /Safari\//.test(userAgent)
            ? 'Safari'
            : /curl|node|undici/i.test(userAgent)
              ? 'Programa'
              : 'Otro navegador';
  const os = /Android/.test(userAgent)
    ? 'Android'
    : /iPhone|iPad/.test(userAgent)
      ? 'iOS'
      : /Windows/.test(userAgent)
        ? 'Windows'
        : /Mac OS X/.test(userAgent)
          ? 'macOS'
          : /Linux|X11/.test(userAgent)
            ? 'Linux'
            : '';
  return os ? `${browser} en ${os}` : browser;
}

export async function sessionsPage(
  ctx: PageContext,
): Promise<{ redirect: string } | { status: number; view: SessionsView }> {
  const session = requireSession(ctx);
  const { db, now, auth } = ctx.locals;
  const list = (): SessionsView['sessions'] =>
    ownSessions(db, session.user.id, session.sessionId, now(), auth.idleMinutes * 60_000).map((s) => ({
      ...s,
      browser: browserLabel(s.userAgent),
    }));
  if (ctx.request.method !== 'POST')
    return {
      status: 200,
      view: {
        sessions: list(),
        notice: ctx.url.searchParams.get('aviso') === 'cerrada' ? 'Sesión cerrada.' : undefined,
      },
    };
  const form = await ctx.request.formData();
  const target = Number(form.get('sesion'));
  try {
    endOwnSession(db, session.user.id, target, contextOf({ db, now: now(), session }));
    // Closing the current one is signing out here.
    return { redirect: target === session.sessionId ? '/noc/login' : '/noc/sesiones?aviso=cerrada' };
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    return { status: err.status, view: { sessions: list(), error: err.message } };
  }
}
