/**
 * The customer's address for per-IP limits, with the trusted-proxy rule Astro applies to
 * `Astro.clientAddress` (astro.config.mjs, `security.allowedDomains` = PUBLIC_URL's host):
 * behind nginx every request reaches Node from 127.0.0.1, so the socket address alone would
 * put all customers in one bucket. X-Forwarded-For is believed only when
 * - the peer is a loopback address (a proxy on this machine; nobody else can set the header), and
 * - the request is for PUBLIC_URL's host (X-Forwarded-Host, else Host), as Astro requires.
 * Of its list we take the last entry: the address the proxy itself saw and appended
 * (`proxy_add_x_forwarded_for`); earlier entries come from the client and can be forged to
 * dodge the limit.
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

export function clientIpFrom(input: ClientIpInput): string {
  const peer = input.peer ?? 'desconocida';
  if (!input.peer || !isLoopback(input.peer) || !input.forwardedFor) return peer;
  const publicHost = new URL(input.publicUrl).hostname.toLowerCase();
  if (hostnameOf(input.forwardedHost ?? input.host) !== publicHost) return peer;
  const entries = input.forwardedFor.split(',').map((s) => s.trim()).filter(Boolean);
  const last = entries.at(-1);
  return last && last.length <= 64 ? last : peer;
}
