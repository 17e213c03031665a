// A notifying change records its fan-out (the event and its audience at commit) in its own
// transaction — every row of a small audience, none of a large one's — and a large audience is
// expanded afterwards, slice by slice, exactly once per recipient and channel — every subscriber
// channel and the webhooks.
import { afterAll, describe, expect, it } from 'vitest';
import type { Db } from '#db/client.ts';
import { createIncident, publishIncidentUpdate } from '#db/commands/incidents.ts';
import { deleteSubscriber, importSubscribers } from '#db/commands/subscribers.ts';
import { subscriberChannels } from '#db/enums.ts';
import { newId } from '#db/ids.ts';
import { UNSUBSCRIBED_REASON } from '#db/outbox/enqueue.ts';
import { expandFanOutSlice, expandFanOuts, FANOUT_AT_COMMIT, FANOUT_SLICE, fanOutProgress } from '#db/outbox/fanout.ts';
import {
  readerRendering,
  readersGauge,
  readersRendering,
  readersServed,
  waitForReaders,
} from '../../api/readersFirst.ts';
import { fanOutWorker } from '../../api/workers/fanout.ts';
import { routeFamily } from '../../api/metrics/families.ts';
import { renderSeconds } from '../../api/metrics/registry.ts';
import { openDatabase } from '#db/client.ts';
import { updateComponent } from '#db/commands/catalog.ts';
import { newLeaseOwner, acquireLease } from '#db/commands/lease.ts';
import '#db/notifications/channels.ts';
import { freshDb, testApp, testClock } from '../support/db.ts';
import { startTestServer } from '../support/server.ts';
import { addUser, ConsoleClient } from '../console/support.ts';

const at = new Date('2026-11-26T18:00:00Z');
const ctx = () => ({ now: at, actor: { kind: 'token' as const, name: 'pruebas' } });
const opened: Db[] = [];
afterAll(() => {
  for (const db of opened) db.$client.close();
});

function database(): Db {
  const db = freshDb();
  opened.push(db);
  return db;
}

const ADDRESS: Record<(typeof subscriberChannels)[number], (i: number) => string> = {
  email: (i) => `cliente${i}@empresa.mx`,
  sms: (i) => `+5272200${String(i).padStart(5, '0')}`,
  whatsapp: (i) => `+5272210${String(i).padStart(5, '0')}`,
  telegram: (i) => String(900_000 + i),
  slack: (i) => `https://hooks.slack.com/services/T0/B0/${i}`,
  teams: (i) => `https://somnet.webhook.office.com/workflows/${i}`,
  google_chat: (i) => `https://chat.googleapis.com/v1/spaces/${i}/messages`,
  discord: (i) => `https://discord.com/api/webhooks/${i}/x`,
};

/** `n` confirmed subscribers of every component, spread over every subscriber channel. Returns their ids. */
function addSubscribers(db: Db, n: number, from = 0): string[] {
  const insert = db.$client.prepare(
    "INSERT INTO subscribers (id, channel, address, kind, all_components, confirmed_at, created_at, updated_at) VALUES (?, ?, ?, 'public', 1, ?, ?, ?)",
  );
  const ids: string[] = [];
  db.$client.transaction(() => {
    for (let i = from; i < from + n; i++) {
      const channel = subscriberChannels[i % subscriberChannels.length];
      const id = newId();
      insert.run(id, channel, ADDRESS[channel](i), at.getTime(), at.getTime(), at.getTime());
      ids.push(id);
    }
  })();
  return ids;
}

/** `n` webhook endpoints following everything. */
function addWebhooks(db: Db, n: number): void {
  const insert = db.$client.prepare(
    'INSERT INTO webhook_endpoints (id, url, secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
  );
  db.$client.transaction(() => {
    for (let i = 0; i < n; i++)
      insert.run(newId(), `https://receptor${i}.example.test/somnet`, `whsec_${i}`, at.getTime(), at.getTime());
  })();
}

