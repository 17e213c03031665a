// OUTBOX_RETENTION_DAYS: delivered messages older than the retention are removed; a summary per
// channel and event stays for the console's counts, and who an incident's emails reached stays
// for its report. Failed and pending messages are kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDb, testClock, testConfig } from '../support/db.ts';
import { startResendStandin } from '../support/resend-standin.ts';
import { importSubscribers } from '#db/commands/subscribers.ts';
import { createIncident, publishIncidentUpdate } from '#db/commands/incidents.ts';
import { drainOutbox } from '#db/outbox/worker.ts';
import { outboxHealth, outboxHealthByChannel } from '#db/outbox/enqueue.ts';
import { outboxEventKey, pruneOutboxSlice } from '#db/outbox/retention.ts';
import { incidentNotifiedSubscribers } from '#db/queries/index.ts';
import { resendTransport } from '../../api/email/resend.ts';
import { loadConfig } from '../../api/config.ts';
import { outboxRetention } from '../../api/workers/outboxRetention.ts';
import type { AppDeps } from '../../api/context.ts';
import '#db/notifications/channels.ts';

const clock = testClock('2026-09-01T18:00:00Z');
const ctx = () => ({ now: clock.now(), actor: { kind: 'token' as const, name: 'pruebas' } });
const db = freshDb();
let standin: Awaited<ReturnType<typeof startResendStandin>>;
const drain = () =>
  drainOutbox(
    db,
    resendTransport(db, testConfig, { apiKey: standin.apiKey, baseUrl: standin.url, requestsPerSecond: 0 }),
    { now: clock.now },
  );
const count = (where: string) =>
  (db.$client.prepare(`SELECT count(*) FROM outbox_messages WHERE ${where}`).pluck().get() as number) ?? 0;
let incidentId: string;

beforeAll(async () => {
  standin = await startResendStandin();
  importSubscribers(
    db,
    [{ email: 'todo@cliente.mx' }, { email: 'metepec@cliente.mx', components: ['metepec-fibra'] }],
    ctx(),
  );
  // 1 September: an incident and two updates, every notice delivered.
  incidentId = createIncident(
    db,
    {
      name: 'Corte de fibra en Metepec',
      status: 'identified',
      body: 'Cuadrilla en camino.',
      components: { 'metepec-fibra': 'major_outage' },
    },
    ctx(),
  ).id;
  clock.advance(3_600_000);
  publishIncidentUpdate(db, incidentId, { status: 'resolved', body: 'Servicio restablecido.' }, ctx());
  while ((await drain()) > 0);
  // A failed message (kept: the console lists it) and, on 25 September, a fresh incident.
  db.$client
    .prepare(
      "UPDATE outbox_messages SET status = 'failed', last_error = 'rebotó' WHERE id = (SELECT max(id) FROM outbox_messages WHERE status = 'sent')",
    )
    .run();
  clock.set('2026-09-25T12:00:00Z');
  createIncident(
    db,
    {
      name: 'Saturación en Lerma',
      status: 'investigating',
      body: 'Revisando.',
      components: { 'lerma-fibra': 'degraded_performance' },
    },
    ctx(),
  );
  while ((await drain()) > 0);
});
afterAll(async () => {
  await standin.close();
  db.$client.close();
});

describe('outbox retention', () => {
  it('groups messages by event: the dedupe key without its recipient', () => {
    expect(outboxEventKey('incident-update:u1:s9')).toBe('incident-update:u1');
    expect(outboxEventKey('webhook:incident.updated:u1:endpoint:e3')).toBe('webhook:incident.updated:u1');
    expect(outboxEventKey('feasibility:abc')).toBe('feasibility');
  });

  it('keeps everything younger than the retention', () => {
    clock.set('2026-09-20T12:00:00Z');
    expect(pruneOutboxSlice(db, clock.now(), 30)).toEqual({ removed: 0, after: null });
  });

  it('removes delivered messages past it, in slices, keeping counts, failures, pending ones and who was told', () => {
    const before = outboxHealth(db, 'email');
    const reportRecipients = incidentNotifiedSubscribers(db, incidentId)
      .map((r) => r.email)
      .sort();
    expect(reportRecipients).toEqual(['metepec@cliente.mx', 'todo@cliente.mx']);
    const oldSent = count("status = 'sent' AND sent_at < " + new Date('2026-09-10').getTime());
    expect(oldSent).toBeGreaterThan(2);
    clock.set('2026-10-05T12:00:00Z');
    // Slices of two: the cursor moves on until nothing older is left.
    let removed = 0;
    let after = 0;
    for (let slices = 0; ; slices++) {
      const slice = pruneOutboxSlice(db, clock.now(), 30, after, 2);
      if (slice.after === null) break;
      expect(slice.removed).toBeLessThanOrEqual(2);
      removed += slice.removed;
      after = slice.after;
      expect(slices).toBeLessThan(50);
    }
    expect(removed).toBe(oldSent);
    expect(count("status = 'sent' AND sent_at < " + new Date('2026-09-10').getTime())).toBe(0);
    // 25 September's messages are younger than 30 days; the failure stays.
    expect(count("status = 'sent'")).toBeGreaterThan(0);
    expect(count("status = 'failed'")).toBe(1);
    // The console's counts do not go backwards; the channel is still listed.
    expect(outboxHealth(db, 'email')).toEqual(before);
    expect(outboxHealthByChannel(db).map((c) => c.channel)).toContain('email');
    const summaries = db.$client
      .prepare(
        "SELECT event_key, kind, sent FROM outbox_summaries WHERE event_key LIKE 'incident-update:%' ORDER BY first_created_at",
      )
      .all() as Array<{ event_key: string; kind: string; sent: number }>;
    expect(summaries.length).toBe(2);
    expect(summaries.map((s) => s.kind)).toEqual(['incident.created', 'incident.resolved']);
    expect(summaries.reduce((n, s) => n + s.sent, 0)).toBe(3);
    // The incident's report still goes to whoever its notices reached.
    expect(
      incidentNotifiedSubscribers(db, incidentId)
        .map((r) => r.email)
        .sort(),
    ).toEqual(reportRecipients);
  });

  it('runs in the server as a worker, at start; OUTBOX_RETENTION_DAYS=0 keeps everything', async () => {
    expect(loadConfig({ OUTBOX_RETENTION_DAYS: '45' }).outboxRetentionDays).toBe(45);
    expect(() => loadConfig({ OUTBOX_RETENTION_DAYS: 'treinta' })).toThrow(/OUTBOX_RETENTION_DAYS/);
    clock.set('2026-12-01T12:00:00Z');
    const deps = { db, now: clock.now, config: { ...testConfig, outboxRetentionDays: 0 } } as unknown as AppDeps;
    const keeping = outboxRetention().start(deps);
    await new Promise((r) => setTimeout(r, 300));
    expect(count("status = 'sent'")).toBeGreaterThan(0);
    keeping();
    const stop = outboxRetention().start({ ...deps, config: testConfig } as AppDeps);
    await expect.poll(() => count("status = 'sent'"), { timeout: 10_000 }).toBe(0);
    stop();
    expect(count("status = 'failed'")).toBe(1);
  });
});
