// A large Alertmanager group through the real app and a real SQLite file: validated a slice at a
// time (the event loop serves requests in between) yet still accepted or refused as a whole, and
// a copy of a group already applied — byte for byte, in other bytes, or arriving while the first
// is still being applied — answered from what is stored, writing nothing. How fast is the
// benchmark's business (npm run bench:alerts); test/hardening/alertStorm.test.ts covers the
// server process (slices, crash and resume, the page).
import { beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { testApp } from '../support/db.ts';
import { findComponent } from '#db/commands/catalog.ts';
import { MAX_ALERTS_PER_PAYLOAD, receiveAlertmanagerWebhook, VALIDATION_SLICE } from '#db/commands/alerts/index.ts';
import { CommandError } from '#db/commands/errors.ts';
import {
  fromEnvelope,
  grafanaWebhookInput,
  packEnvelope,
  PackedAlerts,
  PACK_SIZE,
  uniqueByFingerprint,
} from '#db/commands/alerts/envelopes.ts';
import { OFFLOAD_MIN_BYTES } from '#db/commands/alerts/offload.ts';
import { onCommit } from '#db/commands/transaction.ts';
import { deliveryBodyText, recentAlertDeliveries } from '#db/queries/alerts.ts';
import { alertDeliveryBodies } from '#db/schema/index.ts';
import { grafanaPayload, STORM_SLUGS, stormPayload } from './payloads.ts';

type T = ReturnType<typeof testApp>;
let t: T;
beforeEach(() => {
  t = testApp();
});

const SLUGS = STORM_SLUGS;

const storm = (n: number) => stormPayload(n);

/** Row counts of every table: a refused group must leave them all unchanged. */
function counts(): Record<string, number> {
  const tables = t.db.all<{ name: string }>(
    sql`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%'`,
  );
  return Object.fromEntries(
    tables.map(({ name }) => [name, t.db.get<{ n: number }>(sql.raw(`SELECT count(*) AS n FROM "${name}"`))!.n]),
  );
}

/** What a copy of a group could write: its alerts' rows, its delivery's count, the audit. */
const written = () =>
  t.db.get<{ alerts: number; seen: number; deliveries: number; received: number; audit: number }>(
    sql`SELECT (SELECT count(*) FROM alerts) AS alerts, (SELECT max(last_received_at) FROM alerts) AS seen,
               (SELECT count(*) FROM alert_deliveries) AS deliveries,
               (SELECT sum(times_received) FROM alert_deliveries) AS received,
               (SELECT count(*) FROM audit_log) AS audit`,
  )!;

async function post(body: unknown) {
  const res = await t.json('POST', '/api/v1/alerts/alertmanager', body);
  return { status: res.status, body: await res.json() };
}

describe('a large group', () => {
  it('is validated in slices but refused whole: a bad alert in the last slice writes nothing, every bad alert named', async () => {
    const n = VALIDATION_SLICE * 4;
    const group = storm(n);
    const bad = structuredClone(group) as { alerts: Array<Record<string, unknown>> };
    delete bad.alerts[3].fingerprint; // the first slice
    bad.alerts[n - 1].startsAt = 'ayer'; // the last slice
    (bad.alerts[n - 2].labels as Record<string, unknown>).onu = 7; // the last slice, too
    const before = counts();
    const { status, body } = await post(bad);
    expect(status).toBe(422);
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.message).toBe('El envío de Alertmanager no es válido; no se registró nada.');
    expect(body.error.fields.map((f: { path: string }) => f.path)).toEqual([
      'alerts.3.fingerprint',
      `alerts.${n - 2}.labels.onu`,
      `alerts.${n - 1}.startsAt`,
    ]);
    expect(body.error.fields[0].message).toBe('Cada alerta necesita su fingerprint.');
    expect(counts()).toEqual(before);
    for (const slug of SLUGS) expect(findComponent(t.db, slug)!.status).toBe('operational');

    // A bad envelope is named as the one-go parse names it; alerts over the limit are refused too.
    const noReceiver = await post({ ...group, receiver: undefined });
    expect(noReceiver.status).toBe(422);
    expect(noReceiver.body.error.fields.map((f: { path: string }) => f.path)).toEqual(['receiver']);
    const tooMany = await post(storm(MAX_ALERTS_PER_PAYLOAD + 1));
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.error.fields).toEqual([{ path: 'alerts', message: 'Hasta 5,000 alertas por envío.' }]);
    expect(counts()).toEqual(before);

    // The same group, whole and valid, is applied: every alert, every component red.
    const ok = await post(group);
    expect(ok.status).toBe(200);
    expect(ok.body.alerts).toHaveLength(n);
    expect(new Set(ok.body.alerts.map((a: { change: string }) => a.change))).toEqual(new Set(['fired']));
    for (const slug of SLUGS) expect(findComponent(t.db, slug)!.status).toBe('major_outage');
  });

  it('sent again in other bytes (keys reordered, envelope noise) is compared by what it says and writes nothing', async () => {
    const group = storm(VALIDATION_SLICE * 2 + 1);
    expect((await post(group)).status).toBe(200);
    const before = written();
    const reordered = {
      ...group,
      externalURL: 'http://alertmanager-2.somnet.local:9093',
      alerts: group.alerts.map(({ fingerprint, labels, ...rest }) => ({ fingerprint, ...rest, labels })),
    };
    const again = await post(reordered);
    expect(again.status).toBe(200);
    expect(again.body.duplicate).toBe(true);
    expect(again.body.alerts).toHaveLength(group.alerts.length);
    expect(new Set(again.body.alerts.map((a: { change: string }) => a.change))).toEqual(new Set(['resent']));
    expect(written()).toEqual(before);
  });

  it('arriving twice at once (Alertmanager resending while the first copy is applied): applied once, the copy writes nothing', async () => {
    const group = storm(VALIDATION_SLICE * 3);
    const [first, second] = await Promise.all([post(group), post(group)]);
    expect([first.status, second.status]).toEqual([200, 200]);
    const [applied, copy] = first.body.duplicate ? [second.body, first.body] : [first.body, second.body];
    expect(applied.duplicate).toBe(false);
    expect(new Set(applied.alerts.map((a: { change: string }) => a.change))).toEqual(new Set(['fired']));
    expect(copy.duplicate).toBe(true);
    expect(copy.alerts).toHaveLength(group.alerts.length);
    expect(new Set(copy.alerts.map((a: { change: string }) => a.change))).toEqual(new Set(['resent']));
    // One delivery received once, one row and one audit row per alert.
    const state = written();
    expect(state).toMatchObject({ alerts: group.alerts.length, deliveries: 1, received: 1 });
    const fires = t.db.get<{ n: number }>(sql`SELECT count(*) AS n FROM audit_log WHERE action = 'alert.fire'`)!.n;
    expect(fires).toBe(group.alerts.length);
  });
});

