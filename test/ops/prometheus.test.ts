// deploy/prometheus/: the shipped files pass Debian's promtool (config, rules, the rules'
// unit tests) and blackbox_exporter's check; then a real Prometheus with the shipped scrape config
// and rules (targets pointed at this test) scrapes a real server with METRICS_TOKEN, probes it
// through a real blackbox_exporter with the shipped modules, and sees it go down.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../api/paths.ts';
import { startTestServer } from '../support/server.ts';
import { freePort } from '../support/nginx.ts';

const dir = join(projectRoot, 'deploy', 'prometheus');
const has = (bin: string) => spawnSync(bin, ['--version']).status === 0;
const promtool = (...args: string[]) => spawnSync('promtool', args, { cwd: dir, encoding: 'utf8' });
const BLACKBOX = '/usr/bin/prometheus-blackbox-exporter';
const TOKEN = 'token-de-metricas-para-prometheus-0123456789';

describe.skipIf(!has('promtool'))('the shipped files', () => {
  it('promtool check rules', () => {
    const r = promtool('check', 'rules', 'somnet-status.rules.yml');
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('promtool test rules: every alert fires on its trouble and stays quiet on a healthy site', () => {
    const r = promtool('test', 'rules', 'somnet-status.rules.test.yml');
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('SUCCESS');
    // Every alert of the rules file has a unit test.
    const alerts = [
      ...readFileSync(join(dir, 'somnet-status.rules.yml'), 'utf8').matchAll(/^\s*- alert: (\w+)$/gm),
    ].map((m) => m[1]);
    const tests = readFileSync(join(dir, 'somnet-status.rules.test.yml'), 'utf8');
    const untested = alerts.filter((a) => !tests.includes(`alertname: ${a}\n`));
    // Trends and certificates need days of samples; the rest is proven to fire.
    expect(untested.sort()).toEqual([
      'SomnetStatusCertificateExpiring',
      'SomnetStatusDatabaseBusy',
      'SomnetStatusDiskFillingUp',
      'SomnetStatusEventLoopLag',
    ]);
  });

  it('promtool check config: the syntax as shipped, and the whole file with its token file present', () => {
    const syntax = promtool('check', 'config', '--syntax-only', 'prometheus.yml');
    expect(syntax.status, syntax.stdout + syntax.stderr).toBe(0);
    // The full check also opens the rule files and the credentials file (/etc/prometheus/… here).
    const copy = mkdtempSync(join(tmpdir(), 'somnet-promcheck-'));
    copyFileSync(join(dir, 'somnet-status.rules.yml'), join(copy, 'somnet-status.rules.yml'));
    writeFileSync(join(copy, 'token'), TOKEN);
    writeFileSync(
      join(copy, 'prometheus.yml'),
      readFileSync(join(dir, 'prometheus.yml'), 'utf8').replace(
        '/etc/prometheus/somnet-metrics-token',
        join(copy, 'token'),
      ),
    );
    const full = spawnSync('promtool', ['check', 'config', join(copy, 'prometheus.yml')], { encoding: 'utf8' });
    expect(full.status, full.stdout + full.stderr).toBe(0);
    expect(full.stdout).toMatch(/SUCCESS: 1 rule files found/);
  });

  it.skipIf(!has(BLACKBOX))('blackbox.yml passes blackbox_exporter --config.check', () => {
    const r = spawnSync(BLACKBOX, [`--config.file=${join(dir, 'blackbox.yml')}`, '--config.check'], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
  });
});

interface Job {
  job_name: string;
  scheme?: string;
  authorization?: { credentials_file?: string };
  static_configs: Array<{ targets: string[]; labels?: Record<string, string> }>;
  relabel_configs?: Array<{ replacement?: string }>;
  scrape_interval?: string;
}

function started(child: ChildProcess, name: string, ready: RegExp): Promise<void> {
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} no arrancó en 20 s:\n${output}`)), 20_000);
    const onData = (d: Buffer) => {
      output += d;
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} terminó (${code}):\n${output}`)));
  });
}

