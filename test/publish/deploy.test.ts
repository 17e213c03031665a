// deploy/: the systemd unit and the nginx server block describe one installation. The unit's
// PUBLISH_DIR is the directory nginx serves, and its HOST:PORT the upstream nginx proxies to;
// the server accepts its settings, and systemd the unit where systemd-analyze is installed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../api/paths.ts';
import { loadConfig } from '../../api/config.ts';
import { nginxBinary, shippedConfig } from '../support/nginx.ts';

const unit = readFileSync(join(projectRoot, 'deploy', 'somnet-status.service'), 'utf8');
const nginx = readFileSync(join(projectRoot, 'deploy', 'nginx.conf'), 'utf8');
const env = Object.fromEntries([...unit.matchAll(/^Environment=([A-Z_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]));

describe('deploy/somnet-status.service', () => {
  it('publishes into the directory nginx serves and listens where nginx proxies', () => {
    expect(nginx).toMatch(new RegExp(`^\\s*root ${env.PUBLISH_DIR};$`, 'm'));
    expect(nginx).toMatch(new RegExp(`^\\s*server ${env.HOST}:${env.PORT};$`, 'm'));
    expect(env.HOST).toBe('127.0.0.1');
    expect(unit).toMatch(/^ExecStart=\S*node (--\S+ )*api\/start\.ts$/m);
    expect(unit).toMatch(/^Restart=always$/m);
  });

  it('runs the server with the memory settings of npm start (the same Node.js flags and malloc arenas)', () => {
    const start = (
      JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: { start: string } }
    ).scripts.start;
    const flags = (line: string) => /\bnode((?: --\S+)*) api\/start\.ts/.exec(line)?.[1].trim();
    expect(flags(start)).toContain('--max-semi-space-size=');
    expect(flags(/^ExecStart=(.*)$/m.exec(unit)![1])).toBe(flags(start));
    expect(start).toContain(`MALLOC_ARENA_MAX=\${MALLOC_ARENA_MAX:-${env.MALLOC_ARENA_MAX}}`);
  });

  it('bounds V8’s young generation at 16 MB with those flags, however much garbage a burst makes', () => {
    const flags = /\bnode((?: --\S+)*) api\/start\.ts/.exec(unit)![1].trim().split(' ');
    // Short-lived objects by the million, as a full publish's renders make: the new space grows to its maximum.
    const burst = `let keep = []; for (let i = 0; i < 3e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 200000) keep = []; }
      const space = require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
      console.log(space.space_size);`;
    const newSpaceMb = (args: string[]) =>
      Number(spawnSync(process.execPath, [...args, '-e', burst], { encoding: 'utf8' }).stdout) / 1048576;
    // Two semi-spaces of 8 MB: the burst reaches the bound and stays there (on a machine of a few GB
    // Node 24's own bound is 2 × 64 MB).
    expect(newSpaceMb(flags)).toBe(16);
  });

  it('sets values the server accepts, and they mean what nginx expects', () => {
    const config = loadConfig(env);
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 4321,
      publishDir: env.PUBLISH_DIR,
      databasePath: env.DATABASE_PATH,
      publicUrl: 'https://status.somnet.com.mx',
    });
  });

  it.skipIf(spawnSync('systemd-analyze', ['--version']).status !== 0)('passes systemd-analyze verify', () => {
    const verify = spawnSync('systemd-analyze', ['verify', join(projectRoot, 'deploy', 'somnet-status.service')], {
      encoding: 'utf8',
    });
    // A missing /usr/bin/node or user on a build machine is not the unit's fault; syntax errors are.
    const problems = verify.stderr
      .split('\n')
      .filter((l) => l.trim() && !/is not executable|No such file|Failed to resolve user|unknown user/i.test(l));
    expect(problems).toEqual([]);
  });
});

describe('deploy/nginx.conf', () => {
  it.skipIf(!nginxBinary)('passes nginx -t without a warning (docs: nginx -t && systemctl reload nginx)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'somnet-nginx-t-'));
    mkdirSync(join(dir, 'public'));
    writeFileSync(join(dir, 'site.conf'), shippedConfig({ port: 8080, root: join(dir, 'public'), nodePort: 4321 }));
    writeFileSync(
      join(dir, 'nginx.conf'),
      `pid ${join(dir, 'nginx.pid')};\nerror_log ${join(dir, 'error.log')} warn;\nevents {}\nhttp { include ${join(dir, 'site.conf')}; }\n`,
    );
    const check = spawnSync(nginxBinary!, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    expect(check.stderr.split('\n').filter((l) => /\[(warn|emerg|alert|crit|error)\]/.test(l))).toEqual([]);
  });
});
