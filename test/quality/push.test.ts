// POST /api/v1/quality: the exact body docs/quality.md documents, its limits, 422 paths, the all-or-nothing
// rule and the replacement of a re-sent minute; the mapping and thresholds documents.
import { describe, expect, it } from 'vitest';
import { testApp } from '../support/db.ts';

const NOW = '2026-12-07T16:00:30Z'; // 10:00:30 in Mexico City
const app = testApp({ clock: (await import('../support/db.ts')).testClock(NOW) });
const count = () => app.db.$client.prepare('SELECT count(*) FROM quality_samples').pluck().get() as number;
const stored = (slug: string, metric: string) =>
  app.db.$client
    .prepare(
      `SELECT s.minute, s.value FROM quality_samples s JOIN quality_series q ON q.id = s.series_id
       JOIN components c ON c.id = q.component_id WHERE c.slug = ? AND q.metric = ? ORDER BY s.minute`,
    )
    .all(slug, metric) as Array<{ minute: number; value: number }>;

async function errorOf(res: Response) {
  const body = (await res.json()) as { error: { code: string; message: string; fields?: Array<{ path: string }> } };
  return { status: res.status, ...body.error, paths: (body.error.fields ?? []).map((f) => f.path) };
}

describe('POST /api/v1/quality', () => {
  it('stores one value per series and minute, by component slug or id', async () => {
    const id = app.db.$client.prepare("SELECT id FROM components WHERE slug = 'lerma-fibra'").pluck().get() as string;
    const res = await app.json('POST', '/api/v1/quality', {
      series: [
        {
          component: 'metepec-fibra',
          metric: 'latency_ms',
          samples: [
            ['2026-12-07T09:58:00-06:00', 12.3],
            ['2026-12-07T15:59:10Z', 14],
          ],
        },
        { component: id, metric: 'loss_pct', samples: [['2026-12-07T09:59:00-06:00', 0]] },
      ],
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({ accepted: 3, series: 2 });
    const minute = (iso: string) => Math.floor(Date.parse(iso) / 60_000);
    expect(stored('metepec-fibra', 'latency_ms')).toEqual([
      { minute: minute('2026-12-07T15:58:00Z'), value: 12.3 },
      { minute: minute('2026-12-07T15:59:00Z'), value: 14 },
    ]);
    expect(stored('lerma-fibra', 'loss_pct')).toEqual([{ minute: minute('2026-12-07T15:59:00Z'), value: 0 }]);
  });

  it('replaces a re-sent minute instead of adding a second value (idempotent)', async () => {
    const body = {
      series: [{ component: 'toluca-fibra', metric: 'jitter_ms', samples: [['2026-12-07T09:50:00-06:00', 3.5]] }],
    };
    expect((await app.json('POST', '/api/v1/quality', body)).status).toBe(200);
    expect((await app.json('POST', '/api/v1/quality', body)).status).toBe(200);
    body.series[0].samples[0][1] = 4.25;
    expect((await app.json('POST', '/api/v1/quality', body)).status).toBe(200);
    expect(stored('toluca-fibra', 'jitter_ms').map((r) => r.value)).toEqual([4.25]);
    // The hourly aggregate follows the replacement.
    const hourly = app.db.$client
      .prepare(
        `SELECT p50, p95, max, minutes FROM quality_hourly h JOIN quality_series q ON q.id = h.series_id
         JOIN components c ON c.id = q.component_id WHERE c.slug = 'toluca-fibra' AND q.metric = 'jitter_ms'`,
      )
      .all();
    expect(hourly).toEqual([{ p50: 4.25, p95: 4.25, max: 4.25, minutes: 1 }]);
  });

  it('refuses the whole request when any part fails, naming each bad field by its path', async () => {
    const before = count();
    const res = await app.json('POST', '/api/v1/quality', {
      series: [
        { component: 'metepec-fibra', metric: 'latency_ms', samples: [['2026-12-07T09:40:00-06:00', 10]] },
        {
          component: 'lerma-inalambrico',
          metric: 'loss_pct',
          samples: [
            ['2026-12-07T09:40:00-06:00', 100.5], // loss over 100
            ['2026-12-07T09:41:00-06:00', -1], // negative
            ['2026-12-07T09:42:00', 1], // no offset
            ['2026-12-07T10:02:00-06:00', 1], // 1.5 min in the future
            ['2026-11-22T10:00:00-06:00', 1], // older than 14 days
            ['2026-12-07T09:43:00-06:00', '5'], // not a number
            ['2026-12-07T09:44:00-06:00', 1e999], // parses as Infinity
            ['2026-12-07T09:45:00-06:00'], // not a pair
          ],
        },
      ],
    });
    const e = await errorOf(res);
    expect(e.status).toBe(422);
    expect(e.code).toBe('validation_failed');
    expect(e.paths).toEqual([
      'series.1.samples.0.1',
      'series.1.samples.1.1',
      'series.1.samples.2.0',
      'series.1.samples.3.0',
      'series.1.samples.4.0',
      'series.1.samples.5.1',
      'series.1.samples.6.1',
      'series.1.samples.7',
    ]);
    expect(count()).toBe(before);
  });

  it('refuses an unknown component at series.<i>.component, and an area where a component is expected', async () => {
    const before = count();
    const res = await app.json('POST', '/api/v1/quality', {
      series: [
        { component: 'metepec-fibra', metric: 'latency_ms', samples: [['2026-12-07T09:40:00-06:00', 10]] },
        { component: 'atlantida-fibra', metric: 'latency_ms', samples: [['2026-12-07T09:40:00-06:00', 10]] },
        { component: 'metepec', metric: 'latency_ms', samples: [] },
      ],
    });
    const e = await errorOf(res);
    expect(e.status).toBe(422);
    expect(e.code).toBe('unknown_component');
    expect(e.paths).toEqual(['series.1.component', 'series.2.component']);
    expect(count()).toBe(before);
  });

  it('refuses a bad metric, unknown fields, more than 10,000 samples, and needs the token', async () => {
    const bad = await errorOf(
      await app.json('POST', '/api/v1/quality', {
        series: [{ component: 'metepec-fibra', metric: 'latency', samples: [] }],
      }),
    );
    expect(bad.paths).toEqual(['series.0.metric']);
    const extra = await errorOf(
      await app.json('POST', '/api/v1/quality', {
        series: [{ component: 'metepec-fibra', metric: 'latency_ms', samples: [], unit: 'ms' }],
      }),
    );
    expect(extra.status).toBe(422);
    expect(extra.paths[0]).toMatch(/^series\.0/);
    const many = Array.from({ length: 10_001 }, (_, i) => [
      new Date(Date.parse(NOW) - (i % 600) * 60_000).toISOString(),
      1,
    ]);
    const tooMany = await errorOf(
      await app.json('POST', '/api/v1/quality', {
        series: [{ component: 'metepec-fibra', metric: 'latency_ms', samples: many }],
      }),
    );
    expect(tooMany.status).toBe(422);
    expect(tooMany.paths).toEqual(['series']);
    const exactly = await app.json('POST', '/api/v1/quality', {
      series: [{ component: 'metepec-fibra', metric: 'latency_ms', samples: many.slice(0, 10_000) }],
    });
    expect(exactly.status).toBe(200);
    const anonymous = await app.json('POST', '/api/v1/quality', { series: [] }, {});
    expect(anonymous.status).toBe(401);
    const notJson = await app.app.request('/api/v1/quality', {
      method: 'POST',
      headers: { ...app.auth, 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(notJson.status).toBe(415);
  });
});

describe('GET|PUT /api/v1/quality/sources and /thresholds', () => {
  it('replaces the mapping whole, by component or area, and refuses unknown targets and overlaps', async () => {
    const doc = {
      sources: [
        {
          area: 'metepec',
          metrics: { latency_ms: 'probe_icmp_duration_seconds{phase="rtt",area="metepec"} * 1000' },
        },
        { component: 'lerma-fibra', metrics: { loss_pct: '100 * (1 - avg_over_time(probe_success[1m]))' } },
      ],
    };
    const put = await app.json('PUT', '/api/v1/quality/sources', doc);
    expect(put.status, await put.clone().text()).toBe(200);
    const got = (await (await app.json('GET', '/api/v1/quality/sources')).json()) as {
      sources: unknown;
      status: { prometheus: { url: string | null }; expressions: unknown[] };
    };
    expect(got.sources).toEqual(doc.sources);
    expect(got.status.prometheus.url).toBeNull();
    expect(got.status.expressions).toHaveLength(2);
    // What GET returns can be PUT back as it is.
    expect((await app.json('PUT', '/api/v1/quality/sources', got)).status).toBe(200);

    const unknown = await errorOf(
      await app.json('PUT', '/api/v1/quality/sources', {
        sources: [{ area: 'atlantida', metrics: { latency_ms: 'up' } }],
      }),
    );
    expect(unknown).toMatchObject({ status: 422, paths: ['sources.0.area'] });
    const overlap = await errorOf(
      await app.json('PUT', '/api/v1/quality/sources', {
        sources: [
          { area: 'metepec', metrics: { latency_ms: 'a' } },
          { component: 'metepec-fibra', metrics: { latency_ms: 'b', loss_pct: 'c' } },
        ],
      }),
    );
    expect(overlap).toMatchObject({ status: 422, paths: ['sources.1.metrics.latency_ms'] });
    const empty = await errorOf(
      await app.json('PUT', '/api/v1/quality/sources', { sources: [{ component: 'metepec-fibra', metrics: {} }] }),
    );
    expect(empty.paths).toEqual(['sources.0.metrics']);
    const both = await errorOf(
      await app.json('PUT', '/api/v1/quality/sources', {
        sources: [{ component: 'metepec-fibra', area: 'metepec', metrics: { latency_ms: 'a' } }],
      }),
    );
    expect(both.paths).toEqual(['sources.0.component']);
    // Nothing refused changed the stored mapping.
    expect(((await (await app.json('GET', '/api/v1/quality/sources')).json()) as { sources: unknown }).sources).toEqual(
      doc.sources,
    );
  });

  it('replaces the thresholds whole, with defaults, and refuses what makes no sense', async () => {
    const put = await app.json('PUT', '/api/v1/quality/thresholds', {
      thresholds: [
        {
          area: 'metepec',
          rules: [
            { metric: 'latency_ms', above: 80 },
            { metric: 'loss_pct', statistic: 'p50', above: 2 },
          ],
        },
      ],
    });
    expect(put.status, await put.clone().text()).toBe(200);
    expect(await put.json()).toEqual({
      thresholds: [
        {
          area: 'metepec',
          minutes: 10,
          severity: 'warning',
          rules: [
            { metric: 'latency_ms', statistic: 'p95', above: 80 },
            { metric: 'loss_pct', statistic: 'p50', above: 2 },
          ],
        },
      ],
    });
    const bad = await errorOf(
      await app.json('PUT', '/api/v1/quality/thresholds', {
        thresholds: [{ area: 'metepec-fibra', rules: [{ metric: 'loss_pct', above: 150 }], minutes: 2 }],
      }),
    );
    expect(bad.status).toBe(422);
    expect(bad.paths).toEqual(['thresholds.0.minutes', 'thresholds.0.rules.0.above']);
  });
});