const outage = () => ({
  name: 'Corte de fibra troncal',
  status: 'investigating' as const,
  body: 'Revisando.',
  components: { 'red-troncal': 'major_outage' as const },
});

const rows = (db: Db, where = '1') =>
  db.$client
    .prepare(`SELECT channel, recipient, dedupe_key, status, payload, last_error FROM outbox_messages WHERE ${where}`)
    .all() as Array<{
    channel: string;
    recipient: string;
    dedupe_key: string;
    status: string;
    payload: string;
    last_error: string | null;
  }>;

describe('a notice to more recipients than one slice', () => {
  it('writes none of its rows with the change, all afterwards: one row per recipient and channel', async () => {
    const db = database();
    const recipients = FANOUT_AT_COMMIT * 2 + 37;
    const endpoints = FANOUT_AT_COMMIT + 12;
    const ids = addSubscribers(db, recipients);
    addWebhooks(db, endpoints);

    const incident = createIncident(db, outage(), ctx());
    const updateId = db.$client
      .prepare('SELECT id FROM incident_updates WHERE incident_id = ?')
      .pluck()
      .get(incident.id) as string;
    // Committed: each fan-out and its audience, no row yet (the request does not write them).
    // Webhooks hear of the incident and of the component it took down: two fan-outs.
    expect(rows(db)).toHaveLength(0);
    expect(fanOutProgress(db)).toEqual({ fanouts: 3, total: recipients + 2 * endpoints, expanded: 0 });
    // The subscribers' audience is not even read in the change's transaction (only counted): its
    // first slice reads it.
    expect(
      db.$client
        .prepare(
          "SELECT next_chunk AS next, (SELECT count(*) FROM outbox_fanout_chunks WHERE fanout_id = f.id) AS chunks FROM outbox_fanouts f WHERE source = 'subscribers'",
        )
        .get(),
    ).toEqual({ next: 0, chunks: 0 });

    expect(await expandFanOuts(db)).toBe(recipients + 2 * endpoints);
    expect(fanOutProgress(db)).toEqual({ fanouts: 0, total: 0, expanded: 0 });
    // Nothing of the audience is kept once expanded.
    expect(db.$client.prepare('SELECT count(*) FROM outbox_fanout_chunks').pluck().get()).toBe(0);

    const notices = rows(db, "channel <> 'webhook'");
    expect(notices).toHaveLength(recipients);
    expect(new Set(notices.map((r) => r.dedupe_key))).toEqual(
      new Set(ids.map((id) => `incident-update:${updateId}:${id}`)),
    );
    // Every subscriber channel, each recipient on its own.
    for (const [i, channel] of subscriberChannels.entries()) {
      const expected = Array.from({ length: recipients }, (_, k) => k).filter(
        (k) => k % subscriberChannels.length === i,
      );
      const mine = notices.filter((r) => r.channel === channel);
      expect(mine.map((r) => r.recipient).sort()).toEqual(expected.map((k) => ADDRESS[channel](k)).sort());
    }
    // One link token per message, each issued once.
    const tokens = notices.map((r) => (JSON.parse(r.payload) as { manageToken: string }).manageToken);
    expect(new Set(tokens).size).toBe(recipients);
    expect(db.$client.prepare("SELECT count(*) FROM subscriber_tokens WHERE purpose = 'manage'").pluck().get()).toBe(
      recipients,
    );
    expect(rows(db, "channel = 'webhook' AND kind = 'component.status_changed'")).toHaveLength(endpoints);
    const hooks = rows(db, "channel = 'webhook' AND kind = 'incident.created'");
    expect(hooks).toHaveLength(endpoints);
    expect(new Set(hooks.map((r) => r.recipient)).size).toBe(endpoints);
    expect(new Set(hooks.map((r) => JSON.parse(r.payload).updateId))).toEqual(new Set([updateId]));

    // A later update of the same incident: its own fan-out, its own rows, nothing repeated.
    publishIncidentUpdate(db, incident.id, { status: 'identified', body: 'Cuadrilla en sitio.' }, ctx());
    await expandFanOuts(db);
    expect(rows(db, "channel <> 'webhook'")).toHaveLength(2 * recipients);
    expect(rows(db, "channel = 'webhook' AND kind = 'incident.updated'")).toHaveLength(endpoints);
  });

  it('a small audience is complete at commit, as before', () => {
    const db = database();
    addSubscribers(db, 40);
    createIncident(db, outage(), ctx());
    expect(rows(db)).toHaveLength(40);
    expect(fanOutProgress(db).fanouts).toBe(0);
  });
});

