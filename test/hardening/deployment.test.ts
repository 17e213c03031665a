// What the server leaves on disk and says about transport, as deploy/somnet-status.service runs
// it: a real server process with the usual umask (0022) on a new database. The database and its
// -wal/-shm, and the .eml outbox, are the service's alone (0600 files, 0700 folder); the snapshot
// stays readable by nginx (0644 files, 0755 folders). With PUBLIC_URL on https every answer
// carries Strict-Transport-Security; over plain http it does not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MANIFEST } from '../../api/publish/files.ts';
import { startServerProcess, stopServerProcess, waitFor, type ServerProcess } from '../support/processes.ts';

const work = mkdtempSync(join(tmpdir(), 'somnet-modes-'));
const dbPath = join(work, 'somnet.db');
const publishDir = join(work, 'public');
let server: ServerProcess;
let plain: ServerProcess;

const mode = (path: string) => statSync(path).mode & 0o777;

beforeAll(async () => {
  process.umask(0o022);
  server = await startServerProcess(dbPath, { PUBLISH_DIR: publishDir, PUBLIC_URL: 'https://status.example.test' });
  plain = await startServerProcess(join(work, 'otra.db'), { PUBLIC_URL: 'http://localhost:4321' });
}, 60_000);

afterAll(async () => {
  await stopServerProcess(server);
  await stopServerProcess(plain);
});

describe('file modes', () => {
  it('the database, its -wal and -shm and the .eml outbox are the service’s alone; the snapshot is readable', async () => {
    // A sign-up writes to the database and queues a confirmation email, which the file outbox writes.
    const res = await fetch(`${server.base}/api/v1/subscribers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'noc@cliente.com.mx', components: ['metepec-fibra'] }),
    });
    expect(res.status).toBe(202);
    const outbox = join(work, 'outbox');
    const eml = await waitFor('el .eml de la confirmación', () =>
      existsSync(outbox) ? readdirSync(outbox).find((f) => f.endsWith('.eml')) : undefined,
    );
    await waitFor('la publicación', () => existsSync(join(publishDir, MANIFEST)), 60_000);
    for (const file of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`, join(outbox, eml)])
      expect(mode(file).toString(8), file).toBe('600');
    expect(mode(outbox).toString(8)).toBe('700');
    expect(mode(join(publishDir, 'index.html')).toString(8)).toBe('644');
    expect(mode(join(publishDir, 'index.html.gz')).toString(8)).toBe('644');
    expect(mode(publishDir).toString(8)).toBe('755');
    const nested = readdirSync(publishDir, { withFileTypes: true }).filter((d) => d.isDirectory());
    expect(nested.length).toBeGreaterThan(0);
    for (const d of nested) expect(mode(join(publishDir, d.name)).toString(8), d.name).toBe('755');
  }, 90_000);
});

describe('Strict-Transport-Security', () => {
  it('is on every answer when PUBLIC_URL is https — cached pages, API, errors — and never over plain http', async () => {
    for (const path of ['/', '/historial', '/api/v2/summary.json', '/no-existe', '/noc']) {
      const res = await fetch(`${server.base}${path}`, { redirect: 'manual' });
      expect(res.headers.get('strict-transport-security'), path).toBe('max-age=31536000');
      const other = await fetch(`${plain.base}${path}`, { redirect: 'manual' });
      expect(other.headers.get('strict-transport-security'), path).toBeNull();
    }
  });
});
