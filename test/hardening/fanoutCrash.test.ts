// A notice to thousands against a real server process: the POST is answered while most of its
// recipients have no outbox row yet, the server writes them afterwards by itself, and a server
// killed with SIGKILL half-way through leaves the fan-out's cursor where its last committed slice
// put it: the next holder of the background lease writes the rest, each recipient exactly once
// on its channel. How fast is the benchmark's business (npm run bench:fanout), not this test's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '#db/client.ts';
import { seedDemoCatalogue } from '#db/seed.ts';
import { createApiToken } from '#db/commands/tokens.ts';
import { subscriberChannels } from '#db/enums.ts';
import { newId } from '#db/ids.ts';
import { FANOUT_AT_COMMIT } from '#db/outbox/fanout.ts';
import { tempDatabasePath } from '../support/db.ts';
import { readQuery, startServerProcess, stopServerProcess, waitFor, type ServerProcess } from '../support/processes.ts';

const RECIPIENTS = 8_000;
const dbPath = tempDatabasePath();
let token = '';
const servers: ServerProcess[] = [];
const query = <T>(sql: string, ...params: unknown[]) => readQuery<T>(dbPath, sql, ...params);

beforeAll(() => {
  const db = openDatabase(dbPath);
  const at = Date.now();
  seedDemoCatalogue(db, new Date(at));
  token = createApiToken(db, 'pruebas', new Date(at)).token;
  // Confirmed subscribers of every component, on every subscriber channel in turn.
  const insert = db.$client.prepare(
    "INSERT INTO subscribers (id, channel, address, kind, all_components, confirmed_at, created_at, updated_at) VALUES (?, ?, ?, 'public', 1, ?, ?, ?)",
  );
  db.$client.transaction(() => {
    for (let i = 0; i < RECIPIENTS; i++) {
      const channel = subscriberChannels[i % subscriberChannels.length];
      const address = channel === 'email' ? `cliente${i}@empresa.mx` : `${channel}-${i}`;
      insert.run(newId(), channel, address, at, at, at);
    }
  })();
  db.$client.close();
});

afterAll(async () => {
  for (const s of servers) await stopServerProcess(s);
});

const post = (base: string, path: string, body: unknown) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

type Progress = { id: number; total: number; expanded: number; finished: number };
const progress = (kind: string) =>
  query<Progress>(
    "SELECT id, total, expanded, finished_at IS NOT NULL AS finished FROM outbox_fanouts WHERE source = 'subscribers' AND kind = ?",
    kind,
  )[0];

/** Every recipient has exactly one row for this event, on its own channel. */
function expectExactlyOnce(kind: string) {
  const perChannel = query<{ channel: string; n: number; recipients: number; keys: number }>(
    `SELECT o.channel, count(*) AS n, count(DISTINCT o.recipient) AS recipients, count(DISTINCT o.dedupe_key) AS keys
       FROM outbox_messages o WHERE o.kind = ? AND o.channel <> 'webhook' GROUP BY o.channel ORDER BY o.channel`,
    kind,
  );
  const expected = subscriberChannels
    .map((channel, i) => {
      const n =
        Math.floor(RECIPIENTS / subscriberChannels.length) + (i < RECIPIENTS % subscriberChannels.length ? 1 : 0);
      return { channel, n, recipients: n, keys: n };
    })
    .sort((a, b) => a.channel.localeCompare(b.channel));
  expect(perChannel).toEqual(expected);
  // A recipient whose row and address disagree would be a row written for the wrong person.
  const subscribers = new Map(
    query<{ id: string; channel: string; address: string }>('SELECT id, channel, address FROM subscribers').map((r) => [
      r.id,
      r,
    ]),
  );
  const mismatched = query<{ dedupe_key: string; channel: string; recipient: string }>(
    "SELECT dedupe_key, channel, recipient FROM outbox_messages WHERE kind = ? AND channel <> 'webhook'",
    kind,
  ).filter((r) => {
    const s = subscribers.get(r.dedupe_key.slice(r.dedupe_key.lastIndexOf(':') + 1));
    return !s || s.channel !== r.channel || s.address !== r.recipient;
  }).length;
  expect(mismatched).toBe(0);
}

describe('a notice to thousands of recipients', () => {
  it('is answered before its rows exist; they are all written afterwards, and a kill -9 half-way repeats and loses nothing', async () => {
    const first = await startServerProcess(dbPath);
    servers.push(first);
    const created = await post(first.base, '/api/v1/incidents', {
      name: 'Corte de fibra troncal',
      status: 'investigating',
      body: 'Revisando.',
      components: { 'red-troncal': 'major_outage' },
    });
    expect(created.status).toBe(201);
    const incident = (await created.json()) as { id: string };
    // Answered with the audience recorded and none of its rows written (the expansion follows).
    const answered = progress('incident.created');
    expect(answered.total).toBe(RECIPIENTS);
    expect(answered.expanded).toBeLessThan(RECIPIENTS);
    // Nobody asks for more: the server writes the rest by itself.
    await waitFor('todas las filas del primer aviso', () => progress('incident.created').finished === 1, 60_000, 20);
    expectExactlyOnce('incident.created');

    // The next update: the server dies (SIGKILL, no cleanup) after some slices and before the last.
    const updated = await post(first.base, `/api/v1/incidents/${incident.id}/updates`, {
      status: 'identified',
      body: 'Cuadrilla en sitio.',
    });
    expect(updated.status).toBe(201);
    await waitFor(
      'la preparación a medias',
      () => {
        const p = progress('incident.updated');
        return p && p.expanded > FANOUT_AT_COMMIT && p.finished === 0;
      },
      60_000,
      2,
    );
    first.proc.kill('SIGKILL');
    await first.exited;
    const halfway = progress('incident.updated');
    expect(halfway.finished).toBe(0);
    expect(halfway.expanded).toBeGreaterThan(FANOUT_AT_COMMIT);
    expect(halfway.expanded).toBeLessThan(RECIPIENTS);
    // The rows on disk are exactly the committed slices: the cursor and the rows moved together.
    expect(query<{ n: number }>("SELECT count(*) AS n FROM outbox_messages WHERE kind = 'incident.updated'")[0].n).toBe(
      halfway.expanded,
    );

    const next = await startServerProcess(dbPath);
    servers.push(next);
    await waitFor('el resto de las filas', () => progress('incident.updated').finished === 1, 60_000, 20);
    expect(progress('incident.updated').expanded).toBe(RECIPIENTS);
    expectExactlyOnce('incident.updated');
    // One link token per message, never issued twice for the same slice.
    expect(query<{ n: number }>("SELECT count(*) AS n FROM subscriber_tokens WHERE purpose = 'manage'")[0].n).toBe(
      2 * RECIPIENTS,
    );
    expect(query<{ n: number }>('SELECT count(*) AS n FROM outbox_fanout_chunks')[0].n).toBe(0);
  });
});