describe('the audience is the one the change committed with', () => {
  it('a subscriber who joins after the commit is not told; one who leaves has the message withdrawn', async () => {
    const db = database();
    const ids = addSubscribers(db, FANOUT_AT_COMMIT * 2);
    createIncident(db, outage(), ctx());
    // After the commit, before the expansion: two leave (from the first slice and from a later
    // one), and someone new signs up.
    const early = ids[3];
    const late = ids[FANOUT_AT_COMMIT + 5];
    deleteSubscriber(db, early, ctx());
    deleteSubscriber(db, late, ctx());
    importSubscribers(db, [{ email: 'recien@empresa.mx' }], ctx());

    await expandFanOuts(db);
    const all = rows(db);
    expect(all).toHaveLength(ids.length);
    expect(all.some((r) => r.recipient === 'recien@empresa.mx')).toBe(false);
    // Both who left: the row an unsubscribe leaves, withdrawn before any provider saw it.
    for (const id of [early, late]) {
      const [row] = all.filter((r) => r.dedupe_key.endsWith(`:${id}`));
      expect(row).toMatchObject({ status: 'cancelled', last_error: UNSUBSCRIBED_REASON });
    }
    expect(all.filter((r) => r.status === 'pending')).toHaveLength(ids.length - 2);
    // No link was issued for the one who had already left.
    expect(db.$client.prepare('SELECT count(*) FROM subscriber_tokens WHERE subscriber_id = ?').pluck().get(late)).toBe(
      0,
    );
  });
  it('another process changing subscriptions after the commit reads the audience first: the change does not reach that notice', async () => {
    const db = database();
    addSubscribers(db, FANOUT_AT_COMMIT * 2);
    const other = db.$client
      .prepare("SELECT slug FROM components WHERE slug <> 'red-troncal' AND group_id IS NOT NULL LIMIT 1")
      .pluck()
      .get() as string;
    // Before the change: one follows the broken component, one follows another.
    importSubscribers(
      db,
      [
        { email: 'se-va@empresa.mx', components: ['red-troncal'] },
        { email: 'llega@empresa.mx', components: [other] },
      ],
      ctx(),
    );
    const incident = createIncident(db, outage(), ctx());
    const updateId = db.$client
      .prepare('SELECT id FROM incident_updates WHERE incident_id = ?')
      .pluck()
      .get(incident.id) as string;
    expect(db.$client.prepare("SELECT next_chunk FROM outbox_fanouts WHERE source = 'subscribers'").pluck().get()).toBe(
      0,
    );
    // Right after the commit, before any slice: another process (the noc CLI, a second server)
    // swaps their choices on its own connection.
    const cli = openDatabase(db.$client.name);
    opened.push(cli);
    importSubscribers(
      cli,
      [
        { email: 'se-va@empresa.mx', components: [other] },
        { email: 'llega@empresa.mx', components: ['red-troncal'] },
      ],
      ctx(),
    );
    // Its transaction read the notice's audience before its own writes.
    expect(db.$client.prepare("SELECT next_chunk FROM outbox_fanouts WHERE source = 'subscribers'").pluck().get()).toBe(
      1,
    );
    await expandFanOuts(db);
    const notices = rows(db, `dedupe_key LIKE 'incident-update:${updateId}:%'`);
    expect(notices).toHaveLength(FANOUT_AT_COMMIT * 2 + 1);
    expect(notices.filter((r) => r.recipient === 'se-va@empresa.mx')).toMatchObject([{ status: 'pending' }]);
    expect(notices.some((r) => r.recipient === 'llega@empresa.mx')).toBe(false);
    // The next notice follows their new choices.
    publishIncidentUpdate(db, incident.id, { status: 'identified', body: 'Cuadrilla en sitio.' }, ctx());
    await expandFanOuts(db);
    const next = rows(
      db,
      `dedupe_key LIKE 'incident-update:%' AND dedupe_key NOT LIKE 'incident-update:${updateId}:%'`,
    );
    expect(next.some((r) => r.recipient === 'se-va@empresa.mx')).toBe(false);
    expect(next.filter((r) => r.recipient === 'llega@empresa.mx')).toHaveLength(1);
  });
});

