// Password guessing: the sign-in limits hold under concurrency (each attempt is counted before its
// password check), and /noc/contrasena's "current password" counts like a sign-in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { startTestServer } from '../support/server.ts';
import { freshDb, testClock } from '../support/db.ts';
import { addUser, ConsoleClient, hiddenValue } from '../console/support.ts';
import { LOCK_MS, MAX_FAILED_LOGINS, MAX_FAILURES_PER_ADDRESS, signIn } from '#db/commands/consoleSessions.ts';
import type { CommandError } from '#db/commands/errors.ts';
import { REQUEST_BUSY_TIMEOUT_MS } from '../../api/server.ts';

const clock = testClock('2026-11-26T16:00:00Z');
let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  server = await startTestServer({ now: clock.now, publicUrl: 'http://127.0.0.1' });
});
afterAll(async () => {
  await server?.close();
});

const user = (email: string) =>
  server.db.$client
    .prepare('SELECT failed_logins AS failed, locked_until AS lockedUntil FROM console_users WHERE email = ?')
    .get(email) as { failed: number; lockedUntil: number | null };

/** `n` sign-ins at once, through the login form (one CSRF cookie), each from `addressOf(i)` as the local proxy reports it. */
async function concurrentSignIns(
  n: number,
  email: (i: number) => string,
  password: string,
  addressOf: (i: number) => string,
): Promise<number[]> {
  const client = new ConsoleClient(server.url);
  const csrf = hiddenValue(await (await client.get('/noc/login')).text(), 'csrf')!;
  const answers = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      client.post('/noc/login', { csrf, email: email(i), password }, { 'x-forwarded-for': addressOf(i) }),
    ),
  );
  return answers.map((r) => r.status);
}

const tally = (statuses: number[]) =>
  statuses.reduce<Record<number, number>>((t, s) => ({ ...t, [s]: (t[s] ?? 0) + 1 }), {});

describe('sign-in limits under concurrency', () => {
  it('40 concurrent wrong passwords lock the account after exactly 5; then the right one is refused too', async () => {
    addUser(server.db, 'carrera@somnet.com.mx', 'noc', 'clave-correcta-larga', { mustChange: false });
    // Each from another customer address, so only the per-account limit is at play.
    const statuses = await concurrentSignIns(
      40,
      () => 'carrera@somnet.com.mx',
      'adivinanza',
      (i) => `198.51.100.${i + 1}`,
    );
    expect(tally(statuses)).toEqual({ 401: MAX_FAILED_LOGINS, 429: 40 - MAX_FAILED_LOGINS });
    expect(user('carrera@somnet.com.mx').lockedUntil).toBe(clock.now().getTime() + 15 * 60_000);
    const right = await concurrentSignIns(
      1,
      () => 'carrera@somnet.com.mx',
      'clave-correcta-larga',
      () => '198.51.100.99',
    );
    expect(right).toEqual([429]);
    // A second batch while locked adds nothing: no password is even checked.
    expect(
      tally(
        await concurrentSignIns(
          40,
          () => 'carrera@somnet.com.mx',
          'otra',
          (i) => `198.51.100.${i + 100}`,
        ),
      ),
    ).toEqual({ 429: 40 });
    clock.advance(15 * 60_000 + 1000);
    expect(
      (
        await concurrentSignIns(
          1,
          () => 'carrera@somnet.com.mx',
          'clave-correcta-larga',
          () => '198.51.100.99',
        )
      )[0],
    ).toBe(303);
    expect(user('carrera@somnet.com.mx')).toEqual({ failed: 0, lockedUntil: null });
  });

  it('60 concurrent failures from one address: 20 are checked, 40 refused with 429', async () => {
    const statuses = await concurrentSignIns(
      60,
      (i) => `nadie${i}@somnet.com.mx`,
      'adivinanza',
      () => '203.0.113.60',
    );
    expect(tally(statuses)).toEqual({ 401: MAX_FAILURES_PER_ADDRESS, 429: 60 - MAX_FAILURES_PER_ADDRESS });
    // That address stays blocked, even for a real account with its right password; others are not.
    addUser(server.db, 'vecino@somnet.com.mx', 'noc', 'clave-del-vecino-larga', { mustChange: false });
    expect(
      await concurrentSignIns(
        1,
        () => 'vecino@somnet.com.mx',
        'clave-del-vecino-larga',
        () => '203.0.113.60',
      ),
    ).toEqual([429]);
    expect(
      await concurrentSignIns(
        1,
        () => 'vecino@somnet.com.mx',
        'clave-del-vecino-larga',
        () => '203.0.113.61',
      ),
    ).toEqual([303]);
  });
});

