// `/` right after a change, through the real server: readers who arrive together while it is
// rendered again share one rendering (no thundering herd), and every one of them gets the new
// page — a status page never answers with the bytes from before an outage it was just told of.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderSeconds } from '../../api/metrics/registry.ts';
import { routeFamily } from '../../api/metrics/families.ts';
import { startTestServer } from '../support/server.ts';

let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

/** Renderings of `/`'s family so far (this process's registry: the test server runs in it). */
async function rootRenderings(): Promise<number> {
  const { values } = await renderSeconds.get();
  return values
    .filter((v) => v.metricName === 'somnet_render_seconds_count' && v.labels.family === routeFamily('/'))
    .reduce((sum, v) => sum + v.value, 0);
}

describe('GET / after a notifying change', () => {
  it('is rendered once for readers arriving together, each getting the new text, in every encoding', async () => {
    await (await fetch(`${server.url}/`)).arrayBuffer();
    const created = await server.api('POST', '/api/v1/incidents', {
      name: 'Corte de fibra en Zinacantepec',
      status: 'investigating',
      body: 'Revisamos el enlace.',
    });
    expect(created.status).toBe(201);
    const before = await rootRenderings();
    const encodings = ['br', 'gzip', 'identity', 'br'];
    const replies = await Promise.all(
      encodings.map(async (encoding) => {
        const res = await fetch(`${server.url}/`, { headers: { 'accept-encoding': encoding } });
        return { encoding: res.headers.get('content-encoding') ?? 'identity', body: await res.bytes() };
      }),
    );
    expect(await rootRenderings()).toBe(before + 1);
    for (const { encoding, body } of replies) {
      // fetch decodes what it asked for: the header says which encoding came over the wire.
      const html = Buffer.from(body).toString();
      expect(html, encoding).toContain('Corte de fibra en Zinacantepec');
    }
    expect(replies.map((r) => r.encoding)).toEqual(['br', 'gzip', 'identity', 'br']);
    // The next reader gets the same rendering from the cache.
    await (await fetch(`${server.url}/`, { headers: { 'accept-encoding': 'br' } })).arrayBuffer();
    expect(await rootRenderings()).toBe(before + 1);
  });
});
