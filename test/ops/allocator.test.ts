// The server's allocator settings (api/allocator.ts, issue 28): `npm start` runs with one malloc
// arena unless the operator chose otherwise, in the same process (execve keeps the process id
// systemd watches and the arguments).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../../api/paths.ts';
import { startServerProcess, stopServerProcess, type ServerProcess } from '../support/processes.ts';

const work = mkdtempSync(join(tmpdir(), 'somnet-allocator-'));
let server: ServerProcess;

/** The environment a process runs with now (after any execve), from /proc. */
const environOf = (pid: number) =>
  Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );

beforeAll(async () => {
  // An empty value counts as unset, as glibc reads it.
  server = await startServerProcess(join(work, 'somnet.db'), { MALLOC_ARENA_MAX: '' });
}, 120_000);

afterAll(async () => {
  await stopServerProcess(server);
});

describe.runIf(process.platform === 'linux')('malloc arenas of the server', () => {
  it('npm start serves with MALLOC_ARENA_MAX=1, in the process it was started as', async () => {
    expect((await fetch(`${server.base}/healthz`)).status).toBe(200);
    expect(environOf(server.proc.pid!).MALLOC_ARENA_MAX).toBe('1');
  });

  it('keeps the operator’s own value and the arguments', () => {
    // A script that loads the same first module as api/start.ts, then says what it runs with.
    const script = join(work, 'probe.mjs');
    writeFileSync(
      script,
      `import ${JSON.stringify(pathToFileURL(join(projectRoot, 'api', 'startAllocator.ts')).href)};\n` +
        `console.log(JSON.stringify({ arenas: process.env.MALLOC_ARENA_MAX, args: process.argv.slice(2), pid: process.pid }));\n`,
    );
    const run = (env: Record<string, string>) =>
      JSON.parse(
        execFileSync(process.execPath, [script, 'uno', 'dos'], { env: { ...process.env, ...env }, encoding: 'utf8' }),
      ) as { arenas: string; args: string[] };
    // Printed once: the first start replaced itself before reaching the line.
    expect(run({ MALLOC_ARENA_MAX: '' })).toMatchObject({ arenas: '1', args: ['uno', 'dos'] });
    expect(run({ MALLOC_ARENA_MAX: '4' })).toMatchObject({ arenas: '4', args: ['uno', 'dos'] });
  });
});
