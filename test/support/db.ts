import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '#db/client.ts';
import { seedDemoCatalogue } from '#db/seed.ts';
import { createApiToken } from '#db/commands/tokens.ts';
import { createApp } from '../../api/app.ts';
import { DEFAULT_AUTH, type Config } from '../../api/config.ts';

/** A real SQLite file of its own for each test file. */
export function tempDatabasePath(): string {
  return join(mkdtempSync(join(tmpdir(), 'somnet-test-')), 'somnet.db');
}

/**
 * Migrated (and seeded) database files, made once per test worker and copied for each new
 * database: migrating and seeding a new file takes about 0.1 s (more on a busy machine), a copy
 * a few milliseconds, and the suite makes hundreds. Closing the template checkpoints its WAL, so
 * the one file holds everything.
 */
const templates = new Map<string, string>();
function template(seed: boolean, now: Date): string {
  const key = `${seed}:${now.toISOString()}`;
  let path = templates.get(key);
  if (!path) {
    path = tempDatabasePath();
    const db = openDatabase(path);
    if (seed) seedDemoCatalogue(db, now);
    db.$client.close();
    templates.set(key, path);
  }
  return path;
}

/** A migrated database file of its own, with the demo catalogue unless `seed: false`. */
export function freshDb(options: { seed?: boolean; now?: Date } = {}): Db {
  const path = tempDatabasePath();
  copyFileSync(template(options.seed !== false, options.now ?? new Date('2026-08-01T12:00:00Z')), path);
  return openDatabase(path);
}

export const testConfig: Config = {
  port: 0,
  host: '127.0.0.1',
  databasePath: ':memory:',
  publicUrl: 'https://status.example.test',
  // The production default requires a second factor (DEFAULT_AUTH, CONSOLE_2FA=required). Tests
  // of other console features sign in with a password alone; the sign-in tests (test/auth/) use
  // the default and enrol, and test/console/access.test.ts checks the default sends users to enrol.
  auth: { ...DEFAULT_AUTH, secondFactor: 'optional' },
};

/** A settable clock. */
export function testClock(start: string | Date) {
  let current = new Date(start);
  return {
    now: () => new Date(current),
    set: (d: string | Date) => {
      current = new Date(d);
    },
    advance: (ms: number) => {
      current = new Date(current.getTime() + ms);
    },
  };
}

/** The real Hono app over a fresh database, with a NOC token, driven in-process. */
export function testApp(options: { seed?: boolean; clock?: ReturnType<typeof testClock> } = {}) {
  const clock = options.clock ?? testClock('2026-11-26T18:00:00Z');
  const db = freshDb({ seed: options.seed, now: new Date('2026-08-01T12:00:00Z') });
  const { app, deps } = createApp({ db, config: testConfig, now: clock.now });
  const { token } = createApiToken(db, 'tests', clock.now());
  const auth = { authorization: `Bearer ${token}` };
  const json = (method: string, path: string, body?: unknown, headers: Record<string, string> = auth) =>
    app.request(path, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  return { app, deps, db, clock, token, auth, json };
}
