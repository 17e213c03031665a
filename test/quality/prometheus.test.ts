// The Prometheus pull, end to end through real parts: Debian's prometheus-blackbox-exporter probes
// loopback targets (ICMP echo to 127.0.0.1, and a TCP connect to a loopback port nobody listens
// on, which fails), Debian's prometheus scrapes it every second, and the server's quality worker
// reads `query_range` (step 60 s) with the NOC's mapping, stores what came back, leaves what did
// not as gaps, and shows the NOC a Prometheus that stopped answering — never zeros.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.ts';
import {
  BLACKBOX_PATH,
  freePort,
  PROMTOOL_PATH,
  startBlackbox,
  startPrometheus,
  type RunningProcess,
} from '../support/prometheus.ts';
import { waitUntil } from '../support/alertmanager.ts';
import { queryRange, qualityWorker } from '../../api/workers/quality.ts';
import { projectRoot } from '../../api/paths.ts';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addUser, ConsoleClient } from '../console/support.ts';

let blackbox: RunningProcess;
let prometheus: RunningProcess;
let s: Awaited<ReturnType<typeof startTestServer>>;

const samples = (slug: string, metric: string) =>
  s.db.$client
    .prepare(
      `SELECT s.minute, s.value FROM quality_samples s JOIN quality_series q ON q.id = s.series_id
       JOIN components c ON c.id = q.component_id WHERE c.slug = ? AND q.metric = ? ORDER BY s.minute`,
    )
    .all(slug, metric) as Array<{ minute: number; value: number }>;

beforeAll(async () => {
  const closedPort = await freePort();
  blackbox = await startBlackbox();
  prometheus = await startPrometheus(blackbox.url, [
    { module: 'icmp', target: '127.0.0.1', labels: { area: 'metepec', component: 'metepec-fibra' } },
    {
      module: 'tcp',
      target: `127.0.0.1:${closedPort}`,
      labels: { area: 'metepec', component: 'metepec-inalambrico' },
    },
  ]);
  s = await startTestServer({
    config: { prometheusUrl: prometheus.url },
    workers: [qualityWorker({ intervalMs: 1_500, timeoutMs: 3_000 })],
  });
  const put = await s.api('PUT', '/api/v1/quality/sources', sources);
  expect(put.status, await put.clone().text()).toBe(200);
}, 120_000);

const sources = {
  sources: [
    // blackbox_exporter's ICMP round trip, in milliseconds.
    {
      component: 'metepec-fibra',
      metrics: { latency_ms: '1000 * probe_icmp_duration_seconds{phase="rtt",component="metepec-fibra"}' },
    },
    // A latency only for successful probes: a failed probe is no latency at all (a gap).
    {
      component: 'metepec-inalambrico',
      metrics: {
        latency_ms:
          '1000 * (probe_duration_seconds{component="metepec-inalambrico"} and on(instance) (probe_success == 1))',
      },
    },
    // One expression for the whole area: each series names its component by label.
    { area: 'metepec', metrics: { loss_pct: '100 * (1 - avg_over_time(probe_success{area="metepec"}[1m]))' } },
    // Prometheus refuses this one; only it fails.
    { component: 'lerma-fibra', metrics: { jitter_ms: 'rate(probe_success[' } },
  ],
};

afterAll(async () => {
  await s?.close();
  await prometheus?.stop();
  await blackbox?.stop();
});

