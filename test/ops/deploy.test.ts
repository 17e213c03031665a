// deploy/somnet-status-backup.{service,timer}: the nightly backup backs up the database the server
// uses, into the directory systemd creates for it, and systemd accepts both units.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../api/paths.ts';

const read = (name: string) => readFileSync(join(projectRoot, 'deploy', name), 'utf8');
const server = read('somnet-status.service');
const backup = read('somnet-status-backup.service');
const timer = read('somnet-status-backup.timer');
const directive = (unit: string, name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(unit)?.[1];
const hasSystemd = spawnSync('systemd-analyze', ['--version']).status === 0;

describe('the nightly backup units', () => {
  it('back up the server’s database as its user, into the state directory systemd creates', () => {
    expect(/^Environment=DATABASE_PATH=(.*)$/m.exec(backup)?.[1]).toBe(
      /^Environment=DATABASE_PATH=(.*)$/m.exec(server)?.[1],
    );
    expect(directive(backup, 'User')).toBe(directive(server, 'User'));
    expect(directive(backup, 'EnvironmentFile')).toBe(directive(server, 'EnvironmentFile'));
    expect(directive(backup, 'Type')).toBe('oneshot');
    const state = directive(backup, 'StateDirectory');
    expect(directive(backup, 'ExecStart')).toBe(`/usr/bin/node api/cli.ts backup /var/lib/${state} --keep 14`);
    expect(directive(backup, 'StateDirectoryMode')).toBe('0700');
    expect(directive(timer, 'Persistent')).toBe('true');
  });

  it.skipIf(!hasSystemd)('run every night in the low-impact window, Mexico City time', () => {
    const calendar = directive(timer, 'OnCalendar')!;
    const r = spawnSync('systemd-analyze', ['calendar', '--iterations=2', calendar], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(calendar).toMatch(/^\*-\*-\* 0[0-3]:\d\d:00 America\/Mexico_City$/);
    // Two elapses a day apart.
    const elapses = [...r.stdout.matchAll(/(?:Next elapse|Iter\. #2): \w+ (\S+ \S+) UTC/g)].map((m) =>
      Date.parse(`${m[1].replace(' ', 'T')}Z`),
    );
    expect(elapses).toHaveLength(2);
    expect(elapses[1] - elapses[0]).toBe(86_400_000);
  });

  it.skipIf(!hasSystemd)('pass systemd-analyze verify', () => {
    const verify = spawnSync(
      'systemd-analyze',
      [
        'verify',
        join(projectRoot, 'deploy', 'somnet-status-backup.timer'),
        join(projectRoot, 'deploy', 'somnet-status-backup.service'),
      ],
      { encoding: 'utf8' },
    );
    // A missing /usr/bin/node or user on a build machine is not the units' fault; syntax errors are.
    const problems = verify.stderr
      .split('\n')
      .filter((l) => l.trim() && !/is not executable|No such file|Failed to resolve user|unknown user/i.test(l));
    expect(problems).toEqual([]);
    expect(verify.status).toBe(0);
  });
});