describe('a process that cannot read an audience', () => {
  it('still writes: the unread fan-out of a channel it never loaded is left for the server', () => {
    const db = database();
    db.$client
      .prepare(
        `INSERT INTO outbox_fanouts (source, kind, event_key, payload, total, expanded, next_chunk, created_at)
         VALUES ('canal-sin-cargar', 'incident.created', 'x', '{}', 500, 0, 0, ?)`,
      )
      .run(Date.now());
    importSubscribers(db, [{ email: 'otro@empresa.mx' }], ctx());
    expect(
      db.$client.prepare("SELECT next_chunk FROM outbox_fanouts WHERE source = 'canal-sin-cargar'").pluck().get(),
    ).toBe(0);
    expect(db.$client.prepare("SELECT count(*) FROM subscribers WHERE address = 'otro@empresa.mx'").pluck().get()).toBe(
      1,
    );
  });
});

describe('off the event loop', () => {
  it('the server expands in a thread of its own: every row is written while the event loop is held', async () => {
    const t = testApp();
    opened.push(t.db);
    const recipients = FANOUT_AT_COMMIT + 5 * FANOUT_SLICE + 7;
    addSubscribers(t.db, recipients);
    const stop = fanOutWorker({ thread: true }).start(t.deps);
    try {
      expect((await t.json('POST', '/api/v1/incidents', outage())).status).toBe(201);
      // The thread is woken after the answer (a setImmediate): one turn of the event loop.
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      // From here on the event loop does not turn until every row exists: only another thread can
      // write them (a sleep that blocks this thread, not a timer).
      const pause = new Int32Array(new SharedArrayBuffer(4));
      const deadline = Date.now() + 90_000;
      while (fanOutProgress(t.db).fanouts > 0 && Date.now() < deadline) Atomics.wait(pause, 0, 0, 20);
      expect(fanOutProgress(t.db)).toEqual({ fanouts: 0, total: 0, expanded: 0 });
      const written = rows(t.db, "channel <> 'webhook'");
      expect(written).toHaveLength(recipients);
      expect(new Set(written.map((r) => r.dedupe_key)).size).toBe(recipients);
      expect(written.every((r) => r.status === 'pending')).toBe(true);
      // The fan-out's cursor says who wrote it to the end, and when (the server's clock).
      expect(
        t.db.$client
          .prepare('SELECT expanded, total, finished_at FROM outbox_fanouts WHERE finished_at IS NOT NULL')
          .get(),
      ).toEqual({ expanded: recipients, total: recipients, finished_at: expect.any(Number) });
    } finally {
      await stop();
    }
  });
});

