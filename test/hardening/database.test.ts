// The server's worst days on disk. Another process holding the write lock, a full
// disk (for SQLite and for the .eml outbox), a corrupted file at start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { startTestServer } from '../support/server.ts';
import { tempDatabasePath, testApp } from '../support/db.ts';
import { workers as defaultWorkers } from '../../api/workers/index.ts';
import { openDatabase, withoutWaiting } from '#db/client.ts';
import { importSubscribers } from '#db/commands/subscribers.ts';
import { createIncident } from '#db/commands/incidents.ts';
import { drainOutbox } from '#db/outbox/worker.ts';
import { fileTransport } from '../../api/email/file.ts';
import { projectRoot } from '../../api/paths.ts';
import { addUser, ConsoleClient, hiddenValue } from '../console/support.ts';

const incident = (name: string, body = 'Cuadrilla en camino.') => ({
  name,
  status: 'investigating',
  impact: 'major',
  body,
  components: { 'metepec-fibra': 'major_outage' },
});
const count = (db: { $client: Database.Database }, table: string) =>
  (db.$client.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

async function until(check: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condición no alcanzada');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('another process holds the write lock (BEGIN IMMEDIATE on a second connection)', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let path: string;
  beforeAll(async () => {
    path = tempDatabasePath();
    const db = openDatabase(path);
    const { seedDemoCatalogue } = await import('#db/seed.ts');
    seedDemoCatalogue(db, new Date('2026-08-01T12:00:00Z'));
    // The real background workers (email to .eml beside the database, webhooks, maintenance scheduler).
    server = await startTestServer({ db, workers: defaultWorkers, config: { databasePath: path } });
    importSubscribers(db, [{ email: 'guardia@cliente.mx' }], {
      now: new Date(),
      actor: { kind: 'cli', name: 'pruebas' },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('cached pages keep answering at once, writes answer 503 with Retry-After, and everything resumes after', async () => {
    expect((await fetch(`${server.url}/status.txt`)).status).toBe(200);
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    try {
      const latencies: number[] = [];
      const stopAt = Date.now() + 3000;
      const reads = (async () => {
        while (Date.now() < stopAt) {
          const started = performance.now();
          const res = await fetch(`${server.url}/status.txt`);
          await res.text();
          expect(res.status).toBe(200);
          latencies.push(performance.now() - started);
        }
      })();
      await new Promise((r) => setTimeout(r, 500));
      // A read with a token is not a write, even the first time the token is used (its last-use
      // bookkeeping is skipped, not waited for): before, 503 database_busy.
      const read = await server.api('GET', '/api/v1/components');
      expect(read.status).toBe(200);
      const writeStarted = performance.now();
      const write = await server.api('POST', '/api/v1/incidents', incident('Corte durante el bloqueo'));
      const writeMs = performance.now() - writeStarted;
      expect(write.status).toBe(503);
      expect(write.headers.get('retry-after')).toBe('5');
      expect((await write.json()).error).toMatchObject({
        code: 'database_busy',
        message: expect.stringContaining('ocupada'),
      });
      expect(writeMs).toBeLessThan(1500);
      const form = await fetch(`${server.url}/suscribirse`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
        body: 'email=otro%40cliente.mx&alcance=todas',
      });
      expect(form.status).toBe(503);
      expect(await form.text()).toContain('La base de datos está ocupada');
      await reads;
      latencies.sort((a, b) => a - b);
      // Before: the workers waited busy_timeout (5 s) on the event loop every 1–2 s: 9 answers in 10 s.
      expect(latencies.length).toBeGreaterThan(100);
      expect(latencies[latencies.length >> 1]).toBeLessThan(20);
      expect(latencies.at(-1)!).toBeLessThan(1000);
      expect(count(server.db, 'incidents')).toBe(0);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    const after = await server.api('POST', '/api/v1/incidents', incident('Corte después del bloqueo'));
    expect(after.status).toBe(201);
    // The email worker, which found the database busy for 3 s, delivers the notice.
    await until(
      () =>
        (
          server.db.$client
            .prepare("SELECT count(*) AS n FROM outbox_messages WHERE channel = 'email' AND status = 'sent'")
            .get() as { n: number }
        ).n === 1,
    );
  });
});

describe('console forms while another process holds the write lock', () => {
  it('answer 503 with the busy message where the form shows its errors, save nothing, and work as sent once the lock is gone', async () => {
    const server = await startTestServer();
    try {
      addUser(server.db, 'guardia@somnet.com.mx', 'admin', 'clave-de-la-guardia', { mustChange: false });
      const noc = new ConsoleClient(server.url);
      expect((await noc.login('guardia@somnet.com.mx', 'clave-de-la-guardia')).status).toBe(303);
      const created = await server.api('POST', '/api/v1/incidents', incident('Corte en Metepec'));
      const { id } = await created.json();
      const componentId = (slug: string) =>
        (server.db.$client.prepare('SELECT id FROM components WHERE slug = ?').get(slug) as { id: string }).id;
      // Each form as the browser has it before the lock: its csrf and one-use tokens.
      const forms: Array<[string, Record<string, string>]> = [
        [
          `/noc/incidentes/${id}`,
          {
            status: 'identified',
            body: 'Fibra cortada por obra civil.',
            componente: componentId('metepec-fibra'),
            [`estado_${componentId('metepec-fibra')}`]: 'major_outage',
          },
        ],
        ['/noc/componentes', { [`estado_${componentId('lerma-fibra')}`]: 'degraded_performance' }],
        [
          '/noc/admin/catalogo',
          { accion: 'zona-nueva', zona_nombre: 'Ocoyoacac', zona_slug: '', zona_descripcion: '' },
        ],
      ];
      const prepared = [];
      for (const [path, fields] of forms) {
        const html = await (await noc.get(path)).text();
        prepared.push({
          path,
          fields: { csrf: hiddenValue(html, 'csrf') ?? '', idem: hiddenValue(html, 'idem') ?? '', ...fields },
        });
      }
      const before = {
        updates: count(server.db, 'incident_updates'),
        events: count(server.db, 'component_status_events'),
        groups: count(server.db, 'component_groups'),
      };
      const other = new Database(server.db.$client.name);
      other.exec('BEGIN IMMEDIATE');
      try {
        for (const { path, fields } of prepared) {
          const res = await noc.post(path, fields);
          expect(res.status, path).toBe(503);
          expect(await res.text(), path).toContain('La base de datos está ocupada por otra tarea y no se guardó nada.');
        }
      } finally {
        other.exec('ROLLBACK');
        other.close();
      }
      expect({
        updates: count(server.db, 'incident_updates'),
        events: count(server.db, 'component_status_events'),
        groups: count(server.db, 'component_groups'),
      }).toEqual(before);
      for (const { path, fields } of prepared) expect((await noc.post(path, fields)).status, path).toBe(303);
    } finally {
      await server.close();
    }
  });
});

describe('a SQLite failure outside a command', () => {
  it('answers the same 503 and Retry-After a command gives (one rule: storageRefusal)', async () => {
    const t = testApp();
    // A route of our own that writes outside runCommand, as bookkeeping might.
    t.app.get('/prueba-escritura', (c) => {
      withoutWaiting(t.db, () => t.db.$client.prepare('UPDATE api_tokens SET last_used_at = 1').run());
      return c.text('escrito');
    });
    const other = new Database(t.db.$client.name);
    other.exec('BEGIN IMMEDIATE');
    try {
      const res = await t.app.request('/prueba-escritura');
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect((await res.json()).error).toEqual({ code: 'database_busy', message: expect.stringContaining('ocupada') });
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect((await t.app.request('/prueba-escritura')).status).toBe(200);
  });
});

describe('a full disk', () => {
  it('a write that needs a new page answers 503 storage_full and writes nothing', async () => {
    const server = await startTestServer();
    try {
      const sqlite = server.db.$client;
      const pages = sqlite.pragma('page_count', { simple: true }) as number;
      // SQLite's own limit on the file's size gives the real SQLITE_FULL a full disk gives.
      sqlite.pragma('wal_checkpoint(TRUNCATE)');
      sqlite.pragma(`max_page_count = ${pages}`);
      const res = await server.api(
        'POST',
        '/api/v1/incidents',
        incident('Corte con disco lleno', 'Texto largo. '.repeat(1500)),
      );
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('60');
      expect((await res.json()).error).toMatchObject({
        code: 'storage_full',
        message: expect.stringContaining('espacio en disco'),
      });
      expect(count(server.db, 'incidents')).toBe(0);
      expect(count(server.db, 'incident_updates')).toBe(0);
      sqlite.pragma('max_page_count = 1073741823');
      expect(
        (await server.api('POST', '/api/v1/incidents', incident('Corte con disco lleno', 'Texto largo. '.repeat(1500))))
          .status,
      ).toBe(201);
    } finally {
      await server.close();
    }
  });

  it('.eml outbox: ENOSPC is retried later, not marked failed for good', async () => {
    const t = testApp();
    const dir = join(dirname(t.db.$client.name), 'outbox');
    mkdirSync(dir, { recursive: true });
    importSubscribers(t.db, [{ email: 'disco@cliente.mx' }], {
      now: t.clock.now(),
      actor: { kind: 'cli', name: 'pruebas' },
    });
    createIncident(t.db, incident('Falla') as Parameters<typeof createIncident>[1], {
      now: t.clock.now(),
      actor: { kind: 'cli', name: 'pruebas' },
    });
    const rows = t.db.$client.prepare("SELECT id, kind FROM outbox_messages WHERE channel = 'email'").all() as Array<{
      id: number;
      kind: string;
    }>;
    expect(rows).toHaveLength(1);
    const name = `${String(rows[0].id).padStart(8, '0')}-${rows[0].kind.replace(/[^a-z0-9.]+/gi, '-')}.eml`;
    const file = join(dir, name);
    // /dev/full answers every write with ENOSPC: the real error of a full disk. The transport
    // writes `.<name>.partial` and renames it once complete.
    const partial = join(dir, `.${name}.partial`);
    symlinkSync('/dev/full', partial);
    const logs: string[] = [];
    const transport = fileTransport(t.db, t.deps.config, dir, (line) => logs.push(line));
    await drainOutbox(t.db, transport, { now: t.clock.now });
    const row = () =>
      t.db.$client
        .prepare(
          'SELECT status, attempts, last_error AS lastError, next_attempt_at AS next FROM outbox_messages WHERE id = ?',
        )
        .get(rows[0].id) as { status: string; attempts: number; lastError: string; next: number };
    expect(row()).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: expect.stringContaining('ENOSPC'),
      next: t.clock.now().getTime() + 10_000,
    });
    expect(logs.join('\n')).toContain('se reintentarán');
    // No message cut short is left in the folder: neither a truncated .eml nor the partial file.
    expect(readdirSync(dir)).toEqual([]);
    t.clock.advance(11_000);
    await drainOutbox(t.db, transport, { now: t.clock.now });
    expect(row().status).toBe('sent');
    expect(readFileSync(file, 'utf8')).toContain('To: disco@cliente.mx');
  });
});

describe('a corrupted database file', () => {
  const start = (databasePath: string) =>
    spawnSync(process.execPath, [join(projectRoot, 'api', 'main.ts')], {
      env: { ...process.env, DATABASE_PATH: databasePath, PORT: '1', HOST: '127.0.0.1' },
      encoding: 'utf8',
      timeout: 30_000,
    });

  it('stops the start with one clear line when a page in the middle is damaged', () => {
    const path = tempDatabasePath();
    const source = openDatabase(path);
    const insert = source.$client.prepare(
      "INSERT INTO audit_log (at, actor_kind, actor_name, action, subject_type, subject_id, details) VALUES (?, 'cli', 'pruebas', 'x', 'y', ?, ?)",
    );
    source.$client.transaction(() => {
      for (let i = 0; i < 3000; i++) insert.run(Date.now(), String(i), 'detalle '.repeat(20));
    })();
    source.$client.pragma('wal_checkpoint(TRUNCATE)');
    const pages = source.$client.pragma('page_count', { simple: true }) as number;
    const pageSize = source.$client.pragma('page_size', { simple: true }) as number;
    source.$client.close();
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, pageSize * Math.floor(pages / 2));
    closeSync(fd);
    const result = start(path);
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^No se pudo abrir la base de datos en .*: el archivo está dañado \(PRAGMA quick_check: /);
    expect(lines[0]).toContain('respaldo');
  });

  it('an empty (0-byte) file is a new database, not a damaged one', () => {
    const path = tempDatabasePath();
    writeFileSync(path, '');
    const db = openDatabase(path, { verify: true });
    expect(count(db, 'components')).toBe(0);
    db.$client.close();
    expect(existsSync(path)).toBe(true);
  });
});