describe('the pull worker against a real Prometheus and blackbox_exporter', () => {
  it('accepts every expression of the documented example (deploy/prometheus), and promtool the scrape config', async () => {
    const doc = JSON.parse(readFileSync(join(projectRoot, 'deploy/prometheus/quality-sources.json'), 'utf8')) as {
      sources: Array<{ metrics: Record<string, string> }>;
    };
    const now = Math.floor(Date.now() / 1000);
    for (const expr of doc.sources.flatMap((x) => Object.values(x.metrics))) {
      const outcome = await queryRange(prometheus.url, expr, now - 300, now);
      expect(outcome, expr).toMatchObject({ ok: true });
    }
    // The example is a valid mapping for the demo catalogue.
    expect((await s.api('PUT', '/api/v1/quality/sources', doc)).status).toBe(200);
    expect((await s.api('PUT', '/api/v1/quality/sources', sources)).status).toBe(200);
    const check = spawnSync(
      PROMTOOL_PATH,
      ['check', 'config', join(projectRoot, 'deploy/prometheus/quality-probes.yml')],
      {
        encoding: 'utf8',
      },
    );
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const modules = spawnSync(
      BLACKBOX_PATH,
      ['--config.check', `--config.file=${join(projectRoot, 'deploy/prometheus/quality-blackbox.yml')}`],
      { encoding: 'utf8' },
    );
    expect(modules.status, modules.stdout + modules.stderr).toBe(0);
  });

  it('stores each minute Prometheus has, per component, and leaves the rest as gaps', async () => {
    // query_range evaluates at minute boundaries: wait until one has passed with data scraped before it.
    await waitUntil(() => samples('metepec-fibra', 'latency_ms').length > 0, 100_000, 'la latencia de metepec-fibra');
    await waitUntil(
      () => samples('metepec-inalambrico', 'loss_pct').length > 0,
      10_000,
      'la pérdida de metepec-inalambrico',
    );
    const latency = samples('metepec-fibra', 'latency_ms');
    // A loopback echo: more than nothing, far less than 50 ms.
    for (const { value } of latency) {
      expect(value).toBeGreaterThan(0);
      expect(value).toBeLessThan(50);
    }
    // Minutes before Prometheus started have no row: gaps, not zeros. The worker asked for the
    // last 24 hours, and only the minutes since Prometheus started came back.
    expect(latency.length).toBeLessThanOrEqual(3);
    const started = Math.floor(Date.now() / 60_000) - 3;
    expect(latency.every((r) => r.minute >= started)).toBe(true);
    // The area's expression went to each component by its label.
    expect(
      samples('metepec-fibra', 'loss_pct')
        .map((r) => r.value)
        .every((v) => v === 0),
    ).toBe(true);
    expect(
      samples('metepec-inalambrico', 'loss_pct')
        .map((r) => r.value)
        .every((v) => v === 100),
    ).toBe(true);
    // The failing probe has no latency at all.
    expect(samples('metepec-inalambrico', 'latency_ms')).toEqual([]);

    const status = (await (await s.api('GET', '/api/v1/quality/sources')).json()) as {
      status: {
        prometheus: { url: string; last_success_at: string | null; last_error: string | null };
        expressions: Array<{
          component?: string;
          area?: string;
          metric: string;
          last_error: string | null;
          series: number | null;
        }>;
      };
    };
    expect(status.status.prometheus.url).toBe(prometheus.url);
    expect(status.status.prometheus.last_success_at).not.toBeNull();
    expect(status.status.prometheus.last_error).toBeNull();
    const bad = status.status.expressions.find((e) => e.component === 'lerma-fibra')!;
    expect(bad.last_error).toMatch(/Prometheus rechazó la expresión \(bad_data\)/);
    expect(status.status.expressions.find((e) => e.area === 'metepec')!.series).toBe(2);
    expect(samples('lerma-fibra', 'jitter_ms')).toEqual([]);

    // The public JSON shows the measured minute and a gap where there is none.
    const json = (await (await fetch(`${s.url}/calidad/metepec.json`)).json()) as {
      components: Array<{
        slug: string;
        metrics: Record<string, { last_hour: { p50: number | null; samples: number } }>;
      }>;
    };
    const fibra = json.components.find((c) => c.slug === 'metepec-fibra')!;
    const radio = json.components.find((c) => c.slug === 'metepec-inalambrico')!;
    expect(fibra.metrics.latency_ms.last_hour.samples).toBe(
      latency.filter((r) => r.minute >= Math.floor(Date.now() / 60_000) - 60).length,
    );
    expect(radio.metrics.latency_ms.last_hour).toEqual({ p50: null, p95: null, max: null, samples: 0 });
    expect(radio.metrics.loss_pct.last_hour.p50).toBe(100);
  }, 130_000);

  it('shows the NOC a Prometheus that does not answer, and stores nothing for it', async () => {
    const before = s.db.$client.prepare('SELECT count(*) FROM quality_samples').pluck().get() as number;
    await prometheus.stop();
    const since = Date.now();
    let status: { prometheus: { last_error: string | null; last_error_at: string | null } } | undefined;
    await waitUntil(
      async () => {
        status = ((await (await s.api('GET', '/api/v1/quality/sources')).json()) as { status: typeof status }).status;
        return status!.prometheus.last_error_at !== null && Date.parse(status!.prometheus.last_error_at) >= since;
      },
      20_000,
      'el error de Prometheus',
    );
    expect(status!.prometheus.last_error).toMatch(/^Prometheus no se pudo conectar/);
    expect(s.db.$client.prepare('SELECT count(*) FROM quality_samples').pluck().get()).toBe(before);
    // The console's quality page says it in Spanish.
    addUser(s.db, 'guardia@somnet.com.mx', 'noc', 'una clave larga de prueba', { mustChange: false });
    const noc = new ConsoleClient(s.url);
    expect((await noc.login('guardia@somnet.com.mx', 'una clave larga de prueba')).status).toBe(303);
    const page = await (await noc.get('/noc/calidad')).text();
    expect(page).toContain('Prometheus no responde');
    expect(page).toContain('nunca como ceros');
    // Editing the mapping from the console: one form per component or area, three expressions.
    const saved = await noc.submit('/noc/calidad', {
      accion: 'guardar',
      objetivo: 'component:toluca-fibra',
      latency_ms: '1000 * probe_icmp_duration_seconds{phase="rtt",component="toluca-fibra"}',
      jitter_ms: '',
      loss_pct: '',
    });
    expect(saved.status).toBe(303);
    const doc = (await (await s.api('GET', '/api/v1/quality/sources')).json()) as {
      sources: Array<{ component?: string }>;
    };
    expect(doc.sources.map((x) => x.component)).toContain('toluca-fibra');
    const overlap = await noc.submit('/noc/calidad', {
      accion: 'guardar',
      objetivo: 'component:metepec-fibra',
      latency_ms: 'otra',
      jitter_ms: '',
      loss_pct: 'up',
    });
    expect(overlap.status).toBe(422);
    expect(await overlap.text()).toContain('ya tiene loss_pct');
  }, 40_000);
});
