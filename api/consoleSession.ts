// The NOC console's session cookie, read in two places: by the console pages
// (site/console/session.ts) and by the server before a form is read (api/app.ts), which lets
// only a signed-in operator post the large console forms.
import { hashSessionToken } from '#db/commands/consoleSessions.ts';
import type { Db } from '#db/client.ts';
import { consoleSessionByHash, type ConsoleSession } from '#db/queries/console.ts';

/** The console's pages: /noc and everything under it. */
export function isConsolePath(path: string): boolean {
  return path === '/noc' || path.startsWith('/noc/');
}

export function isHttps(publicUrl: string): boolean {
  return publicUrl.startsWith('https:');
}

/** `__Host-` binds the cookie to this exact origin (RFC 6265bis); it requires Secure, so https only. */
export function sessionCookieName(publicUrl: string): string {
  return isHttps(publicUrl) ? '__Host-somnet_noc' : 'somnet_noc';
}

/** The live session a cookie's token opens, or null (none, unknown, expired, idle, user disabled). */
export function sessionForToken(
  db: Db,
  token: string | undefined,
  now: Date,
  idleMinutes: number,
): ConsoleSession | null {
  if (!token || token.length > 100) return null;
  return consoleSessionByHash(db, hashSessionToken(token), now, idleMinutes * 60_000);
}