describe.skipIf(!has('prometheus') || !has(BLACKBOX))('a real Prometheus with the shipped config', () => {
  const children: ChildProcess[] = [];
  let server: Awaited<ReturnType<typeof startTestServer>> | undefined;
  afterAll(async () => {
    for (const c of children) c.kill('SIGTERM');
    await server?.close();
    server?.db.$client.close();
  });

  it('scrapes /metrics with the token, probes the page and /healthz, evaluates the rules, and sees the site go down', async () => {
    server = await startTestServer({ config: { metricsToken: TOKEN } });
    const target = new URL(server.url).host;
    const work = mkdtempSync(join(tmpdir(), 'somnet-prometheus-'));
    const [blackboxPort, prometheusPort] = [await freePort(), await freePort()];

    const blackbox = spawn(
      BLACKBOX,
      [`--config.file=${join(dir, 'blackbox.yml')}`, `--web.listen-address=127.0.0.1:${blackboxPort}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(blackbox);
    await started(blackbox, 'blackbox_exporter', /Listening on/);

    // The shipped config, with its targets pointed here and short intervals.
    const config = yaml.load(readFileSync(join(dir, 'prometheus.yml'), 'utf8')) as {
      global: Record<string, string>;
      alerting?: unknown;
      scrape_configs: Job[];
    };
    config.global = { scrape_interval: '1s', evaluation_interval: '1s' };
    delete config.alerting;
    writeFileSync(join(work, 'token'), TOKEN);
    copyFileSync(join(dir, 'somnet-status.rules.yml'), join(work, 'somnet-status.rules.yml'));
    for (const job of config.scrape_configs) {
      if (job.job_name === 'somnet-status') {
        expect(job.authorization?.credentials_file).toBe('/etc/prometheus/somnet-metrics-token');
        job.authorization!.credentials_file = join(work, 'token');
        job.scheme = 'http';
        job.static_configs = [{ targets: [target] }];
      } else {
        for (const sc of job.static_configs)
          sc.targets = sc.targets.map((t) => t.replace('https://status.somnet.com.mx', server!.url));
        for (const r of job.relabel_configs ?? [])
          if (r.replacement === '127.0.0.1:9115') r.replacement = `127.0.0.1:${blackboxPort}`;
      }
    }
    writeFileSync(join(work, 'prometheus.yml'), yaml.dump(config));
    const prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(work, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(work, 'data')}`,
        `--web.listen-address=127.0.0.1:${prometheusPort}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(prometheus);
    await started(prometheus, 'prometheus', /Server is ready to receive web requests/);

    const api = `http://127.0.0.1:${prometheusPort}/api/v1`;
    const query = async (q: string) => {
      const res = (await (await fetch(`${api}/query?query=${encodeURIComponent(q)}`)).json()) as {
        data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      };
      return res.data.result;
    };
    const until = async (q: string, ok: (r: Awaited<ReturnType<typeof query>>) => boolean, what: string) => {
      const deadline = Date.now() + 30_000;
      let last: Awaited<ReturnType<typeof query>> = [];
      while (Date.now() < deadline) {
        last = await query(q);
        if (ok(last)) return last;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`${what}: ${q} → ${JSON.stringify(last)}`);
    };
    const allOne = (r: Awaited<ReturnType<typeof query>>) => r.length > 0 && r.every((s) => s.value[1] === '1');

    await until('up{job="somnet-status"}', allOne, 'Prometheus no lee /metrics');
    const pending = await until('somnet_outbox_pending', (r) => r.length >= 2, 'sin series del outbox');
    expect(pending.map((s) => s.metric.channel).sort()).toEqual(['email', 'webhook']);
    const probes = await until('probe_success', (r) => r.length === 3 && allOne(r), 'las sondas fallan');
    expect(probes.map((p) => p.metric.probe).sort()).toEqual(['healthz', 'page', 'page']);

    // The rules load and evaluate against these series.
    const rules = (await (await fetch(`${api}/rules`)).json()) as {
      data: { groups: Array<{ rules: Array<{ name: string; health: string }> }> };
    };
    const loaded = rules.data.groups.flatMap((g) => g.rules);
    expect(loaded.length).toBeGreaterThanOrEqual(10);
    expect(loaded.filter((r) => r.health !== 'ok' && r.health !== 'unknown')).toEqual([]);

    // Node goes away: the scrape and both probes fail, and the page alerts start pending.
    await server.close();
    await until('up{job="somnet-status"}', (r) => r.length === 1 && r[0].value[1] === '0', 'up sigue en 1');
    await until(
      'probe_success{probe="healthz"}',
      (r) => r.length === 1 && r[0].value[1] === '0',
      'la sonda sigue bien',
    );
    const alerts = await until(
      'ALERTS{alertname=~"SomnetStatus(BackendDown|SiteDown|MetricsUnreachable)"}',
      (r) => new Set(r.map((a) => a.metric.alertname)).size === 3,
      'las alertas no están pendientes',
    );
    expect(alerts.every((a) => a.metric.alertstate === 'pending' && a.metric.severity === 'page')).toBe(true);
    server.db.$client.close();
    server = undefined;
  }, 90_000);
});
