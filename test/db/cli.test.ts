import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../api/paths.ts';
import { createApp } from '../../api/app.ts';
import { openDatabase } from '../../db/client.ts';
import { tempDatabasePath, testConfig } from '../support/db.ts';

const noc = (dbPath: string, ...args: string[]) =>
  spawnSync(process.execPath, [join(projectRoot, 'api', 'cli.ts'), ...args], { env: { ...process.env, DATABASE_PATH: dbPath }, encoding: 'utf8' });

describe('npm run noc -- token …', () => {
  it('create prints the token alone on the last line; only its hash is stored; it authenticates', async () => {
    const dbPath = tempDatabasePath();
    const created = noc(dbPath, 'token', 'create', '--name', 'guardia-noc');
    expect(created.status).toBe(0);
    const lines = created.stdout.trim().split('\n');
    const token = lines[lines.length - 1];
    expect(token).toMatch(/^snt_[A-Za-z0-9_-]{43}$/);
    const db = openDatabase(dbPath);
    const stored = db.$client.prepare('SELECT token_hash FROM api_tokens').pluck().all() as string[];
    expect(stored).toHaveLength(1);
    expect(stored[0]).not.toContain(token);
    expect(stored[0]).toMatch(/^[0-9a-f]{64}$/);
    const { app } = createApp({ db, config: testConfig });
    const ok = await app.request('/api/v1/components', { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);

    const list = noc(dbPath, 'token', 'list');
    expect(list.stdout).toMatch(/^guardia-noc\t/m);
    expect(list.stdout).not.toContain(token);

    expect(noc(dbPath, 'token', 'create', '--name', 'guardia-noc').status).toBe(1);
    const revoked = noc(dbPath, 'token', 'revoke', 'guardia-noc');
    expect(revoked.status).toBe(0);
    const denied = await app.request('/api/v1/components', { headers: { authorization: `Bearer ${token}` } });
    expect(denied.status).toBe(401);
    expect(noc(dbPath, 'token', 'revoke', 'guardia-noc').status).toBe(1);
    const audit = db.$client.prepare("SELECT action FROM audit_log WHERE subject_type = 'token' ORDER BY id").pluck().all();
    expect(audit).toEqual(['token.create', 'token.revoke']);
  });

  it('explains usage for unknown commands and missing arguments', () => {
    const dbPath = tempDatabasePath();
    const unknown = noc(dbPath, 'token', 'explode');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/Comando desconocido/);
    expect(noc(dbPath, 'token', 'create').stderr).toMatch(/Falta --name/);
    expect(noc(dbPath, 'token', 'create', '--name', 'con espacios').status).toBe(1);
  });
});
