// Debian's prometheus and prometheus-blackbox-exporter, started for a test with their own
// configuration and storage in a temporary folder, on free loopback ports, and stopped after.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';
export { freePort };

export const PROMETHEUS_PATH = process.env.PROMETHEUS_PATH ?? '/usr/bin/prometheus';
export const PROMTOOL_PATH = process.env.PROMTOOL_PATH ?? '/usr/bin/promtool';
export const BLACKBOX_PATH = process.env.BLACKBOX_EXPORTER_PATH ?? '/usr/bin/prometheus-blackbox-exporter';

export interface RunningProcess {
  url: string;
  log(): string;
  stop(): Promise<void>;
}

function run(path: string, args: string[], ready: RegExp, url: string, what: string): Promise<RunningProcess> {
  const child: ChildProcess = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (d: Buffer) => {
    output += d;
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} no empezó en 20 s:\n${output}`)), 20_000);
    const look = () => {
      if (!ready.test(output)) return;
      clearTimeout(timer);
      resolve({ url, log: () => output, stop });
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} terminó (código ${code}):\n${output}`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** blackbox_exporter with an `icmp` and a `tcp` module (short timeouts: the targets are on loopback). */
export async function startBlackbox(): Promise<RunningProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'somnet-blackbox-'));
  // YAML is a superset of JSON.
  writeFileSync(
    join(dir, 'blackbox.yml'),
    JSON.stringify({
      modules: {
        icmp: { prober: 'icmp', timeout: '800ms', icmp: { preferred_ip_protocol: 'ip4' } },
        tcp: { prober: 'tcp', timeout: '800ms', tcp: { preferred_ip_protocol: 'ip4' } },
      },
    }),
  );
  const port = await freePort();
  return run(
    BLACKBOX_PATH,
    [`--config.file=${join(dir, 'blackbox.yml')}`, `--web.listen-address=127.0.0.1:${port}`],
    /msg="Listening on"/,
    `http://127.0.0.1:${port}`,
    'blackbox_exporter',
  );
}

export interface ProbeTarget {
  module: 'icmp' | 'tcp';
  target: string;
  labels: Record<string, string>;
}

/** Prometheus scraping the exporter's /probe for each target every second, the usual relabelling. */
export async function startPrometheus(blackboxUrl: string, targets: ProbeTarget[]): Promise<RunningProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'somnet-prometheus-'));
  const exporter = new URL(blackboxUrl).host;
  const jobs = (['icmp', 'tcp'] as const)
    .map((module) => ({ module, list: targets.filter((t) => t.module === module) }))
    .filter((j) => j.list.length > 0)
    .map(({ module, list }) => ({
      job_name: `blackbox_${module}`,
      metrics_path: '/probe',
      params: { module: [module] },
      scrape_interval: '1s',
      scrape_timeout: '1s',
      static_configs: list.map((t) => ({ targets: [t.target], labels: t.labels })),
      relabel_configs: [
        { source_labels: ['__address__'], target_label: '__param_target' },
        { source_labels: ['__param_target'], target_label: 'instance' },
        { target_label: '__address__', replacement: exporter },
      ],
    }));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    JSON.stringify({ global: { scrape_interval: '1s', evaluation_interval: '1s' }, scrape_configs: jobs }),
  );
  const port = await freePort();
  return run(
    PROMETHEUS_PATH,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=info',
    ],
    /Server is ready to receive web requests/,
    `http://127.0.0.1:${port}`,
    'Prometheus',
  );
}
