// The one spelling of a request's path. Astro's router does not match `/noc//admin/usuarios`, and
// when no route matches it renders the page anyway without the locals the server gives (so the
// console's guard, finding no database, could not check the session). Every path with repeated
// slashes is therefore sent to its canonical spelling before anything routes it.

/**
 * The canonical request target (path with repeated slashes collapsed, query kept) when `target`
 * is not canonical; null when it already is. A leading `//host` becomes `/host`, so the answer
 * can never point at another site.
 */
export function canonicalTarget(target: string): string | null {
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  if (!path.includes('//')) return null;
  return path.replace(/\/{2,}/g, '/') + (q < 0 ? '' : target.slice(q));
}

/**
 * RFC 9110 §15.4.2 (301) for reads; §15.4.9 (308) for other methods, which keeps the method and
 * body, where a 301 lets clients turn a POST into a GET.
 */
export function canonicalRedirect(method: string, location: string): Response {
  const status = method === 'GET' || method === 'HEAD' ? 301 : 308;
  return new Response(null, {
    status,
    headers: { location, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
  });
}
