// A burst of notices must not stall the pages: the moment an incident is posted is the moment customers load the page. The
// email worker's fan-out to .eml files (the transport without RESEND_API_KEY) ran every batch as
// microtasks, never giving the event loop back: with 3,000 subscribers no request, cached ones
// included, was answered for 8 s. Requests must be answered while the notices are written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.ts';
import { tempDatabasePath } from '../support/db.ts';
import { openDatabase } from '#db/client.ts';
import { seedDemoCatalogue } from '#db/seed.ts';
import { importSubscribers } from '#db/commands/subscribers.ts';
import { emailWorker } from '../../api/workers/email.ts';
import { fanOutWorker } from '../../api/workers/fanout.ts';

const RECIPIENTS = 1000;
let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  const path = tempDatabasePath();
  const db = openDatabase(path);
  seedDemoCatalogue(db, new Date('2026-08-01T12:00:00Z'));
  importSubscribers(
    db,
    Array.from({ length: RECIPIENTS }, (_, i) => ({ email: `cliente${i}@empresa.mx` })),
    { now: new Date(), actor: { kind: 'cli', name: 'pruebas' } },
  );
  // The real fan-out and email workers, the latter with its .eml transport beside the database.
  // The fan-out on the event loop (FANOUT_THREAD=0), whose slices must give it back to requests;
  // its thread, the default, is tested in test/outbox/fanout.test.ts and fanoutCrash.test.ts.
  server = await startTestServer({
    db,
    workers: [fanOutWorker({ thread: false }), emailWorker({ idleMs: 20 })],
    config: { databasePath: path },
  });
});
afterAll(async () => {
  await server?.close();
});

const sent = () =>
  (
    server.db.$client
      .prepare("SELECT count(*) AS n FROM outbox_messages WHERE channel = 'email' AND status = 'sent'")
      .get() as { n: number }
  ).n;

describe('a 1,000-recipient fan-out to .eml files', () => {
  it('leaves the event loop to requests between batches', async () => {
    const created = await server.api('POST', '/api/v1/incidents', {
      name: 'Corte de fibra en Metepec',
      status: 'investigating',
      body: 'Cuadrilla en camino.',
    });
    expect(created.status).toBe(201);
    // Ask for the status page over and over until every notice is written, noting how many were
    // written when each answer came. Before, answers came only before the drain or after it.
    const seenAt: number[] = [];
    const deadline = Date.now() + 60_000;
    while (sent() < RECIPIENTS && Date.now() < deadline) {
      const res = await fetch(`${server.url}/status.txt`);
      await res.text();
      expect(res.status).toBe(200);
      seenAt.push(sent());
    }
    expect(sent()).toBe(RECIPIENTS);
    const duringDrain = seenAt.filter((n) => n > 0 && n < RECIPIENTS);
    expect(duringDrain.length).toBeGreaterThanOrEqual(5);
  });
});
