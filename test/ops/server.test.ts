// Metrics, through the real server: every request counted by route family (cached
// answers too), renders timed, and the publish lag of PUBLISH_DIR measured from the database.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.ts';
import { testClock } from '../support/db.ts';
import { routeFamilies } from '../../api/metrics/families.ts';
import { parseExposition, sampleValue, type Sample } from './support/prom.ts';

const clock = testClock(new Date());
const publishDir = mkdtempSync(join(tmpdir(), 'somnet-ops-publish-'));
let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  server = await startTestServer({ publishDir, now: clock.now });
  await server.publisher!.settled();
}, 120_000);
afterAll(async () => {
  await server?.close();
  server?.db.$client.close();
});

async function scrape(): Promise<Sample[]> {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  return parseExposition(await res.text());
}

describe('requests and renders', () => {
  it('counts every answer by family and code, cached ones included, with no raw path as a label', async () => {
    const before = await scrape();
    const count = (s: Sample[], family: string, code: string) =>
      sampleValue(s, 'somnet_http_requests_total', { family, code }) ?? 0;
    for (let i = 0; i < 3; i++) expect((await fetch(`${server.url}/?v=${i}`)).status).toBe(200);
    expect((await fetch(`${server.url}/wp-admin/setup.php`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/v2/summary.json`)).status).toBe(200);
    const after = await scrape();
    expect(count(after, 'home', '200') - count(before, 'home', '200')).toBe(3);
    expect(count(after, 'other', '404') - count(before, 'other', '404')).toBe(1);
    expect(count(after, 'api_v2', '200') - count(before, 'api_v2', '200')).toBe(1);
    // The first scrape is counted by the second.
    expect(count(after, 'metrics', '200')).toBeGreaterThanOrEqual(1);
    for (const s of after.filter(
      (s) => s.name === 'somnet_http_requests_total' || s.name.startsWith('somnet_render_seconds'),
    ))
      expect(routeFamilies).toContain(s.labels.family);
    // The publisher rendered / (a cache miss) and every incident page family at least once.
    expect(sampleValue(after, 'somnet_render_seconds_count', { family: 'home' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(after, 'somnet_render_seconds_bucket', { family: 'home', le: '+Inf' })).toBe(
      sampleValue(after, 'somnet_render_seconds_count', { family: 'home' }),
    );
  });
});

describe('publish lag', () => {
  it('0 when the files are current; the age of the oldest change they miss when not; 0 again once published', async () => {
    let s = await scrape();
    expect(sampleValue(s, 'somnet_publish_lag_seconds')).toBe(0);
    expect(sampleValue(s, 'somnet_publish_backlog_paths')).toBe(0);
    expect(sampleValue(s, 'somnet_last_publish_timestamp_seconds')).toBeCloseTo(clock.now().getTime() / 1000, -1);
    expect(sampleValue(s, 'somnet_published_files_total')).toBeGreaterThan(20);
    expect(sampleValue(s, 'somnet_disk_free_bytes', { volume: 'publish' })).toBeGreaterThan(0);

    // The home page's file cannot be replaced (a directory stands in its way): that publish fails.
    const home = join(publishDir, 'index.html');
    rmSync(home);
    mkdirSync(home);
    writeFileSync(join(home, 'bloqueo'), '');
    try {
      const res = await server.api('PATCH', '/api/v1/components/metepec-fibra', { status: 'partial_outage' });
      expect(res.status).toBe(200);
      await new Promise((r) => setTimeout(r, 1500)); // the publish runs, and fails
      clock.advance(150_000);
      s = await scrape();
      expect(sampleValue(s, 'somnet_publish_lag_seconds')).toBe(150);
      const health = await (await fetch(`${server.url}/healthz`)).json();
      expect(health).toMatchObject({ status: 'ok', publish: { lag_seconds: 150, full_publish_remaining: 0 } });
    } finally {
      rmSync(home, { recursive: true });
    }
    // The publisher tries again within 5 s and succeeds.
    const deadline = Date.now() + 15_000;
    while (sampleValue(await scrape(), 'somnet_publish_lag_seconds') !== 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 250));
    s = await scrape();
    expect(sampleValue(s, 'somnet_publish_lag_seconds')).toBe(0);
    expect(sampleValue(s, 'somnet_last_publish_timestamp_seconds')).toBe(clock.now().getTime() / 1000);
  });
});
