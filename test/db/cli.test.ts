// The `npm run noc` CLI, run as the real process it is (exit status, stdout, stderr).
//
// Each run is a cold Node start (about 0.7 s quiet, several seconds on a loaded 2-core machine:
// the file once took 30 s with nine runs in a row). So the database is migrated here, in the test
// process, before the first run; runs that do not depend on each other go together; and each test
// states its own budget from the number of runs it waits for in sequence.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../api/paths.ts';
import { createApp } from '../../api/app.ts';
import { openDatabase } from '#db/client.ts';
import { tempDatabasePath, testConfig } from '../support/db.ts';

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

const noc = (dbPath: string, ...args: string[]) =>
  new Promise<Run>((resolve) => {
    execFile(
      process.execPath,
      [join(projectRoot, 'api', 'cli.ts'), ...args],
      { env: { ...process.env, DATABASE_PATH: dbPath }, encoding: 'utf8' },
      (err, stdout, stderr) => {
        resolve({ status: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
      },
    );
  });

/** A migrated database, so no CLI run pays for the migrations. */
function migratedDatabase() {
  const dbPath = tempDatabasePath();
  const db = openDatabase(dbPath);
  return { dbPath, db };
}

/** CLI runs a test waits for (runs started together on 2 cores count about double) × the worst cold start seen under load, plus margin. */
const budget = (sequentialRuns: number) => sequentialRuns * 12_000 + 10_000;

describe('npm run noc -- token …', () => {
  it(
    'create prints the token alone on the last line; only its hash is stored; it authenticates',
    async () => {
      const { dbPath, db } = migratedDatabase();
      const created = await noc(dbPath, 'token', 'create', '--name', 'guardia-noc');
      expect(created.status, created.stderr).toBe(0);
      const lines = created.stdout.trim().split('\n');
      const token = lines[lines.length - 1];
      expect(token).toMatch(/^snt_[A-Za-z0-9_-]{43}$/);
      const stored = db.$client.prepare('SELECT token_hash FROM api_tokens').pluck().all() as string[];
      expect(stored).toHaveLength(1);
      expect(stored[0]).not.toContain(token);
      expect(stored[0]).toMatch(/^[0-9a-f]{64}$/);
      const { app } = createApp({ db, config: testConfig });
      const ok = await app.request('/api/v1/components', { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);

      // Listing and a second create of the same name change nothing: run them together.
      const [list, duplicate] = await Promise.all([
        noc(dbPath, 'token', 'list'),
        noc(dbPath, 'token', 'create', '--name', 'guardia-noc'),
      ]);
      expect(list.stdout).toMatch(/^guardia-noc\t/m);
      expect(list.stdout).not.toContain(token);
      expect(duplicate.status).toBe(1);

      const revoked = await noc(dbPath, 'token', 'revoke', 'guardia-noc');
      expect(revoked.status, revoked.stderr).toBe(0);
      const denied = await app.request('/api/v1/components', { headers: { authorization: `Bearer ${token}` } });
      expect(denied.status).toBe(401);
      expect((await noc(dbPath, 'token', 'revoke', 'guardia-noc')).status).toBe(1);
      const audit = db.$client
        .prepare("SELECT action FROM audit_log WHERE subject_type = 'token' ORDER BY id")
        .pluck()
        .all();
      expect(audit).toEqual(['token.create', 'token.revoke']);
      db.$client.close();
    },
    budget(5),
  );

  it(
    'explains usage for unknown commands and missing arguments',
    async () => {
      const { dbPath, db } = migratedDatabase();
      const [unknown, missing, invalid] = await Promise.all([
        noc(dbPath, 'token', 'explode'),
        noc(dbPath, 'token', 'create'),
        noc(dbPath, 'token', 'create', '--name', 'con espacios'),
      ]);
      expect(unknown.status).toBe(2);
      expect(unknown.stderr).toMatch(/Comando desconocido/);
      expect(missing.status).toBe(2);
      expect(missing.stderr).toMatch(/Falta --name/);
      expect(invalid.status).toBe(1);
      expect(db.$client.prepare('SELECT count(*) FROM api_tokens').pluck().get()).toBe(0);
      db.$client.close();
    },
    budget(2),
  );
});
