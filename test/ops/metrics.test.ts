// Metrics: GET /metrics for the NOC's Prometheus and GET /healthz, through the real app
// and database. Counters are per process (other tests in this file move them too), so each test
// reads them before and after what it does.
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { testApp } from '../support/db.ts';
import { alertmanagerPayload } from '../alerts/payloads.ts';
import { importSubscribers } from '#db/commands/subscribers.ts';
import { createIncident } from '#db/commands/incidents.ts';
import { createWebhookEndpoint, recordWebhookAttempt } from '#db/commands/webhooks.ts';
import { drainOutbox, type DeliveryResult, type Transport } from '#db/outbox/worker.ts';
import { routeFamilies, routeFamily } from '../../api/metrics/families.ts';
import { loadConfig } from '../../api/config.ts';
import { parseExposition, sampleValue, type Sample } from './support/prom.ts';

const peer = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } });
const LOCAL = peer('127.0.0.1');
const TOKEN = 'metricas-prueba-0123456789abcdef';

const t = testApp();
const withToken = testApp();
withToken.deps.config = { ...withToken.deps.config, metricsToken: TOKEN };
const closers: Array<() => void> = [];
afterAll(() => closers.forEach((c) => c()));

async function scrape(app = t.app, env: object = LOCAL): Promise<Sample[]> {
  const res = await app.request('/metrics', {}, env);
  expect(res.status, await res.clone().text()).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}

