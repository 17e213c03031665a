// Debian's prometheus-alertmanager (0.25), started for a test with its own storage and no
// cluster, a webhook receiver pointing at our server, and short timers so notifications go
// out at once (group_wait 0s) and resolutions within a second (group_interval 1s).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ALERTMANAGER_PATH = process.env.ALERTMANAGER_PATH ?? '/usr/bin/prometheus-alertmanager';

export interface RunningAlertmanager {
  url: string;
  /** POST /api/v2/alerts: how Prometheus hands alerts to Alertmanager. */
  push(
    alerts: Array<{
      labels: Record<string, string>;
      annotations?: Record<string, string>;
      startsAt?: string;
      endsAt?: string;
    }>,
  ): Promise<void>;
  log(): string;
  stop(): Promise<void>;
}

export async function startAlertmanager(options: {
  webhookUrl: string;
  token: string;
  groupBy?: string[];
}): Promise<RunningAlertmanager> {
  const dir = mkdtempSync(join(tmpdir(), 'somnet-alertmanager-'));
  // YAML is a superset of JSON: the config is written as JSON to avoid quoting questions.
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    JSON.stringify(
      {
        route: {
          receiver: 'somnet-estado',
          group_by: options.groupBy ?? ['alertname', 'component'],
          group_wait: '0s',
          group_interval: '1s',
          repeat_interval: '1h',
        },
        receivers: [
          {
            name: 'somnet-estado',
            webhook_configs: [
              {
                url: options.webhookUrl,
                send_resolved: true,
                http_config: { authorization: { credentials: options.token } },
              },
            ],
          },
        ],
      },
      null,
      2,
    ),
  );
  const child: ChildProcess = spawn(
    ALERTMANAGER_PATH,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      '--web.listen-address=127.0.0.1:0',
      '--cluster.listen-address=',
      '--log.level=debug',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Alertmanager no empezó a escuchar en 15 s:\n${output}`)), 15_000);
    const look = () => {
      const m = /msg="Listening on" address=(\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(`http://${m[1]}`);
      }
    };
    child.stderr!.on('data', look);
    child.stdout!.on('data', look);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Alertmanager terminó (código ${code}):\n${output}`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  return {
    url,
    async push(alerts) {
      const res = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
      });
      if (res.status !== 200) throw new Error(`Alertmanager rechazó las alertas: ${res.status} ${await res.text()}`);
    },
    log: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Polls `check` every few milliseconds until it is true; the time it took, or a throw after `timeoutMs`. */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (await check()) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`No ocurrió en ${timeoutMs} ms: ${what}`);
}

/** A component's status as `/` shows it: the status class of its row inside its area's section. */
export function statusOnPage(html: string, areaSlug: string, componentName: string): string | null {
  const section = new RegExp(`id="zona-${areaSlug}"[\\s\\S]*?</section>`).exec(html)?.[0] ?? '';
  const name = componentName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const row = new RegExp(`<strong[^>]*>${name}</strong>\\s*<span class="status status-(\\w+)"`).exec(section);
  return row?.[1] ?? null;
}
