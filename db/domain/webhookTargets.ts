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
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['2001:db8::', 32], ['64:ff9b::', 96]] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** True for an address a webhook may reach from the internet side. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  // IPv4-mapped IPv6 (::ffff:10.0.0.1) is the IPv4 address underneath.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return isPublicAddress(mapped[1]);
  return !blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
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
  if (url.username || url.password) return 'La URL no puede llevar usuario ni contraseña; use el secreto para autenticar.';
  if (url.hash) return 'La URL no puede llevar fragmento (#).';
  if (value.length > 2000) return 'La URL es demasiado larga (máximo 2000 caracteres).';
  if (policy.allowPrivateTargets) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal')) {
    return 'La URL apunta a la red interna; los webhooks solo se entregan a direcciones públicas.';
  }
  if (isIP(host) && !isPublicAddress(host)) return 'La URL apunta a una dirección privada o reservada; los webhooks solo se entregan a direcciones públicas.';
  return null;
}