describe('a large body, read off the event loop by the intake worker', () => {
  it('is refused as a small one is when it is not a JSON object (400), and writes nothing', async () => {
    const before = counts();
    const padding = 'x'.repeat(OFFLOAD_MIN_BYTES);
    const broken = await t.json('POST', '/api/v1/alerts/alertmanager', `{"receiver": "noc", "x": "${padding}"`);
    expect(broken.status).toBe(400);
    expect((await broken.json()).error).toEqual({ code: 'invalid_json', message: 'El cuerpo no es JSON válido.' });
    const list = await t.json('POST', '/api/v1/alerts/alertmanager', JSON.stringify([padding]));
    expect(list.status).toBe(400);
    expect((await list.json()).error.message).toBe('El cuerpo debe ser un objeto JSON.');
    expect(counts()).toEqual(before);
  });

  it('applies a Grafana group with repeated fingerprints once per fingerprint, the last copy winning', async () => {
    const group = grafanaPayload(
      Array.from({ length: 900 }, (_, i) => ({
        labels: { alertname: 'OnuSinLuz', onu: `onu-${i % 600}`, component: SLUGS[i % 3], severity: 'critical' },
        annotations: { summary: `ONU ${i % 600} sin señal óptica (copia ${i < 600 ? 1 : 2})` },
      })),
    );
    expect(JSON.stringify(group).length).toBeGreaterThan(OFFLOAD_MIN_BYTES);
    const res = await t.json('POST', '/api/v1/alerts/grafana', group);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await res.json();
    expect(body.alerts).toHaveLength(600);
    expect(body.alerts[0]).toMatchObject({ change: 'fired', components: [SLUGS[0]] });
    const summaries = t.db.all<{ summary: string }>(
      sql`SELECT summary FROM alerts WHERE fingerprint = ${group.alerts[0].fingerprint}`,
    );
    expect(summaries).toEqual([{ summary: 'ONU 0 sin señal óptica (copia 2)' }]);
    expect(t.db.get<{ n: number }>(sql`SELECT alert_count AS n FROM alert_deliveries`)!.n).toBe(900);
    // The body is kept as received: decoded from the bytes the worker was handed, accents and all.
    // Stored gzipped by the worker (the event loop never writes the 2 MB), the text as received once unzipped.
    const stored = t.db.select().from(alertDeliveryBodies).get()!;
    expect(stored.body).toBe('');
    expect(stored.gzip).not.toBeNull();
    expect(deliveryBodyText(stored)).toBe(JSON.stringify(group));
    // What the console shows of it.
    expect(recentAlertDeliveries(t.db)[0].body).toBe(JSON.stringify(group));
    for (const slug of SLUGS) expect(findComponent(t.db, slug)!.status).toBe('major_outage');
  });

  it('flushes the public pages once, at the end, even when its slices change no alert in public', async () => {
    const group = storm(VALIDATION_SLICE * 3);
    expect((await post(group)).status).toBe(200);
    // The same group with only its last alert's text changed: every slice but the last only
    // touches alerts received again, and components change (if at all) in the last transaction.
    const changed = structuredClone(group);
    changed.alerts.at(-1)!.annotations = { summary: 'ONU sin señal óptica, otra vez' };
    let flushes = 0;
    const stop = onCommit(t.db, () => flushes++);
    try {
      const again = await post(changed);
      expect(again.status).toBe(200);
      expect(again.body.duplicate).toBe(false);
    } finally {
      stop();
    }
    expect(flushes).toBe(1);
  });
});

