// Per-area thresholds (from numbers to status): a rule that holds over its window
// raises an alert through the existing intake (source `quality`), so status, drafts and
// maintenance suppression follow the NOC's rules; one that stops holding resolves it; too few
// minutes of data change nothing.
import { describe, expect, it } from 'vitest';
import { evaluateQualityThresholds } from '#db/commands/quality.ts';
import { advanceMaintenances } from '#db/commands/maintenances.ts';
import { testApp, testClock } from '../support/db.ts';

const clock = testClock('2026-12-07T16:00:30Z');
const app = testApp({ clock });
const minute = (offset: number) => new Date(Math.floor(clock.now().getTime() / 60_000 + offset) * 60_000).toISOString();

async function push(component: string, metric: string, values: Array<[number, number]>) {
  const res = await app.json('POST', '/api/v1/quality', {
    series: [{ component, metric, samples: values.map(([offset, v]) => [minute(offset), v]) }],
  });
  expect(res.status, await res.clone().text()).toBe(200);
}
const statusOf = (slug: string) =>
  app.db.$client.prepare('SELECT status FROM components WHERE slug = ?').pluck().get(slug) as string;
const qualityAlerts = () =>
  app.db.$client
    .prepare(
      "SELECT fingerprint, status, effect FROM alerts WHERE source = 'quality' ORDER BY first_received_at, fingerprint",
    )
    .all() as Array<{ fingerprint: string; status: string; effect: string }>;

describe('quality thresholds', () => {
  it('fire through the alert intake when p95 latency stays above the limit for the window', async () => {
    const put = await app.json('PUT', '/api/v1/quality/thresholds', {
      thresholds: [
        {
          area: 'metepec',
          minutes: 10,
          rules: [
            { metric: 'latency_ms', statistic: 'p95', above: 80 },
            { metric: 'loss_pct', statistic: 'p50', above: 2 },
          ],
        },
      ],
    });
    expect(put.status).toBe(200);
    // Four minutes of data in a 10-minute window: too few for a verdict.
    await push('metepec-fibra', 'latency_ms', [
      [-4, 120],
      [-3, 130],
      [-2, 125],
      [-1, 140],
    ]);
    expect(evaluateQualityThresholds(app.db, clock.now())).toEqual({ fired: 0, resolved: 0 });
    // Ten minutes, all slow: p95 = 140 ms > 80 ms.
    await push('metepec-fibra', 'latency_ms', [
      [-10, 90],
      [-9, 95],
      [-8, 100],
      [-7, 110],
      [-6, 90],
      [-5, 99],
    ]);
    expect(evaluateQualityThresholds(app.db, clock.now())).toEqual({ fired: 1, resolved: 0 });
    expect(qualityAlerts()).toEqual([
      { fingerprint: 'metepec-fibra:latency_ms:p95', status: 'firing', effect: 'automatic' },
    ]);
    // The default rules: severity warning → «Baja velocidad», and a draft incident for a person to publish.
    expect(statusOf('metepec-fibra')).toBe('degraded_performance');
    const draft = app.db.$client.prepare('SELECT name, state FROM incident_drafts').all() as Array<{
      name: string;
      state: string;
    }>;
    expect(draft).toHaveLength(1);
    expect(draft[0].state).toBe('open');
    // Evaluated again with nothing new: nothing is sent twice.
    expect(evaluateQualityThresholds(app.db, clock.now())).toEqual({ fired: 0, resolved: 0 });
  });

  it('resolve when the window is back under the limit', async () => {
    clock.advance(10 * 60_000);
    await push(
      'metepec-fibra',
      'latency_ms',
      Array.from({ length: 10 }, (_, i) => [-10 + i, 12] as [number, number]),
    );
    expect(evaluateQualityThresholds(app.db, clock.now())).toEqual({ fired: 0, resolved: 1 });
    expect(qualityAlerts()).toEqual([
      { fingerprint: 'metepec-fibra:latency_ms:p95', status: 'resolved', effect: 'automatic' },
    ]);
    expect(statusOf('metepec-fibra')).toBe('operational');
  });

  it('are held by a maintenance in progress, like any alert', async () => {
    const m = await app.json('POST', '/api/v1/maintenances', {
      name: 'Cambio urgente de tarjeta en Metepec',
      body: 'Cambio de tarjeta dañada.',
      scheduled_for: new Date(clock.now().getTime() - 60_000).toISOString(),
      scheduled_until: new Date(clock.now().getTime() + 3_600_000).toISOString(),
      components: ['metepec-inalambrico'],
      emergency: true,
      emergency_reason: 'Tarjeta dañada',
      auto_transition: false,
    });
    expect(m.status, await m.clone().text()).toBe(201);
    advanceMaintenances(app.db, clock.now());
    await push(
      'metepec-inalambrico',
      'loss_pct',
      Array.from({ length: 10 }, (_, i) => [-10 + i, 5] as [number, number]),
    );
    expect(evaluateQualityThresholds(app.db, clock.now())).toEqual({ fired: 1, resolved: 0 });
    const held = qualityAlerts().find((a) => a.fingerprint === 'metepec-inalambrico:loss_pct:p50')!;
    expect(held).toEqual({ fingerprint: 'metepec-inalambrico:loss_pct:p50', status: 'firing', effect: 'suppressed' });
    expect(statusOf('metepec-inalambrico')).toBe('operational');
  });

  it('resolve their alerts when the NOC removes the thresholds', async () => {
    expect((await app.json('PUT', '/api/v1/quality/thresholds', { thresholds: [] })).status).toBe(200);
    expect(evaluateQualityThresholds(app.db, clock.now())).toEqual({ fired: 0, resolved: 1 });
    expect(qualityAlerts().every((a) => a.status === 'resolved')).toBe(true);
  });
});
