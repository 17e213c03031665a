// A real nginx (Debian's nginx-light) running deploy/nginx.conf with its three defaults
// substituted: its own prefix, config, pid and logs in a temp dir, in the foreground
// (`daemon off`), on a free port; stop() ends it by its pid.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../api/paths.ts';
import { freePort } from './ports.ts';
export { freePort };

export const nginxBinary = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((b) => spawnSync(b, ['-v']).status === 0);

/** deploy/nginx.conf with its `listen 80;`, root and Node upstream directives replaced. */
export function shippedConfig(options: { port: number; root: string; nodePort: number }): string {
  let conf = readFileSync(join(projectRoot, 'deploy', 'nginx.conf'), 'utf8');
  const directives: Array<[RegExp, string]> = [
    [/^(\s*)listen 80;$/m, `listen 127.0.0.1:${options.port};`],
    [/^(\s*)root \/var\/lib\/somnet-status\/public;$/m, `root ${options.root};`],
    [/^(\s*)server 127\.0\.0\.1:4321;$/m, `server 127.0.0.1:${options.nodePort};`],
  ];
  for (const [pattern, replacement] of directives) {
    if (!pattern.test(conf)) throw new Error(`deploy/nginx.conf ya no tiene la directiva ${pattern}`);
    conf = conf.replace(pattern, (_m, indent: string) => `${indent}${replacement}`);
  }
  return conf;
}

export interface RunningNginx {
  url: string;
  port: number;
  dir: string;
  errorLog(): string;
  stop(): Promise<void>;
}

/** Starts nginx with `serverBlock` included from http { }. */
export async function startNginx(
  serverBlock: (port: number) => string,
  options: { workers?: number } = {},
): Promise<RunningNginx> {
  if (!nginxBinary)
    throw new Error('nginx no está instalado (Debian: apt-get install -y nginx-light; .ci/run lo instala).');
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'somnet-nginx-'));
    chmodSync(dir, 0o755);
    const temp = join(dir, 'tmp');
    mkdirSync(temp);
    writeFileSync(join(dir, 'site.conf'), serverBlock(port));
    writeFileSync(
      join(dir, 'nginx.conf'),
      [
        `worker_processes ${options.workers ?? 1};`,
        'daemon off;',
        `pid ${join(dir, 'nginx.pid')};`,
        `error_log ${join(dir, 'error.log')} warn;`,
        'events { worker_connections 1024; }',
        'http {',
        '  access_log off;',
        '  sendfile on; tcp_nopush on; keepalive_requests 100000;',
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${join(temp, k)};`),
        `  include ${join(dir, 'site.conf')};`,
        '}',
        '',
      ].join('\n'),
    );
    const child: ChildProcess = spawn(nginxBinary, ['-p', dir, '-c', join(dir, 'nginx.conf')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    const errorLog = () => {
      try {
        return readFileSync(join(dir, 'error.log'), 'utf8');
      } catch {
        return '';
      }
    };
    const stop = () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    // Up once it accepts a connection; a port taken meanwhile makes it exit: try another.
    const deadline = Date.now() + 10_000;
    let up = false;
    while (!up && Date.now() < deadline && child.exitCode === null) {
      up = await new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (!up) await new Promise((r) => setTimeout(r, 20));
    }
    if (up) return { url: `http://127.0.0.1:${port}`, port, dir, errorLog, stop };
    await stop();
    if (attempt >= 2 || !/in use/.test(stderr + errorLog()))
      throw new Error(`nginx no arrancó:\n${stderr}${errorLog()}`);
  }
}
