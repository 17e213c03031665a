import type { IncomingMessage } from 'node:http';

/**
 * The customer's address for per-IP limits. Behind nginx every request reaches Node from
 * 127.0.0.1, so the socket address alone would put all customers in one bucket. X-Forwarded-*
 * headers are the proxy's (`forwardingIsTrusted`, the one rule for the API and for Astro) when
 * - the peer is a loopback address (a proxy on this machine; nobody else can set the header), and
 * - the request is for PUBLIC_URL's host (X-Forwarded-Host, else Host).
 * Of the X-Forwarded-For list we take the last entry: the address the proxy itself saw and
 * appended (`proxy_add_x_forwarded_for`); earlier entries come from the client and can be forged
 * to dodge the limit.
 */
export interface ClientIpInput {
  peer: string | undefined;
  forwardedFor: string | undefined;
  forwardedHost: string | undefined;
  host: string | undefined;
  publicUrl: string;
}

export function isLoopback(address: string): boolean {
  const a = address.toLowerCase().replace(/^::ffff:/, '');
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

function hostnameOf(hostHeader: string | undefined): string | undefined {
  const first = hostHeader?.split(',')[0]?.trim();
  if (!first) return undefined;
  try {
    return new URL(`http://${first}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** Whether the request's X-Forwarded-* headers come from our own proxy (see above). */
export function forwardingIsTrusted(input: Omit<ClientIpInput, 'forwardedFor'>): boolean {
  if (!input.peer || !isLoopback(input.peer)) return false;
  return hostnameOf(input.forwardedHost ?? input.host) === new URL(input.publicUrl).hostname.toLowerCase();
}

const FORWARDED_HEADERS = ['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port'] as const;

/**
 * Astro believes X-Forwarded-Proto/Host/For for every host (astro.config.mjs), so the build does
 * not depend on PUBLIC_URL; before a request reaches Astro, the headers are removed unless they
 * are our proxy's. Form posts proxied from https then pass Astro's origin check, and forged
 * headers sent straight to Node change nothing.
 */
export function dropUntrustedForwarding(req: IncomingMessage, publicUrl: string): void {
  const h = req.headers;
  if (!FORWARDED_HEADERS.some((name) => h[name] !== undefined)) return;
  const forwardedHost = h['x-forwarded-host'];
  if (forwardingIsTrusted({ peer: req.socket?.remoteAddress, forwardedHost: Array.isArray(forwardedHost) ? forwardedHost[0] : forwardedHost, host: h.host, publicUrl })) return;
  for (const name of FORWARDED_HEADERS) delete h[name];
}

export function clientIpFrom(input: ClientIpInput): string {
  const peer = input.peer ?? 'desconocida';
  if (!input.forwardedFor || !forwardingIsTrusted(input)) return peer;
  const entries = input.forwardedFor.split(',').map((s) => s.trim()).filter(Boolean);
  const last = entries.at(-1);
  return last && last.length <= 64 ? last : peer;
}
