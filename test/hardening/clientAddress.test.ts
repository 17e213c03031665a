// Limits a client cannot dodge by forging a header: every per-address limit counts the client address decided in one place
// (api/clientIp.ts): X-Forwarded-For only from a trusted proxy, its last hop, never the first entry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer } from '../support/server.ts';
import { testClock } from '../support/db.ts';
import { ConsoleClient, hiddenValue } from '../console/support.ts';
import { clientAddressFrom, rateLimitKey, trustedProxyList } from '../../api/clientIp.ts';
import { ConfigError, loadConfig } from '../../api/config.ts';
import { projectRoot } from '../../api/paths.ts';
import { FEASIBILITY_LIMIT_PER_HOUR } from '#db/commands/feasibility.ts';
import { MAX_FAILURES_PER_ADDRESS } from '#db/commands/consoleSessions.ts';

describe('the decision (pure)', () => {
  const loopback = trustedProxyList()!;
  it('believes the last hop a trusted proxy appended, never a forged first entry', () => {
    expect(clientAddressFrom('127.0.0.1', '198.51.100.7', loopback)).toBe('198.51.100.7');
    expect(clientAddressFrom('127.0.0.1', '203.0.113.1, 198.51.100.7', loopback)).toBe('198.51.100.7');
    expect(clientAddressFrom('::ffff:127.0.0.1', ['203.0.113.1', '198.51.100.7'], loopback)).toBe('198.51.100.7');
    // A peer that is not a trusted proxy is the client, whatever it claims.
    expect(clientAddressFrom('192.0.2.50', '198.51.100.7', loopback)).toBe('192.0.2.50');
    expect(clientAddressFrom('::ffff:192.0.2.50', undefined, loopback)).toBe('192.0.2.50');
    // A malformed last entry: the proxy that passed it on is what we know.
    expect(clientAddressFrom('127.0.0.1', '198.51.100.7, nonsense', loopback)).toBe('127.0.0.1');
    // A port appended by a load balancer is not part of the address.
    expect(clientAddressFrom('127.0.0.1', '203.0.113.1, 198.51.100.7:51234', loopback)).toBe('198.51.100.7');
    expect(clientAddressFrom('127.0.0.1', '[2001:db8:1:2::7]:443', loopback)).toBe('2001:db8:1:2::7');
    expect(clientAddressFrom('127.0.0.1', '2001:db8:1:2::7', loopback)).toBe('2001:db8:1:2::7');
  });

  it('walks through a chain of trusted proxies, and TRUSTED_PROXIES replaces loopback', () => {
    const chain = trustedProxyList(['127.0.0.1', '10.0.0.0/8'])!;
    expect(clientAddressFrom('127.0.0.1', '203.0.113.1, 198.51.100.7, 10.1.2.3', chain)).toBe('198.51.100.7');
    expect(clientAddressFrom('10.9.9.9', '198.51.100.8', chain)).toBe('198.51.100.8');
    expect(clientAddressFrom('127.0.0.2', '198.51.100.8', chain)).toBe('127.0.0.2');
    const none = trustedProxyList(['none'])!;
    expect(clientAddressFrom('127.0.0.1', '198.51.100.7', none)).toBe('127.0.0.1');
  });

  it('counts IPv6 per /64, one spelling per address', () => {
    expect(rateLimitKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(rateLimitKey('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(rateLimitKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(rateLimitKey('198.51.100.7')).toBe('198.51.100.7');
  });

  it('refuses a TRUSTED_PROXIES that is not a list of addresses, naming the variable', () => {
    expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.5, 192.168.0.0/16, ::1' }).trustedProxies).toEqual([
      '10.0.0.5',
      '192.168.0.0/16',
      '::1',
    ]);
    expect(() => loadConfig({ TRUSTED_PROXIES: 'nginx.local' })).toThrow(ConfigError);
    expect(() => loadConfig({ TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(/TRUSTED_PROXIES/);
  });

  it('no page reads Astro.clientAddress (Astro believes the first X-Forwarded-For entry)', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) => {
        const p = join(dir, f);
        return statSync(p).isDirectory() ? files(p) : [p];
      });
    const offenders = files(join(projectRoot, 'site')).filter(
      (f) => /\.(astro|ts)$/.test(f) && readFileSync(f, 'utf8').includes('Astro.clientAddress'),
    );
    expect(offenders).toEqual([]);
  });
});

/** Through the real server: forged headers from a peer that is not a trusted proxy change nothing. */
describe('Node reached directly (TRUSTED_PROXIES=none): forged X-Forwarded-For does not dodge the limits', () => {
  const clock = testClock('2026-11-26T16:00:00Z');
  let server: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    server = await startTestServer({
      now: clock.now,
      publicUrl: 'http://127.0.0.1',
      config: { trustedProxies: ['none'] },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('sign-in: 25 failures, each claiming another address, are still one address', async () => {
    const client = new ConsoleClient(server.url);
    const csrf = hiddenValue(await (await client.get('/noc/login')).text(), 'csrf')!;
    const statuses = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        client
          .post(
            '/noc/login',
            { csrf, email: `nadie${i}@somnet.com.mx`, password: 'x' },
            { 'x-forwarded-for': `203.0.113.${i + 1}`, 'x-real-ip': `203.0.113.${i + 1}` },
          )
          .then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 401)).toHaveLength(MAX_FAILURES_PER_ADDRESS);
    expect(statuses.filter((s) => s === 429)).toHaveLength(25 - MAX_FAILURES_PER_ADDRESS);
  });

  it('/suscribirse and POST /api/v1/subscribers share the per-address limit of 10 an hour', async () => {
    const form = (i: number) =>
      fetch(`${server.url}/suscribirse`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: server.url,
          'x-forwarded-for': `203.0.113.${100 + i}`,
        },
        body: new URLSearchParams({ email: `cliente${i}@empresa.mx`, alcance: 'todas' }).toString(),
      });
    for (let i = 0; i < 6; i++) expect((await form(i)).status).toBe(200);
    const api = (i: number) =>
      fetch(`${server.url}/api/v1/subscribers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${150 + i}` },
        body: JSON.stringify({ email: `api${i}@empresa.mx` }),
      });
    for (let i = 0; i < 4; i++) expect((await api(i)).status).toBe(202);
    expect((await api(9)).status).toBe(429);
    const refused = await form(9);
    expect(refused.status).toBe(429);
    expect(await refused.text()).toContain('desde su conexión');
  });

  it('/cobertura: the hourly limit holds whatever address is claimed', async () => {
    const fields = {
      company: 'Maquiladora del Valle SA',
      contact_name: 'Laura Pérez',
      email: 'laura@maquiladora.mx',
      phone: '722 123 4567',
      latitude: '19.5012',
      longitude: '-99.2033',
      address: 'Carretera Toluca–Atlacomulco km 12',
      service: 'fiber',
      bandwidth: '',
      notes: '',
    };
    const post = (i: number) =>
      fetch(`${server.url}/cobertura`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: server.url,
          'x-forwarded-for': `203.0.113.${200 + i}`,
        },
        body: new URLSearchParams(fields).toString(),
      });
    for (let i = 0; i < FEASIBILITY_LIMIT_PER_HOUR; i++) expect((await post(i)).status).toBe(303);
    expect((await post(50)).status).toBe(429);
  });
});

describe('behind trusted proxies: the hop the proxy appended counts', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    server = await startTestServer({
      publicUrl: 'http://127.0.0.1',
      config: { trustedProxies: ['127.0.0.1', '10.0.0.0/8'] },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('a forged first entry is ignored; another customer behind the same proxies is not affected', async () => {
    // nginx on 127.0.0.1 behind a load balancer at 10.1.2.3, for customer 198.51.100.7.
    const signUp = (i: number, forged: string, customer: string) =>
      fetch(`${server.url}/api/v1/subscribers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `${forged}, ${customer}, 10.1.2.3` },
        body: JSON.stringify({ email: `cliente${i}@empresa.mx` }),
      }).then((r) => r.status);
    const statuses = await Promise.all(
      Array.from({ length: 13 }, (_, i) => signUp(i, `203.0.113.${i}`, '198.51.100.7')),
    );
    expect(statuses.filter((s) => s === 202)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
    expect(await signUp(99, '203.0.113.99', '198.51.100.8')).toBe(202);
  });
});