describe('the commits of the fan-out thread and the pages', () => {
  it('do not drop the page cache (nothing public changed), while a write by another process still does', async () => {
    const server = await startTestServer({ workers: [fanOutWorker({ thread: true })] });
    try {
      addSubscribers(server.db, FANOUT_AT_COMMIT + 8 * FANOUT_SLICE);
      const rendersOfRoot = async () =>
        (await renderSeconds.get()).values.find(
          (v) => v.metricName === 'somnet_render_seconds_count' && v.labels.family === routeFamily('/'),
        )?.value ?? 0;
      const root = async () => (await fetch(`${server.url}/`)).text();
      expect((await server.api('POST', '/api/v1/incidents', outage())).status).toBe(201);
      // The change itself: `/` rendered again once, with the outage.
      expect(await root()).toContain('Corte de fibra troncal');
      const after = await rendersOfRoot();
      // Readers keep asking while the thread writes the rows, slice after slice (other commits
      // on the database file, seen through data_version like another process's).
      const deadline = Date.now() + 90_000;
      let reads = 0;
      while (fanOutProgress(server.db).fanouts > 0 && Date.now() < deadline) {
        await root();
        reads++;
        await new Promise((r) => setTimeout(r, 60));
      }
      expect(fanOutProgress(server.db).fanouts).toBe(0);
      expect(reads).toBeGreaterThan(0);
      await root();
      expect(await rendersOfRoot()).toBe(after);
      // Another process (the noc CLI) changes a component: the next reader gets the new page.
      const cli = openDatabase(server.db.$client.name);
      try {
        updateComponent(
          cli,
          'red-troncal',
          { status: 'operational' },
          { now: new Date(), actor: { kind: 'cli', name: 'noc' } },
        );
      } finally {
        cli.$client.close();
      }
      await new Promise((r) => setTimeout(r, 100));
      await root();
      expect(await rendersOfRoot()).toBe(after + 1);
    } finally {
      await server.close();
    }
  });
});

describe('who expands', () => {
  it('only the live holder of the background lease, when one is named', () => {
    const db = database();
    addSubscribers(db, FANOUT_AT_COMMIT + 1);
    createIncident(db, outage(), ctx());
    const holder = newLeaseOwner();
    const other = newLeaseOwner();
    acquireLease(db, holder, Date.now());
    expect(expandFanOutSlice(db, { owner: other.id })).toBeNull();
    expect(fanOutProgress(db).expanded).toBe(0);
    // The first slice reads the audience, the next ones write its rows.
    expect(expandFanOutSlice(db, { owner: holder.id })).toMatchObject({ expanded: 0, remaining: FANOUT_SLICE + 1 });
    expect(expandFanOutSlice(db, { owner: holder.id })).toMatchObject({ expanded: FANOUT_SLICE, remaining: 1 });
    expect(expandFanOutSlice(db, { owner: holder.id })).toMatchObject({ expanded: 1, remaining: 0 });
    expect(db.$client.prepare('SELECT claimed_by, finished_at IS NOT NULL AS done FROM outbox_fanouts').get()).toEqual({
      claimed_by: holder.id,
      done: 1,
    });
  });
});

describe('the NOC sees what is still being prepared', () => {
  it('GET /api/v1/notifications/outbox and /metrics count the recipients waiting for their rows', async () => {
    const t = testApp();
    opened.push(t.db);
    addSubscribers(t.db, FANOUT_AT_COMMIT + 30);
    const res = await t.json('POST', '/api/v1/incidents', outage());
    expect(res.status).toBe(201);
    const before = (await (await t.json('GET', '/api/v1/notifications/outbox')).json()) as {
      preparing: { fanouts: number; total: number; expanded: number };
    };
    expect(before.preparing).toEqual({ fanouts: 1, total: FANOUT_AT_COMMIT + 30, expanded: 0 });
    const metrics = async () =>
      (await (await t.app.request('/metrics', {}, { incoming: { socket: { remoteAddress: '127.0.0.1' } } })).text())
        .split('\n')
        .find((l) => l.startsWith('somnet_outbox_preparing_recipients '));
    expect(await metrics()).toBe(`somnet_outbox_preparing_recipients ${FANOUT_AT_COMMIT + 30}`);
    await expandFanOuts(t.db);
    const after = (await (await t.json('GET', '/api/v1/notifications/outbox')).json()) as {
      preparing: { fanouts: number };
    };
    expect(after.preparing.fanouts).toBe(0);
    expect(await metrics()).toBe('somnet_outbox_preparing_recipients 0');
  });
});

