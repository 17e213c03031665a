import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { applyMigrations, migrationsFolder, openDatabase } from '#db/client.ts';
import { seedDemoCatalogue } from '#db/seed.ts';
import { tempDatabasePath } from '../support/db.ts';

describe('migrations', () => {
  it('create every table on an empty database, with WAL, foreign keys and a busy timeout', () => {
    const db = openDatabase(tempDatabasePath());
    const tables = db.$client.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").pluck().all();
    expect(tables).toEqual(
      expect.arrayContaining([
        'component_groups',
        'components',
        'component_status_events',
        'incidents',
        'incident_updates',
        'incident_update_transitions',
        'incident_components',
        'api_tokens',
        'app_meta',
        'outbox_messages',
        'audit_log',
      ]),
    );
    expect(db.$client.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.$client.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.$client.pragma('busy_timeout', { simple: true })).toBe(5000);
  });

  it('upgrade an existing database in place, keeping its data', () => {
    const path = tempDatabasePath();
    // A database made by the first release: only the first migration applied.
    const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8'));
    expect(journal.entries.length).toBeGreaterThan(1);
    const oldFolder = mkdtempSync(join(tmpdir(), 'somnet-old-migrations-'));
    cpSync(migrationsFolder, oldFolder, { recursive: true });
    writeFileSync(
      join(oldFolder, 'meta', '_journal.json'),
      JSON.stringify({ ...journal, entries: journal.entries.slice(0, 1) }),
    );
    const old = openDatabase(path, { migrate: false });
    applyMigrations(old, oldFolder);
    // Data written by that release's code, as plain SQL (today's commands need today's tables).
    old.$client.exec(`
      INSERT INTO component_groups (id, slug, name, position, created_at, updated_at) VALUES ('g1', 'toluca', 'Toluca', 1, 0, 0);
      INSERT INTO components (id, slug, name, group_id, position, status, created_at, updated_at) VALUES
        ('c1', 'toluca-fibra', 'Fibra óptica', 'g1', 1, 'major_outage', 0, 0),
        ('c2', 'toluca-inalambrico', 'Inalámbrico (microondas)', 'g1', 2, 'operational', 0, 0);
      INSERT INTO component_status_events (component_id, previous_status, status, at, cause_kind) VALUES
        ('c1', NULL, 'operational', 0, 'seed'), ('c2', NULL, 'operational', 0, 'seed');
      INSERT INTO incidents (id, name, status, impact, started_at, created_at, updated_at) VALUES ('i1', 'Corte', 'identified', 'critical', 0, 0, 0);
      INSERT INTO incident_components VALUES ('i1', 'c1');
    `);
    const before = old.$client.prepare('SELECT count(*) FROM components').pluck().get();
    old.$client.close();

    const db = openDatabase(path);
    expect(db.$client.prepare('SELECT count(*) FROM components').pluck().get()).toBe(before);
    expect(db.$client.prepare('SELECT count(*) FROM component_status_events').pluck().get()).toBe(2);
    expect(db.$client.prepare('SELECT count(*) FROM incident_components').pluck().get()).toBe(1);
    expect(db.$client.prepare("SELECT status FROM components WHERE id = 'c1'").pluck().get()).toBe('major_outage');
    const applied = db.$client.prepare('SELECT count(*) FROM __drizzle_migrations').pluck().get();
    expect(applied).toBe(journal.entries.length);
    // Running again is a no-op.
    db.$client.close();
    expect(openDatabase(path).$client.prepare('SELECT count(*) FROM __drizzle_migrations').pluck().get()).toBe(applied);
  });

  it('moves every stored alert delivery body to its own table, the delivery rows kept', () => {
    const path = tempDatabasePath();
    const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8'));
    const bodies = journal.entries.findIndex((e: { tag: string }) => e.tag.endsWith('_delivery_bodies'));
    expect(bodies).toBeGreaterThan(0);
    const oldFolder = mkdtempSync(join(tmpdir(), 'somnet-old-migrations-'));
    cpSync(migrationsFolder, oldFolder, { recursive: true });
    writeFileSync(
      join(oldFolder, 'meta', '_journal.json'),
      JSON.stringify({ ...journal, entries: journal.entries.slice(0, bodies) }),
    );
    const old = openDatabase(path, { migrate: false });
    applyMigrations(old, oldFolder);
    old.$client.exec(`
      INSERT INTO alert_deliveries (id, format, sender, dedup_key, body, alert_count, outcome, received_at, last_received_at, state, cursor)
        VALUES (7, 'alertmanager', 'alertmanager/somnet-estado', 'k7', '{"receiver":"somnet-estado"}', 1, '{"fired":1}', 0, 0, 'applied', 1),
               (8, 'generic', 'zabbix', 'k8', '{"source":"zabbix"}', 1, '{}', 0, 0, 'applying', 0);
    `);
    old.$client.close();

    const db = openDatabase(path);
    expect(
      db.$client.prepare('SELECT delivery_id, body FROM alert_delivery_bodies ORDER BY delivery_id').all(),
    ).toEqual([
      { delivery_id: 7, body: '{"receiver":"somnet-estado"}' },
      { delivery_id: 8, body: '{"source":"zabbix"}' },
    ]);
    expect(db.$client.prepare('SELECT id, state, outcome FROM alert_deliveries ORDER BY id').all()).toEqual([
      { id: 7, state: 'applied', outcome: '{"fired":1}' },
      { id: 8, state: 'applying', outcome: '{}' },
    ]);
    // A delivery removed (the 30-day retention) takes its body with it.
    db.$client.prepare('DELETE FROM alert_deliveries WHERE id = 7').run();
    expect(db.$client.prepare('SELECT delivery_id FROM alert_delivery_bodies').pluck().all()).toEqual([8]);
    db.$client.close();
  });

  it('a table rebuild does not cascade-delete child rows (foreign keys are off while migrating)', () => {
    const folder = mkdtempSync(join(tmpdir(), 'somnet-rebuild-'));
    mkdirSync(join(folder, 'meta'));
    writeFileSync(
      join(folder, '0000_parent.sql'),
      [
        'CREATE TABLE parent (id integer PRIMARY KEY, name text);',
        '--> statement-breakpoint',
        'CREATE TABLE child (id integer PRIMARY KEY, parent_id integer NOT NULL REFERENCES parent(id) ON DELETE CASCADE);',
        '--> statement-breakpoint',
        "INSERT INTO parent VALUES (1, 'a');",
        '--> statement-breakpoint',
        'INSERT INTO child VALUES (10, 1);',
      ].join('\n'),
    );
    // What drizzle-kit generates for SQLite when a column changes: copy, drop, rename.
    writeFileSync(
      join(folder, '0001_rebuild.sql'),
      [
        "CREATE TABLE __new_parent (id integer PRIMARY KEY, name text NOT NULL DEFAULT '');",
        '--> statement-breakpoint',
        'INSERT INTO __new_parent SELECT id, name FROM parent;',
        '--> statement-breakpoint',
        'DROP TABLE parent;',
        '--> statement-breakpoint',
        'ALTER TABLE __new_parent RENAME TO parent;',
      ].join('\n'),
    );
    const entries = ['0000_parent', '0001_rebuild'].map((tag, idx) => ({
      idx,
      version: '6',
      when: 1_700_000_000_000 + idx,
      tag,
      breakpoints: true,
    }));
    writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify({ version: '7', dialect: 'sqlite', entries }));
    const db = openDatabase(tempDatabasePath(), { migrate: false });
    db.$client.pragma('foreign_keys = ON');
    applyMigrations(db, folder);
    expect(db.$client.prepare('SELECT count(*) FROM child').pluck().get()).toBe(1);
    expect(db.$client.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('refuses to finish a migration that leaves broken references', () => {
    const folder = mkdtempSync(join(tmpdir(), 'somnet-broken-'));
    mkdirSync(join(folder, 'meta'));
    writeFileSync(
      join(folder, '0000_broken.sql'),
      [
        'CREATE TABLE parent (id integer PRIMARY KEY);',
        '--> statement-breakpoint',
        'CREATE TABLE child (id integer PRIMARY KEY, parent_id integer REFERENCES parent(id));',
        '--> statement-breakpoint',
        'INSERT INTO child VALUES (1, 99);',
      ].join('\n'),
    );
    writeFileSync(
      join(folder, 'meta', '_journal.json'),
      JSON.stringify({
        version: '7',
        dialect: 'sqlite',
        entries: [{ idx: 0, version: '6', when: 1, tag: '0000_broken', breakpoints: true }],
      }),
    );
    const db = openDatabase(tempDatabasePath(), { migrate: false });
    expect(() => applyMigrations(db, folder)).toThrow(/referencias rotas/);
  });

  it('the plain file is a normal SQLite database other tools can read', () => {
    const path = tempDatabasePath();
    openDatabase(path).$client.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'incidents'").pluck().get()).toBe(1);
    raw.close();
  });
});

describe('demo catalogue', () => {
  it('is seeded on the first start only, never duplicated', () => {
    const path = tempDatabasePath();
    const first = openDatabase(path);
    expect(seedDemoCatalogue(first, new Date())).toBe(true);
    expect(seedDemoCatalogue(first, new Date())).toBe(false);
    first.$client.close();
    const second = openDatabase(path);
    expect(seedDemoCatalogue(second, new Date())).toBe(false);
    const groups = second.$client.prepare('SELECT name FROM component_groups ORDER BY position').pluck().all();
    expect(groups).toEqual(['Toluca', 'Metepec', 'Zinacantepec', 'Lerma', 'San Mateo Atenco', 'Servicios centrales']);
    const central = second.$client
      .prepare(
        "SELECT c.name FROM components c JOIN component_groups g ON g.id = c.group_id WHERE g.slug = 'servicios-centrales' ORDER BY c.position",
      )
      .pluck()
      .all();
    expect(central).toEqual([
      'Internet / red troncal',
      'Portal de clientes',
      'Correo de soporte',
      'Línea de emergencia 722 167 5865',
    ]);
    const perArea = second.$client
      .prepare("SELECT count(*) FROM components WHERE slug LIKE '%-fibra' OR slug LIKE '%-inalambrico'")
      .pluck()
      .get();
    expect(perArea).toBe(10);
  });

  it('is not re-seeded when the NOC emptied the catalogue on purpose', () => {
    const db = openDatabase(tempDatabasePath());
    seedDemoCatalogue(db, new Date());
    db.$client.exec('DELETE FROM component_status_events; DELETE FROM components; DELETE FROM component_groups;');
    expect(seedDemoCatalogue(db, new Date())).toBe(false);
    expect(db.$client.prepare('SELECT count(*) FROM components').pluck().get()).toBe(0);
  });
});
