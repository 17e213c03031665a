// A server run as npm start and the systemd unit run it gives back the memory of its full publish
// at the end (one last-resort GC, api/publish/publisher.ts): a real server process on a new
// database, with npm start's Node.js flags (package.json) through NODE_OPTIONS, publishing into
// an empty PUBLISH_DIR. Without --expose-gc the server cannot, and says nothing.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../api/paths.ts';
import { startServerProcess, stopServerProcess, waitFor, type ServerProcess } from '../support/processes.ts';

const work = mkdtempSync(join(tmpdir(), 'somnet-memory-'));
const started: ServerProcess[] = [];
const start = (name: string, nodeOptions: string) =>
  startServerProcess(join(work, `${name}.db`), {
    PUBLISH_DIR: join(work, name),
    PUBLIC_URL: 'https://status.example.test',
    NODE_OPTIONS: nodeOptions,
  }).then((s) => (started.push(s), s));

afterAll(async () => {
  for (const s of started) await stopServerProcess(s);
});

const npmStartFlags = /\bnode((?: --\S+)*) api\/start\.ts/
  .exec(
    (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts
      .start,
  )![1]
  .trim();

describe('the memory of a full publish', () => {
  it('is given back at its end by a server run with npm start’s flags', async () => {
    expect(npmStartFlags).toContain('--expose-gc');
    const server = await start('flags', npmStartFlags);
    const line = await waitFor(
      'la publicación completa',
      () =>
        /Publicación completa en[\s\S]*memoria de la publicación completa devuelta \(GC de (\d+) ms\)/.exec(
          server.output(),
        ) ?? undefined,
      60_000,
    );
    // A pause of the event loop once per full publish: short on the demo database.
    expect(Number(line[1])).toBeLessThan(2000);
  }, 120_000);

  it('is not collected by force without --expose-gc (the flag is what makes it happen)', async () => {
    const server = await start('plain', '');
    await waitFor('la publicación completa', () => /Publicación completa en/.test(server.output()), 60_000);
    // The server's GC comes two seconds after the publish when it can.
    await new Promise((r) => setTimeout(r, 3500));
    expect(server.output()).not.toContain('memoria de la publicación completa devuelta');
  }, 120_000);
});
