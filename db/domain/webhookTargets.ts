// Where a webhook may be delivered. The NOC registers URLs, but a leaked token or a typo must
// not turn the server into a proxy into SOMNET's own network (SSRF): only http(s), no
// credentials in the URL, and never an address on a private, loopback, link-local (cloud
// metadata 169.254.169.254), CGNAT, multicast or reserved range. The address check runs at
// registration for literal IPs and again at delivery on every address DNS returns, on the
// connection actually made, so a name that later resolves inside the network (DNS
// rebinding) is refused too.
import { BlockList, isIP } from 'node:net';

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  // IPv4-compatible (::/96, which holds :: and ::1), IPv4-mapped and IPv4-translated addresses
  // are handled by their embedded IPv4 address below, before this list is consulted.
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48], // NAT64 (RFC 6052, RFC 8215): would reach IPv4 through a translator
  ['100::', 64], // discard-only (RFC 6666)
  ['2001::', 32], // Teredo: the IPv4 client address is inside, obfuscated
  ['2001:2::', 48],
  ['2001:10::', 28],
  ['2001:20::', 28], // benchmarking, ORCHID
  ['2001:db8::', 32],
  ['3fff::', 20], // documentation (RFC 3849, RFC 9637)
  ['5f00::', 16], // SRv6 SIDs (RFC 9602)
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8], // unique-local, link-local, old site-local, multicast
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** The eight 16-bit groups of a valid IPv6 address (a trailing dotted IPv4 part included). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const h = parse(head);
  const t = parse(tail);
  return tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill(0), ...t];
}

const ipv4Of = (high: number, low: number) => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;

/**
 * How an IPv6 address embeds IPv4, if it does. The URL parser writes these forms in hex
 * (`[::127.0.0.1]` becomes `[::7f00:1]`), so a check on the dotted spelling alone let them through.
 * - IPv4-mapped `::ffff:a.b.c.d`: a dual-stack socket connects to a.b.c.d itself → check that.
 * - 6to4 `2002:aabb:ccdd::/48` (RFC 3056): relayed to aa.bb.cc.dd → check that.
 * - IPv4-compatible `::a.b.c.d` (deprecated, RFC 4291 §2.5.5.1; holds :: and ::1) and
 *   IPv4-translated `::ffff:0:a.b.c.d` (RFC 2765): no public receiver uses them → refused.
 */
function embeddedIpv4(groups: number[]): { ipv4: string } | 'refuse' | null {
  const zeros = (from: number, to: number) => groups.slice(from, to).every((g) => g === 0);
  if (zeros(0, 5) && groups[5] === 0xffff) return { ipv4: ipv4Of(groups[6], groups[7]) };
  if (groups[0] === 0x2002) return { ipv4: ipv4Of(groups[1], groups[2]) };
  if (zeros(0, 6) || (zeros(0, 4) && groups[4] === 0xffff && groups[5] === 0)) return 'refuse';
  return null;
}

/** True for an address a webhook may reach from the internet side. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 4) return !blocked.check(address, 'ipv4');
  const embedded = embeddedIpv4(ipv6Groups(address));
  if (embedded === 'refuse') return false;
  if (embedded) return isPublicAddress(embedded.ipv4);
  return !blocked.check(address, 'ipv6');
}

export interface TargetPolicy {
  /** Allows private and loopback targets: tests and a deployment whose receivers are internal. */
  allowPrivateTargets: boolean;
}

/** Null when the URL is acceptable, else a Spanish reason. */
export function webhookUrlProblem(value: string, policy: TargetPolicy): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'No es una URL absoluta.';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'Solo se admiten URL http:// o https://.';
  if (url.username || url.password)
    return 'La URL no puede llevar usuario ni contraseña; use el secreto para autenticar.';
  if (url.hash) return 'La URL no puede llevar fragmento (#).';
  if (value.length > 2000) return 'La URL es demasiado larga (máximo 2000 caracteres).';
  if (policy.allowPrivateTargets) return null;
  // A fully qualified name may end in a dot (`localhost.` is localhost): drop it before comparing.
  const host = url.hostname
    .replace(/^\[|\]$/g, '')
    .toLowerCase()
    .replace(/\.+$/, '');
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal')) {
    return 'La URL apunta a la red interna; los webhooks solo se entregan a direcciones públicas.';
  }
  if (isIP(host) && !isPublicAddress(host))
    return 'La URL apunta a una dirección privada o reservada; los webhooks solo se entregan a direcciones públicas.';
  return null;
}
