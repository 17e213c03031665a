// Behind nginx with TLS, Astro must see the https origin the customer's browser sent, or every
// form post is refused as cross-site; the rule that decides whether the proxy's X-Forwarded-*
// headers are believed is read at run time from PUBLIC_URL (the build does not depend on it).
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSubscribers } from '#db/queries/index.ts';
import { startTestServer } from '../support/server.ts';

let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  server = await startTestServer({ publicUrl: 'https://status.example.test' });
});
afterAll(async () => {
  await server?.close();
});

/** A form post as nginx forwards it (node:http, because fetch will not send another Host). */
function proxiedPost(
  path: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; text: string }> {
  const url = new URL(path, server.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('forwarded headers from the local proxy', () => {
  it('a form posted over https through the proxy passes the origin check', async () => {
    const res = await proxiedPost(
      '/suscribirse',
      {
        host: 'status.example.test',
        origin: 'https://status.example.test',
        'x-forwarded-proto': 'https',
        'x-forwarded-for': '198.51.100.9',
      },
      'email=cliente%40empresa.mx&todas=1',
    );
    expect(res.text).not.toContain('Cross-site');
    expect(res.status).toBe(200);
    expect(listSubscribers(server.db, { email: 'cliente@empresa.mx' })).toHaveLength(1);
  });

  it('for another host the headers are dropped, so a forged https origin is still cross-site', async () => {
    const res = await proxiedPost(
      '/suscribirse',
      {
        host: 'evil.example',
        origin: 'https://evil.example',
        'x-forwarded-proto': 'https',
      },
      'email=otro%40empresa.mx',
    );
    expect(res.status).toBe(403);
    expect(listSubscribers(server.db, { email: 'otro@empresa.mx' })).toHaveLength(0);
  });
});