describe('who may read /metrics', () => {
  it('answers a client on this machine, and nobody else without METRICS_TOKEN', async () => {
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '127.0.0.53'])
      expect((await t.app.request('/metrics', {}, peer(address))).status, address).toBe(200);
    const remote = await t.app.request('/metrics', {}, peer('203.0.113.9'));
    expect(remote.status).toBe(403);
    expect(await remote.json()).toMatchObject({ error: { code: 'forbidden' } });
    // nginx on this machine proxying a customer: the client is the customer, not loopback.
    const proxied = await t.app.request('/metrics', { headers: { 'x-forwarded-for': '198.51.100.20' } }, LOCAL);
    expect(proxied.status).toBe(403);
    // A forged header from outside changes nothing.
    const forged = await t.app.request(
      '/metrics',
      { headers: { 'x-forwarded-for': '127.0.0.1' } },
      peer('203.0.113.9'),
    );
    expect(forged.status).toBe(403);
  });

  it('with METRICS_TOKEN, answers its bearer from anywhere and refuses a wrong one even locally', async () => {
    const remote = peer('203.0.113.9');
    expect(
      (await withToken.app.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } }, remote)).status,
    ).toBe(200);
    const none = await withToken.app.request('/metrics', {}, remote);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    const wrong = await withToken.app.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}x` } }, LOCAL);
    expect(wrong.status).toBe(401);
    expect((await withToken.app.request('/metrics', {}, LOCAL)).status).toBe(200);
    // The NOC's API token is not a metrics token.
    expect((await withToken.app.request('/metrics', { headers: withToken.auth }, remote)).status).toBe(401);
  });

  it('METRICS_TOKEN must be long, and a bad one is never echoed', () => {
    expect(loadConfig({ METRICS_TOKEN: TOKEN }).metricsToken).toBe(TOKEN);
    let message = '';
    try {
      loadConfig({ METRICS_TOKEN: 'corto secreto' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^Configuración inválida: METRICS_TOKEN debe tener al menos 24 caracteres/);
    expect(message).not.toContain('corto secreto');
  });

  it('other methods get 405 with Allow', async () => {
    const res = await t.app.request('/metrics', { method: 'POST' }, LOCAL);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('what a scrape says', () => {
  it('every metric the issue names, with its labels, plus the process metrics', async () => {
    const samples = await scrape();
    const names = new Set(samples.map((s) => s.name));
    for (const name of [
      'somnet_outbox_pending',
      'somnet_outbox_oldest_pending_seconds',
      'somnet_deliveries_total',
      'somnet_alerts_received_total',
      'somnet_webhook_endpoints_disabled',
      'somnet_database_busy_total',
      'somnet_published_files_total',
      'nodejs_eventloop_lag_seconds',
      'nodejs_eventloop_lag_p99_seconds',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
    ])
      expect(names, name).toContain(name);
    for (const channel of ['email', 'webhook'])
      for (const result of ['sent', 'failed', 'retried'])
        expect(sampleValue(samples, 'somnet_deliveries_total', { channel, result })).toBeTypeOf('number');
    // Without PUBLISH_DIR nothing is published, so nothing can be behind: no publish series.
    expect(names).not.toContain('somnet_publish_lag_seconds');
    expect(names).not.toContain('somnet_last_publish_timestamp_seconds');
  });

  it.skipIf(spawnSync('promtool', ['--version']).status !== 0)(
    'passes promtool check metrics (our series; prom-client names a few of its gauges *_total)',
    async () => {
      const res = await t.app.request('/metrics', {}, LOCAL);
      const check = spawnSync('promtool', ['check', 'metrics'], { input: await res.text(), encoding: 'utf8' });
      const problems = `${check.stdout}${check.stderr}`.split('\n').filter((l) => l.trim());
      expect(problems.filter((l) => !/^nodejs_active_(handles|requests|resources)_total /.test(l))).toEqual([]);
    },
  );

  it('the outbox per channel, from the database: pending, oldest, due; a backoff is not "due"', async () => {
    const ctx = { now: t.clock.now(), actor: { kind: 'token' as const, name: 'pruebas' } };
    importSubscribers(
      t.db,
      Array.from({ length: 30 }, (_, i) => ({ email: `contacto${i}@cliente.mx` })),
      ctx,
    );
    createIncident(
      t.db,
      { name: 'Corte', status: 'investigating', body: 'Revisando.', components: { 'red-troncal': 'major_outage' } },
      ctx,
    );
    t.clock.advance(90_000);
    let s = await scrape();
    expect(sampleValue(s, 'somnet_outbox_pending', { channel: 'email' })).toBe(30);
    expect(sampleValue(s, 'somnet_outbox_oldest_pending_seconds', { channel: 'email' })).toBe(90);
    expect(sampleValue(s, 'somnet_outbox_due', { channel: 'email' })).toBe(30);
    expect(sampleValue(s, 'somnet_outbox_oldest_due_seconds', { channel: 'email' })).toBe(90);
    expect(sampleValue(s, 'somnet_outbox_pending', { channel: 'webhook' })).toBe(0);

    // A provider that accepts 10, refuses 5 for good and asks to retry the rest (a stand-in for Resend).
    const before = (result: string) => sampleValue(s, 'somnet_deliveries_total', { channel: 'email', result })!;
    const sent = before('sent');
    const failed = before('failed');
    const retried = before('retried');
    let n = 0;
    const provider: Transport = {
      channel: 'email',
      batchSize: 100,
      send: async (batch) =>
        batch.map((row): DeliveryResult => {
          const i = n++;
          if (i < 10) return { id: row.id, outcome: 'sent' };
          if (i < 15) return { id: row.id, outcome: 'failed', error: 'Dirección inexistente.' };
          return { id: row.id, outcome: 'retry', error: '429', retryAfterMs: 60_000 };
        }),
    };
    await drainOutbox(t.db, provider, { now: t.clock.now, maxBatches: 1 });
    s = await scrape();
    expect(sampleValue(s, 'somnet_deliveries_total', { channel: 'email', result: 'sent' })).toBe(sent + 10);
    expect(sampleValue(s, 'somnet_deliveries_total', { channel: 'email', result: 'failed' })).toBe(failed + 5);
    expect(sampleValue(s, 'somnet_deliveries_total', { channel: 'email', result: 'retried' })).toBe(retried + 15);
    // 15 wait out their minute of backoff: pending and old, but nothing is due, so nothing is stuck.
    expect(sampleValue(s, 'somnet_outbox_pending', { channel: 'email' })).toBe(15);
    expect(sampleValue(s, 'somnet_outbox_oldest_pending_seconds', { channel: 'email' })).toBe(90);
    expect(sampleValue(s, 'somnet_outbox_due', { channel: 'email' })).toBe(0);
    expect(sampleValue(s, 'somnet_outbox_oldest_due_seconds', { channel: 'email' })).toBe(0);
    t.clock.advance(75_000);
    s = await scrape();
    expect(sampleValue(s, 'somnet_outbox_due', { channel: 'email' })).toBe(15);
    expect(sampleValue(s, 'somnet_outbox_oldest_due_seconds', { channel: 'email' })).toBe(15);
    expect(sampleValue(s, 'somnet_outbox_oldest_pending_seconds', { channel: 'email' })).toBe(165);

    const health = await (await t.app.request('/healthz', {}, LOCAL)).json();
    expect(health.outbox.email).toEqual({ pending: 15, due: 15, oldest_pending_seconds: 165, oldest_due_seconds: 15 });
  });

  it('alerts received, by intake and effect, counted from what the intake did', async () => {
    const get = async () => {
      const s = await scrape();
      return (effect: string, source = 'alertmanager') =>
        sampleValue(s, 'somnet_alerts_received_total', { source, effect })!;
    };
    const before = await get();
    const payload = alertmanagerPayload([
      { labels: { alertname: 'FibraCaida', component: 'metepec-fibra', severity: 'critical' } },
      { labels: { alertname: 'FibraCaida', component: 'no-existe', severity: 'critical' } },
    ]);
    const res = await t.json('POST', '/api/v1/alerts/alertmanager', payload);
    expect(res.status).toBe(200);
    const effects = ((await res.json()) as { alerts: Array<{ effect: string }> }).alerts.map((a) => a.effect);
    expect(effects).toContain('unmatched');
    const after = await get();
    for (const effect of new Set(effects))
      expect(after(effect) - before(effect), effect).toBe(effects.filter((e) => e === effect).length);
    // A refused payload received nothing.
    expect((await t.json('POST', '/api/v1/alerts/alertmanager', { alerts: 'no' })).status).toBe(422);
    const again = await get();
    for (const effect of new Set(effects)) expect(again(effect)).toBe(after(effect));
  });

  it('webhook endpoints disabled after repeated failure', async () => {
    const ctx = { now: t.clock.now(), actor: { kind: 'token' as const, name: 'pruebas' } };
    const endpoint = createWebhookEndpoint(t.db, { url: 'https://hooks.cliente.mx/estado' }, ctx, {
      allowPrivateTargets: false,
    });
    expect(sampleValue(await scrape(), 'somnet_webhook_endpoints_disabled')).toBe(0);
    recordWebhookAttempt(t.db, endpoint.id, { ok: false, error: 'HTTP 500' }, t.clock.now(), {
      maxConsecutiveFailures: 1,
      minFailingMs: 0,
    });
    expect(sampleValue(await scrape(), 'somnet_webhook_endpoints_disabled')).toBe(1);
  });

  it('a database locked by another process: 503 for the write, counted once; /healthz says so', async () => {
    const before = sampleValue(await scrape(), 'somnet_database_busy_total')!;
    const other = new Database(t.db.$client.name);
    closers.push(() => other.close());
    other.pragma('busy_timeout = 0');
    other.exec('BEGIN IMMEDIATE');
    t.db.$client.pragma('busy_timeout = 0');
    try {
      const res = await t.json('PATCH', '/api/v1/components/metepec-fibra', { status: 'degraded_performance' });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: { code: 'database_busy' } });
      const health = await t.app.request('/healthz', {}, LOCAL);
      expect(health.status).toBe(503);
      expect(health.headers.get('retry-after')).toBe('5');
      expect(await health.json()).toMatchObject({
        status: 'unavailable',
        error: { code: 'database_busy' },
        database: { writable: false },
      });
      // The write refused and the health check: two times the database was found busy.
      expect(sampleValue(await scrape(), 'somnet_database_busy_total')).toBe(before + 2);
    } finally {
      other.exec('ROLLBACK');
    }
    const health = await t.app.request('/healthz', {}, LOCAL);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', database: { writable: true }, publish: null });
  });
});

describe('route families', () => {
  it('one of a fixed list for any path, never the path itself', () => {
    const cases: Record<string, string> = {
      '/': 'home',
      '/?utm_source=x': 'home',
      '/incidentes/abc123': 'incident',
      '/zonas/metepec': 'area',
      '/historial/2026-11': 'history',
      '/disponibilidad/2026-11.csv': 'availability',
      '/mantenimiento/mes/2026-12': 'maintenance',
      '/mantenimiento/abc.ics': 'calendar',
      '/componentes/metepec-fibra/mantenimiento.ics': 'calendar',
      '/feed.atom': 'feed',
      '/componentes/metepec/feed.json': 'feed',
      '/history.rss': 'feed',
      '/badge.svg': 'embed',
      '/componentes/metepec/badge.svg': 'embed',
      '/embed.js': 'embed',
      '/status.txt': 'embed',
      '/api/v2/summary.json': 'api_v2',
      '/api/v1/incidents/x/updates': 'api_v1',
      '/api/v1/alerts/alertmanager': 'alert_intake',
      '/api/coverage.geojson': 'coverage',
      '/cobertura?lat=1': 'coverage',
      '/calidad': 'quality',
      '/calidad/metepec.json': 'quality',
      '/noc/incidentes/nuevo': 'console',
      '/mi-servicio/SOM-123': 'my_service',
      '/suscripcion/baja': 'subscription',
      '/autodiagnostico': 'self_help',
      '/_astro/index.abc.css': 'asset',
      '/healthz': 'health',
      '/metrics': 'metrics',
      '/wp-login.php': 'other',
      '/incidentesx': 'other',
    };
    for (const [path, family] of Object.entries(cases)) expect(routeFamily(path), path).toBe(family);
    for (const path of Object.keys(cases)) expect(routeFamilies).toContain(routeFamily(path));
  });
});