describe('/noc/contrasena counts wrong current passwords like sign-in', () => {
  it('locks the account after 5 wrong current passwords, even if they come at once', async () => {
    addUser(server.db, 'cambio@somnet.com.mx', 'noc', 'clave-original-larga', { mustChange: false });
    const client = new ConsoleClient(server.url);
    expect((await client.login('cambio@somnet.com.mx', 'clave-original-larga')).status).toBe(303);
    const form = await (await client.get('/noc/contrasena')).text();
    const csrf = hiddenValue(form, 'csrf')!;
    const change = (actual: string) =>
      client.post(
        '/noc/contrasena',
        { csrf, actual, nueva: 'una-clave-nueva-larga', repetir: 'una-clave-nueva-larga' },
        { 'x-forwarded-for': '198.51.100.200' },
      );
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => change(`intento-${i}`)));
    expect(tally(answers.map((r) => r.status))).toEqual({ 422: MAX_FAILED_LOGINS, 429: 12 - MAX_FAILED_LOGINS });
    const refused = answers.find((r) => r.status === 429)!;
    expect(await refused.text()).toContain('bloqueada temporalmente');
    // Locked: the right current password does not change it, and sign-in is locked as well.
    expect((await change('clave-original-larga')).status).toBe(429);
    expect((await new ConsoleClient(server.url).login('cambio@somnet.com.mx', 'clave-original-larga')).status).toBe(
      429,
    );
    expect(user('cambio@somnet.com.mx').lockedUntil).not.toBeNull();
  });
});

describe('a check cut short (the database locked by another process, or a crash) never locks an account for good', () => {
  it('a right fifth password whose success cannot be written: the lock it leaves expires', async () => {
    const db = freshDb();
    db.$client.pragma(`busy_timeout = ${REQUEST_BUSY_TIMEOUT_MS}`);
    const at = testClock('2026-11-26T16:00:00Z');
    addUser(db, 'corte@somnet.com.mx', 'noc', 'clave-correcta-larga', { mustChange: false });
    const attempt = (password: string, address = '198.51.100.10') =>
      signIn(db, { email: 'corte@somnet.com.mx', password, address }, at.now()).then(
        () => 'ok',
        (err: CommandError) => err.code,
      );
    for (let i = 0; i < MAX_FAILED_LOGINS - 1; i++) expect(await attempt('adivinanza')).toBe('invalid_credentials');
    // The attempt is counted before its password check; then another process takes the write
    // lock, so what the check found cannot be written.
    const fifth = attempt('clave-correcta-larga');
    const other = new Database(db.$client.name);
    other.exec('BEGIN IMMEDIATE');
    try {
      expect(await fifth).toBe('database_busy');
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(await attempt('clave-correcta-larga')).toBe('account_locked');
    // Before: 5 failures counted and no lock: refused for good, a day later still "espere 15 minutos".
    at.advance(LOCK_MS + 1000);
    expect(await attempt('clave-correcta-larga')).toBe('ok');
    expect(
      db.$client
        .prepare('SELECT failed_logins AS failed, locked_until AS lockedUntil FROM console_users WHERE email = ?')
        .get('corte@somnet.com.mx'),
    ).toEqual({ failed: 0, lockedUntil: null });
    db.$client.close();
  });
});