describe('the console', () => {
  it('/noc says how many recipients of a notice already have their message while the rest is prepared', async () => {
    const clock = testClock('2026-11-26T18:00:00Z');
    // No workers: the fan-out stays half-way until this test expands it.
    const server = await startTestServer({ now: clock.now, publicUrl: 'http://127.0.0.1' });
    try {
      addUser(server.db, 'guardia@somnet.com.mx', 'noc', 'clave-de-la-guardia', { mustChange: false });
      const guardia = new ConsoleClient(server.url);
      await guardia.login('guardia@somnet.com.mx', 'clave-de-la-guardia');
      addSubscribers(server.db, FANOUT_AT_COMMIT + 1_000);
      expect((await server.api('POST', '/api/v1/incidents', outage())).status).toBe(201);
      const dashboard = async () => (await guardia.get('/noc')).text();
      expect(await dashboard()).toContain(
        `Preparando un aviso: 0 de ${(FANOUT_AT_COMMIT + 1_000).toLocaleString('es-MX')} destinatarios ya tienen su mensaje en la cola`,
      );
      // The first slice reads the audience (the count stays), the next one writes a hundred rows.
      expandFanOutSlice(server.db);
      expandFanOutSlice(server.db);
      expect(await dashboard()).toContain(
        `Preparando un aviso: ${FANOUT_SLICE} de ${(FANOUT_AT_COMMIT + 1_000).toLocaleString('es-MX')} destinatarios ya tienen su mensaje en la cola`,
      );
      await expandFanOuts(server.db);
      expect(await dashboard()).not.toContain('Preparando');
    } finally {
      await server.close();
    }
  });
});

describe('readers first', () => {
  it('the expansion waits between slices while a reader waits for a page, and goes on once it is served', async () => {
    const db = database();
    addSubscribers(db, FANOUT_AT_COMMIT + 3 * FANOUT_SLICE);
    createIncident(db, outage(), ctx());
    let served!: () => void;
    // A reader's rendering of `/` in progress (api/pages.ts marks each one so).
    const reader = readerRendering(new Promise<void>((resolve) => (served = resolve)));
    const expanding = expandFanOuts(db, { between: () => readersServed(60_000) });
    // Slices go on only between turns of the event loop: give it several.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    // One slice (the audience read), then it waits for the reader.
    expect(fanOutProgress(db).expanded).toBe(0);
    expect(db.$client.prepare('SELECT count(*) FROM outbox_fanout_chunks').pluck().get()).toBe(4);
    served();
    await reader;
    expect(await expanding).toBe(FANOUT_AT_COMMIT + 3 * FANOUT_SLICE);
    expect(fanOutProgress(db).fanouts).toBe(0);
  });

  it('the fan-out thread sees the readers through shared memory, and waits for them a bounded time', async () => {
    expect(Atomics.load(readersGauge, 0)).toBe(0);
    const t0 = performance.now();
    waitForReaders(readersGauge, 5_000);
    expect(performance.now() - t0).toBeLessThan(1_000);
    let served!: () => void;
    const reader = readerRendering(new Promise<void>((resolve) => (served = resolve)));
    expect(Atomics.load(readersGauge, 0)).toBe(1);
    const t1 = performance.now();
    waitForReaders(readersGauge, 60);
    expect(performance.now() - t1).toBeGreaterThanOrEqual(55);
    served();
    await reader;
    expect(Atomics.load(readersGauge, 0)).toBe(0);
  });

  it('waits a bounded time (MAX_WAIT_MS in the server), so readers of one page after another never stop it', async () => {
    let served!: () => void;
    const reader = readerRendering(new Promise<void>((resolve) => (served = resolve)));
    const t0 = performance.now();
    await readersServed(50);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
    expect(readersRendering()).toBe(1);
    served();
    await reader;
    expect(readersRendering()).toBe(0);
  });
});
