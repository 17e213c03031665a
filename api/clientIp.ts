/**
 * The customer's address, decided once per request, for every per-address limit (sign-in,
 * `/suscribirse` and `POST /api/v1/subscribers`, `/cobertura`, `/noc/contrasena`).
 *
 * X-Forwarded-For is believed only from a trusted proxy: by default loopback (nginx on this
 * machine); TRUSTED_PROXIES replaces that list (addresses or CIDR ranges; `none` trusts nobody,
 * for a Node reachable only directly). Anyone else reaching Node directly (the default
 * HOST is 0.0.0.0) is counted by its socket address, whatever headers it sends. Of the header we
 * read from the right: the last entry is what the nearest trusted proxy saw and appended
 * (`proxy_add_x_forwarded_for`); a trusted proxy there lets us step one entry further left. The
 * first entry is the client's own claim and is never believed for that reason alone.
 *
 * Astro never sees the raw headers (`settleForwardedHeaders`, called by api/app.ts before a
 * request reaches it): X-Forwarded-For is replaced by this decision, and pages read the limit key
 * from `Astro.locals.clientAddress`, never `Astro.clientAddress` (Astro's own rule, "the first
 * entry", is the one that was dodged).
 */
import { BlockList, isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/** Trusted when TRUSTED_PROXIES is not set: a proxy on this machine. */
export const DEFAULT_TRUSTED_PROXIES = ['127.0.0.0/8', '::1'];

export const UNKNOWN_ADDRESS = 'desconocida';

/**
 * Parses TRUSTED_PROXIES entries (`127.0.0.1`, `10.0.0.0/8`, `2001:db8::/32`, or the single entry
 * `none`); null when one is not an address or range.
 */
export function trustedProxyList(entries: readonly string[] = DEFAULT_TRUSTED_PROXIES): BlockList | null {
  const list = new BlockList();
  if (entries.length === 1 && entries[0].trim().toLowerCase() === 'none') return list;
  for (const raw of entries) {
    const [address, prefixText, extra] = raw.trim().split('/');
    const family = isIP(address);
    if (!family || extra !== undefined) return null;
    const max = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (!/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max) return null;
    list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

/**
 * IPv4-mapped IPv6 (`::ffff:203.0.113.7`, how a dual-stack socket reports IPv4 peers) is the IPv4
 * address. A port some load balancers append (`203.0.113.7:51234`, `[2001:db8::1]:443`) is
 * dropped: unread, it made every client behind such a proxy count as the proxy itself.
 */
export function canonicalAddress(address: string): string | null {
  let a = address.trim();
  const withPort = /^\[([^\]]+)\]:\d{1,5}$/.exec(a) ?? /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(a);
  if (withPort) a = withPort[1];
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const family = isIP(a);
  if (!family) return null;
  if (family === 4) return a;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(a);
  if (mapped && isIP(mapped[1]) === 4) return mapped[1];
  // One spelling per address (URL's serializer compresses and lower-cases IPv6).
  return new URL(`http://[${a}]/`).hostname.slice(1, -1);
}

function isTrusted(list: BlockList, address: string): boolean {
  return list.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
}

export function clientAddressFrom(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: BlockList,
): string {
  let current = peer ? canonicalAddress(peer) : null;
  if (!current) return UNKNOWN_ADDRESS;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  while (isTrusted(trusted, current)) {
    const next = hops.pop();
    if (next === undefined) break;
    const address = next.length <= 64 ? canonicalAddress(next) : null;
    // A malformed entry: the trusted hop that passed it on is the best we know.
    if (!address) break;
    current = address;
  }
  return current;
}

/**
 * The key per-address limits count: the address, except that IPv6 counts per /64, the block a
 * single customer line is given (counting per address would give one customer 2^64 tries).
 */
export function rateLimitKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const full = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  // Expand "::" to get the first four groups.
  const [head, tail = ''] = full.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = full.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** Forwarded headers Astro or Hono could otherwise read; dropped when the peer is not a trusted proxy. */
const FORWARDED_HEADERS = [
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-real-ip',
  'forwarded',
];

/** The client of a request as the limits see it: its address, and the key they count. */
export interface ClientAddress {
  address: string;
  key: string;
}

export function decideClientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: BlockList,
): ClientAddress {
  const address = clientAddressFrom(peer, forwardedFor, trusted);
  return { address, key: address === UNKNOWN_ADDRESS ? address : rateLimitKey(address) };
}

/** For Hono routes (the API): the same decision from the socket and the request's headers. */
export function requestClient(
  c: { env?: unknown; req: { header(name: string): string | undefined } },
  trusted: BlockList,
): ClientAddress {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return decideClientAddress(incoming?.socket?.remoteAddress, c.req.header('x-forwarded-for'), trusted);
}

function hostnameOf(hostHeader: string | string[] | undefined): string | undefined {
  const first = (Array.isArray(hostHeader) ? hostHeader[0] : hostHeader)?.split(',')[0]?.trim();
  if (!first) return undefined;
  try {
    return new URL(`http://${first}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * Before a request reaches Astro. Astro believes X-Forwarded-Proto/Host/For for every host
 * (astro.config.mjs: the build does not depend on PUBLIC_URL), so the rule is applied here:
 * - X-Forwarded-For becomes the decided client address, whoever sent it;
 * - X-Forwarded-Proto/Host/Port (which Astro uses to rebuild the URL the browser saw, for its
 *   origin check of form posts) stay only when a trusted proxy sent them for PUBLIC_URL's host
 *   (X-Forwarded-Host, else Host); otherwise they are removed, so a forged https origin sent
 *   straight to Node is still cross-site.
 * Returns the decision, which pages get as locals.clientAddress (its `key`).
 */
export function settleForwardedHeaders(req: IncomingMessage, trusted: BlockList, publicUrl: string): ClientAddress {
  const h = req.headers;
  const client = decideClientAddress(req.socket?.remoteAddress, h['x-forwarded-for'], trusted);
  const peer = req.socket?.remoteAddress ? canonicalAddress(req.socket.remoteAddress) : null;
  const proxied =
    peer !== null &&
    isTrusted(trusted, peer) &&
    hostnameOf(h['x-forwarded-host'] ?? h.host) === new URL(publicUrl).hostname.toLowerCase();
  if (!proxied) for (const name of FORWARDED_HEADERS) delete h[name];
  if (client.address !== UNKNOWN_ADDRESS) h['x-forwarded-for'] = client.address;
  else delete h['x-forwarded-for'];
  return client;
}
