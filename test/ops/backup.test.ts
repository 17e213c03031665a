// Backups: `npm run noc -- backup DIR` while a real server process writes through the
// API, then `restore` into a fresh directory and a server started on it: every update committed
// before the backup's instant is there, none after it, and nothing in between is missing. Then the
// refusals (a server using the database, files that are not sound backups) and the migrations.
import { execFile, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../api/paths.ts';
import { MANIFEST } from '../../api/publish/files.ts';
import { applyMigrations, migrationsFolder, openDatabase } from '#db/client.ts';
import { seedDemoCatalogue } from '#db/seed.ts';
import { createApiToken } from '#db/commands/tokens.ts';
import { importSubscribers, MAX_IMPORT_ROWS } from '#db/commands/subscribers.ts';
import { backupDatabase, backupFileName } from '#db/backup/backup.ts';
import { restoreDatabase } from '#db/backup/restore.ts';
import { startServerProcess, stopServerProcess } from '../support/processes.ts';

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

const noc = (databasePath: string, ...args: string[]) =>
  new Promise<Run>((resolve) =>
    execFile(
      process.execPath,
      [join(projectRoot, 'api', 'cli.ts'), ...args],
      { env: { ...process.env, DATABASE_PATH: databasePath }, encoding: 'utf8' },
      (err, stdout, stderr) =>
        resolve({ status: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    ),
  );

interface ServerProcess {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

const running: ServerProcess[] = [];
afterAll(async () => {
  for (const s of running) await s.stop();
});

/** `node api/start.ts`, as systemd runs it, on a free port (test/support/processes.ts). */
async function startServer(env: { DATABASE_PATH: string } & Record<string, string>): Promise<ServerProcess> {
  const { DATABASE_PATH, ...rest } = env;
  const child = await startServerProcess(DATABASE_PATH, rest);
  const server: ServerProcess = { url: child.base, proc: child.proc, stop: () => stopServerProcess(child) };
  running.push(server);
  return server;
}

/** Polls `check` for up to a minute. */
async function eventually(check: () => boolean): Promise<boolean> {
  const deadline = Date.now() + 60_000;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
  return true;
}

const work = mkdtempSync(join(tmpdir(), 'somnet-backup-'));

describe('a backup taken while a server writes, restored into a fresh directory', () => {
  it('holds exactly the updates committed before its instant, and a server started on it shows them', async () => {
    // A database of a few MB (20,000 subscribers), so the copy takes a while. The updates notify
    // nobody: 20,000 emails each would be another test.
    const livePath = join(work, 'live', 'somnet.db');
    mkdirSync(join(work, 'live'));
    const db = openDatabase(livePath);
    const now = new Date();
    seedDemoCatalogue(db, now);
    for (let part = 0; part < 20_000; part += MAX_IMPORT_ROWS)
      importSubscribers(
        db,
        Array.from({ length: MAX_IMPORT_ROWS }, (_, i) => ({ email: `contacto${part + i}@cliente${i % 97}.mx` })),
        { now, actor: { kind: 'cli', name: 'pruebas' } },
      );
    const { token } = createApiToken(db, 'pruebas', now);
    db.$client.close();
    const publishDir = join(work, 'public');
    const live = await startServer({ DATABASE_PATH: livePath, PUBLISH_DIR: publishDir });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${live.url}/api/v1/incidents`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: 'Corte de fibra en Metepec',
        status: 'investigating',
        body: 'Actualización 0',
        components: { 'metepec-fibra': 'major_outage' },
        deliver_notifications: false,
      }),
    });
    expect(created.status).toBe(201);
    const incidentId = ((await created.json()) as { id: string }).id;

    // One writer, one update at a time: commit order is number order.
    const sent: number[] = [];
    const acked: number[] = [];
    let stop = false;
    const writer = (async () => {
      for (let n = 1; !stop; n++) {
        sent.push(Date.now());
        const res = await fetch(`${live.url}/api/v1/incidents/${incidentId}/updates`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ status: 'identified', body: `Actualización ${n}`, deliver_notifications: false }),
        });
        expect(res.status).toBe(201);
        acked.push(Date.now());
      }
    })();
    expect(await eventually(() => acked.length >= 10)).toBe(true);
    const backupDir = join(work, 'respaldos');
    const began = Date.now();
    const backup = await noc(livePath, 'backup', backupDir);
    const ended = Date.now();
    const more = acked.length + 10;
    expect(await eventually(() => acked.length >= more)).toBe(true);
    stop = true;
    await writer;
    expect(backup.status, backup.stderr).toBe(0);

    // It says which file, and its size.
    const files = readdirSync(backupDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^somnet-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z\.db$/);
    const file = join(backupDir, files[0]);
    const lines = backup.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Respaldo verificado \(PRAGMA integrity_check: ok\)/);
    expect(lines.at(-1)).toBe(
      `${file}\t${statSync(file).size} bytes (${(statSync(file).size / 1024 / 1024).toFixed(1)} MB)`,
    );
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(existsSync(`${file}-wal`)).toBe(false);

    const ackedBefore = acked.filter((t) => t < began).length;
    const sentBefore = sent.filter((t) => t <= ended).length;
    expect(ackedBefore).toBeGreaterThanOrEqual(10);
    expect(acked.length).toBeGreaterThan(sentBefore); // writes went on after the backup

    // Restored into a fresh directory, served by a fresh server.
    const freshPath = join(work, 'nuevo', 'somnet.db');
    const restore = await noc(freshPath, 'restore', file);
    expect(restore.status, restore.stderr).toBe(0);
    expect(restore.stdout).not.toContain('quedó en'); // nothing was there to keep aside
    const fresh = await startServer({ DATABASE_PATH: freshPath });
    const res = await fetch(`${fresh.url}/api/v1/incidents/${incidentId}`, { headers });
    expect(res.status).toBe(200);
    const bodies = ((await res.json()) as { incident_updates: Array<{ body: string }> }).incident_updates.map((u) =>
      Number(/^Actualización (\d+)$/.exec(u.body)![1]),
    );
    const restored = bodies.sort((a, b) => a - b);
    const m = restored.at(-1)!;
    // 0..m, none missing: one instant of the database.
    expect(restored).toEqual(Array.from({ length: m + 1 }, (_, i) => i));
    // Every update acknowledged before the backup began is there; none sent after it ended is.
    expect(m).toBeGreaterThanOrEqual(ackedBefore);
    expect(m).toBeLessThanOrEqual(sentBefore);
    // The subscribers came along (20,000 rows the copy had to carry).
    const subscribers = await fetch(`${fresh.url}/api/v1/subscribers?limit=1`, { headers });
    expect(subscribers.status).toBe(200);
    await fresh.stop();

    // --- Restoring over the live database -------------------------------------------------------
    // Refused while the server has it open, naming the process; nothing moves.
    const refused = await noc(livePath, 'restore', file);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/está en uso por otro proceso/);
    expect(refused.stderr).toContain(`PID ${live.proc.pid}`);
    expect(readdirSync(join(work, 'live')).filter((f) => f.includes('before-restore'))).toEqual([]);
    const still = await fetch(`${live.url}/api/v1/incidents/${incidentId}/updates`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        status: 'monitoring',
        body: 'Después del intento de restaurar',
        deliver_notifications: false,
      }),
    });
    expect(still.status).toBe(201);
    const page = join(publishDir, 'incidentes', incidentId, 'index.html');
    const published = (text: string) => existsSync(page) && readFileSync(page, 'utf8').includes(text);
    expect(await eventually(() => published('Después del intento de restaurar'))).toBe(true);

    // With the server stopped: restored, the current database kept aside, and the next start
    // publishes the snapshot again from the restored data.
    await live.stop();
    const done = await noc(livePath, 'restore', file);
    expect(done.status, done.stderr).toBe(0);
    const aside = readdirSync(join(work, 'live')).filter((f) => f.startsWith('somnet.db.before-restore-'));
    expect(aside).toHaveLength(1);
    expect(done.stdout).toContain(join(work, 'live', aside[0]));
    const kept = new Database(join(work, 'live', aside[0]), { readonly: true });
    expect(
      kept
        .prepare("SELECT count(*) FROM incident_updates WHERE body = 'Después del intento de restaurar'")
        .pluck()
        .get(),
    ).toBe(1);
    kept.close();
    const again = await startServer({ DATABASE_PATH: livePath, PUBLISH_DIR: publishDir });
    expect(await eventually(() => !published('Después del intento de restaurar'))).toBe(true);
    expect(published(`>Actualización ${m}<`)).toBe(true);
    expect(published(`>Actualización ${m + 1}<`)).toBe(false);
    expect(existsSync(join(publishDir, MANIFEST))).toBe(true);
    await again.stop();
  }, 240_000);
});

describe('backup and restore, case by case', () => {
  const dbPath = join(work, 'casos', 'somnet.db');
  mkdirSync(join(work, 'casos'));
  const db = openDatabase(dbPath);
  seedDemoCatalogue(db, new Date());
  db.$client.close();

  it('keeps the last --keep N backups by their time, and never touches other files', async () => {
    const dir = join(work, 'retencion');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notas.txt'), 'no es un respaldo');
    writeFileSync(join(dir, 'somnet-2020-01-01T00-00-00Z.db.bak'), '');
    let t = Date.parse('2026-11-20T10:00:00Z');
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await backupDatabase(dbPath, dir, { keep: 3, now: () => new Date((t += 86_400_000)) });
      made.push(r.file);
    }
    expect(readdirSync(dir).sort()).toEqual(
      [
        'notas.txt',
        'somnet-2020-01-01T00-00-00Z.db.bak',
        backupFileName(new Date('2026-11-23T10:00:00Z')),
        backupFileName(new Date('2026-11-24T10:00:00Z')),
        backupFileName(new Date('2026-11-25T10:00:00Z')),
      ].sort(),
    );
    expect(made.at(-1)).toBe(join(dir, 'somnet-2026-11-25T10-00-00Z.db'));
  });

  it('refuses bad arguments with the usage (exit 2)', async () => {
    const [noDir, keepZero, keepOnRestore] = await Promise.all([
      noc(dbPath, 'backup'),
      noc(dbPath, 'backup', join(work, 'x'), '--keep', '0'),
      noc(dbPath, 'restore', join(work, 'x.db'), '--keep', '3'),
    ]);
    for (const r of [noDir, keepZero, keepOnRestore]) {
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('Uso: npm run --silent noc');
    }
  }, 60_000);

  it('refuses to restore what is not a sound backup of this site, leaving the database as it was', async () => {
    const target = join(work, 'destino', 'somnet.db');
    mkdirSync(join(work, 'destino'));
    copyFileSync(dbPath, target);
    const before = readFileSync(target);

    const text = join(work, 'texto.db');
    writeFileSync(text, 'esto no es una base de datos '.repeat(200));
    await expect(restoreDatabase(text, target)).rejects.toThrow(/no es una base de datos SQLite/);

    const foreign = join(work, 'ajena.db');
    const other = new Database(foreign);
    other.exec('CREATE TABLE t (x)');
    other.close();
    await expect(restoreDatabase(foreign, target)).rejects.toThrow(/no es un respaldo de SOMNET Estado/);

    // A backup with a page overwritten in the middle of a table.
    const damaged = join(work, 'danado.db');
    const good = (await backupDatabase(dbPath, join(work, 'para-danar'))).file;
    const bytes = readFileSync(good);
    const pageSize = bytes.readUInt16BE(16);
    bytes.fill(0x5a, pageSize * 3 + 100, pageSize * 4);
    writeFileSync(damaged, bytes);
    await expect(restoreDatabase(damaged, target)).rejects.toThrow(/está dañado|no es una base de datos/);

    // Written by a newer version: it has a migration this code does not know.
    const newer = join(work, 'nueva.db');
    copyFileSync(good, newer);
    const n = new Database(newer);
    n.prepare('INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)').run('futura', 4102444800000);
    n.close();
    await expect(restoreDatabase(newer, target)).rejects.toThrow(/versión más nueva/);

    await expect(restoreDatabase(target, target)).rejects.toThrow(/mismo archivo/);
    expect(readFileSync(target).equals(before)).toBe(true);
    expect(readdirSync(join(work, 'destino'))).toEqual(['somnet.db']);
  });

  it('migrates a backup taken by an older version', async () => {
    // A database built with all but the last two migrations, as an older release left it.
    const folder = join(work, 'migraciones-viejas');
    cpSync(migrationsFolder, folder, { recursive: true });
    const journalPath = join(folder, 'meta', '_journal.json');
    const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: unknown[] };
    const total = journal.entries.length;
    journal.entries = journal.entries.slice(0, total - 2);
    writeFileSync(journalPath, JSON.stringify(journal));
    const oldPath = join(work, 'vieja', 'somnet.db');
    const old = openDatabase(oldPath, { migrate: false });
    applyMigrations(old, folder);
    old.$client.close();
    const file = (await backupDatabase(oldPath, join(work, 'respaldos-viejos'))).file;

    const target = join(work, 'migrada', 'somnet.db');
    const result = await restoreDatabase(file, target);
    expect(result.migrated).toBe(2);
    const restored = new Database(target, { readonly: true });
    expect(restored.prepare('SELECT count(*) FROM __drizzle_migrations').pluck().get()).toBe(total);
    restored.close();
    // The server opens it as it opens any database.
    openDatabase(target, { verify: true }).$client.close();
  });
});
