// The webhook SSRF check sees through every spelling of an IPv6 address that embeds
// IPv4 (the URL parser rewrites `[::127.0.0.1]` as `[::7f00:1]`).
import { describe, expect, it } from 'vitest';
import { testApp } from '../support/db.ts';
import { isPublicAddress } from '#db/domain/webhookTargets.ts';

describe('webhook targets', () => {
  it('refuses at registration loopback and private IPv4 in every IPv6 form', async () => {
    delete process.env.WEBHOOK_ALLOW_PRIVATE_TARGETS;
    const t = testApp();
    const register = (url: string) => t.json('POST', '/api/v1/webhooks', { url });
    for (const url of [
      'http://[::127.0.0.1]/',
      'http://[::7f00:1]/x', // IPv4-compatible (::/96)
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:7f00:1]/',
      'http://[0:0:0:0:0:ffff:a9fe:a9fe]/latest/meta-data', // IPv4-mapped
      'http://[::ffff:0:127.0.0.1]/',
      'http://[::ffff:0:a00:1]/', // IPv4-translated (::ffff:0:0:0/96)
      'http://[2002:c0a8:1::1]/', // 6to4 around 192.168.0.1
      'http://[64:ff9b::a00:1]/',
      'http://[64:ff9b:1::a00:1]/', // NAT64
      'http://[2001::1]/',
      'http://[fec0::1]/',
      'http://[100::1]/',
      'http://localhost./',
      'http://nodo.somnet.internal./',
      'http://127.0.0.1./', // a trailing dot is the same name
    ]) {
      const res = await register(url);
      expect(res.status, url).toBe(422);
      expect((await res.json()).error.fields[0].path).toBe('url');
    }
    expect(t.db.$client.prepare('SELECT count(*) AS n FROM webhook_endpoints').get()).toEqual({ n: 0 });
    expect((await register('http://[2606:4700:4700::1111]/hook')).status).toBe(201);
  });

  it('checks the embedded IPv4 where it is the real destination, and refuses the deprecated forms outright', () => {
    expect(isPublicAddress('::ffff:8.8.8.8')).toBe(true);
    expect(isPublicAddress('::ffff:808:808')).toBe(true);
    expect(isPublicAddress('2002:808:808::1')).toBe(true);
    expect(isPublicAddress('::ffff:10.0.0.1')).toBe(false);
    expect(isPublicAddress('::8.8.8.8')).toBe(false);
    expect(isPublicAddress('::ffff:0:8.8.8.8')).toBe(false);
    expect(isPublicAddress('::')).toBe(false);
    expect(isPublicAddress('0:0:0:0:0:0:0:1')).toBe(false);
    expect(isPublicAddress('2606:4700:4700::1111')).toBe(true);
  });
});
