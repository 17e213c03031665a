// The quality pages as a customer reads them on a phone (360 px, Chromium, no script needed),
// and in the published snapshot: written with the site, republished by an ingest that changes
// an area's last hour.
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { startTestServer } from '../support/server.ts';
import { testClock } from '../support/db.ts';
import { pushHistory } from './fixtures.ts';

const clock = testClock('2026-12-07T16:42:30Z');
const NOW_MINUTE = Math.floor(Date.parse('2026-12-07T16:42:00Z') / 60_000);
const dir = mkdtempSync(join(tmpdir(), 'somnet-quality-publish-'));
let s: Awaited<ReturnType<typeof startTestServer>>;
let browser: Browser;

beforeAll(async () => {
  s = await startTestServer({ now: clock.now, publishDir: dir });
  await pushHistory({
    db: s.db,
    post: async (body) => (await s.api('POST', '/api/v1/quality', body)).status,
    setClock: clock.set,
    series: ['toluca-fibra', 'toluca-inalambrico'].flatMap((component) =>
      (['latency_ms', 'jitter_ms', 'loss_pct'] as const).map((metric) => ({ component, metric })),
    ),
    from: new Date((NOW_MINUTE - 2 * 1440) * 60_000),
    to: new Date(NOW_MINUTE * 60_000),
    // A silent probe for an hour and a half, two hours ago.
    value: (m, component, metric) =>
      m >= NOW_MINUTE - 210 && m < NOW_MINUTE - 120
        ? null
        : metric === 'loss_pct'
          ? 0
          : (component.endsWith('fibra') ? 6 : 19) + ((m * 7) % 11) / 3,
  });
  clock.set('2026-12-07T16:42:30Z');
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

describe('quality pages on a phone', () => {
  for (const path of ['/calidad', '/calidad/toluca']) {
    it(`${path} fits 360 px without JavaScript, charts and all`, async () => {
      const context = await browser.newContext({ viewport: { width: 360, height: 740 }, javaScriptEnabled: false });
      const page = await context.newPage();
      const res = await page.goto(`${s.url}${path}`);
      expect(res!.status()).toBe(200);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      expect(await page.locator('h1').textContent()).toMatch(/Calidad de la red/);
      if (path !== '/calidad') {
        const chart = page.locator('figure.quality-chart svg').first();
        const box = (await chart.boundingBox())!;
        expect(box.width).toBeGreaterThan(300);
        expect(box.width).toBeLessThanOrEqual(330);
        // The gap is labelled on the chart itself, and its table row says so too.
        expect(await page.locator('figure.quality-chart').first().locator('text.gap-label').count()).toBe(1);
        await page.locator('figure.quality-chart').first().locator('summary').click();
        await expect
          .poll(() => page.locator('figure.quality-chart').first().getByRole('cell', { name: 'sin datos' }).count(), {
            timeout: 10_000,
          })
          .toBe(1);
        expect(
          await page.getByRole('img', { name: /Latencia en Toluca · Fibra óptica, últimas 24 horas/ }).count(),
        ).toBe(1);
      }
      await context.close();
    });
  }
});

describe('quality pages in the published snapshot', () => {
  it('are written with the site and republished when an ingest changes an area’s last hour', async () => {
    await s.publisher!.settled();
    for (const file of [
      'calidad/index.html',
      'calidad/toluca/index.html',
      'calidad/toluca.json',
      'calidad/toluca.csv',
      'calidad/lerma/index.html',
    ])
      expect(existsSync(join(dir, file)), file).toBe(true);
    const before = JSON.parse(readFileSync(join(dir, 'calidad/toluca.json'), 'utf8'));
    expect(before.components[0].metrics.loss_pct.last_hour.max).toBe(0);
    const res = await s.api('POST', '/api/v1/quality', {
      series: [
        {
          component: 'toluca-fibra',
          metric: 'loss_pct',
          samples: [[new Date((NOW_MINUTE - 1) * 60_000).toISOString(), 7.5]],
        },
      ],
    });
    expect(res.status).toBe(200);
    await s.publisher!.settled();
    const after = JSON.parse(readFileSync(join(dir, 'calidad/toluca.json'), 'utf8'));
    expect(after.components[0].metrics.loss_pct.last_hour.max).toBe(7.5);
    expect(readFileSync(join(dir, 'calidad/index.html'), 'utf8')).toContain('id="calidad-toluca-fibra"');
  });
});