describe('a packed group (what the intake worker hands back)', () => {
  it('reads any slice of its unique alerts as the in-memory list gives them', () => {
    const group = grafanaPayload(
      Array.from({ length: PACK_SIZE * 4 + 7 }, (_, i) => ({
        labels: { alertname: 'OnuSinLuz', onu: `onu-${i % (PACK_SIZE * 3)}`, component: SLUGS[i % 3] },
        annotations: { summary: `ONU ${i}` },
        ...(i % 5 === 0 ? { status: 'resolved' as const, endsAt: '2026-11-26T17:00:00Z' } : {}),
      })),
    );
    const expected = uniqueByFingerprint(grafanaWebhookInput.parse(group).alerts.map(fromEnvelope));
    const packed = new PackedAlerts(packEnvelope('grafana', group));
    expect(packed.length).toBe(expected.length);
    expect(packed.group.count).toBe(group.alerts.length);
    for (const [start, end] of [
      [0, 1],
      [0, PACK_SIZE],
      [PACK_SIZE - 1, PACK_SIZE + 1],
      [3, PACK_SIZE * 2 + 4],
      [expected.length - 2, expected.length + 10],
      [0, expected.length],
    ])
      expect(packed.slice(start, end)).toEqual(expected.slice(start, end));
  });
});

describe('a large group read in process (the worker unable to run, or a caller holding parsed JSON)', () => {
  it('is refused and applied exactly as through the worker', async () => {
    const n = VALIDATION_SLICE * 4;
    const group = storm(n);
    const bad = structuredClone(group) as { alerts: Array<Record<string, unknown>> };
    delete bad.alerts[3].fingerprint;
    bad.alerts[n - 1].startsAt = 'ayer';
    const before = counts();
    const ctx = { now: t.clock.now() };
    const refused = await receiveAlertmanagerWebhook(t.db, bad, JSON.stringify(bad), ctx).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(CommandError);
    expect((refused as CommandError).fields!.map((f) => f.path)).toEqual([
      'alerts.3.fingerprint',
      `alerts.${n - 1}.startsAt`,
    ]);
    expect(counts()).toEqual(before);
    const applied = await receiveAlertmanagerWebhook(t.db, group, JSON.stringify(group), ctx);
    expect(applied.alerts).toHaveLength(n);
    for (const slug of SLUGS) expect(findComponent(t.db, slug)!.status).toBe('major_outage');
    // The same alerts in other bytes through the route (the worker reads them): its digest of what
    // they say is the one computed here, so they are an unchanged resend.
    const reordered = {
      ...group,
      externalURL: 'http://alertmanager-2.somnet.local:9093',
      alerts: group.alerts.map(({ fingerprint, labels, ...rest }) => ({ fingerprint, ...rest, labels })),
    };
    const again = await post(reordered);
    expect(again.body.duplicate).toBe(true);
    expect(new Set(again.body.alerts.map((a: { change: string }) => a.change))).toEqual(new Set(['resent']));
  });
});
