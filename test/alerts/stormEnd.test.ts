// What a large group does off the event loop's critical moments, through a real SQLite file: the
// WAL is copied into the database file by the intake worker while the group is applied (the
// server's connection never checkpoints in the middle of a slice), and the components' changes at
// its end are decided in the turn before the transaction that writes them — written as the
// reconciler would have written them itself, and decided again when anything was written meanwhile.
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { openDatabase, type Db } from '#db/client.ts';
import { findComponent } from '#db/commands/catalog.ts';
import { ALERT_SLICE } from '#db/commands/alerts/receive.ts';
import { checkpointInWorker, OFFLOAD_MIN_BYTES } from '#db/commands/alerts/offload.ts';
import { applyStatusPlan, StatusReconciler } from '#db/commands/alerts/reconciler.ts';
import { writeMark, writeTransaction } from '#db/commands/transaction.ts';
import { componentHolders } from '#db/queries/holders.ts';
import type { IntakeResult } from '#db/commands/alerts/receive.ts';
import { componentCatalogue } from '#db/queries/catalog.ts';
import { intakeJson, intakeJsonText } from '../../api/render/alerts.ts';
import { readerRendering } from '../../api/readersFirst.ts';
import { testApp } from '../support/db.ts';
import { STORM_SLUGS, stormPayload } from './payloads.ts';

type T = ReturnType<typeof testApp>;
type IntakeResultJson = ReturnType<typeof intakeJson>;
let t: T;
beforeEach(() => {
  t = testApp();
});

const SLUGS = STORM_SLUGS;

const storm = (n: number) => stormPayload(n, { startsAt: '2026-11-26T17:40:00Z' });

const pathOf = (db: Db) => db.$client.name;

/** The rows the database file itself holds, without its WAL (what a checkpoint has copied into it). */
function inFileAlone(db: Db, query: string): unknown {
  const copy = join(mkdtempSync(join(tmpdir(), 'somnet-file-alone-')), 'copia.db');
  copyFileSync(pathOf(db), copy);
  const alone = openDatabase(copy, { migrate: false });
  try {
    return alone.$client.prepare(query).pluck().get();
  } finally {
    alone.$client.close();
  }
}

/** Waits until `ok`; a throw is a no for now (a copy of the file taken while the worker writes it). */
const waitFor = async (what: string, ok: () => boolean, ms = 20_000) => {
  const until = Date.now() + ms;
  const yes = () => {
    try {
      return ok();
    } catch {
      return false;
    }
  };
  while (!yes()) {
    if (Date.now() > until) throw new Error(`no llegó: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('the WAL of a large group', () => {
  it('is copied into the database file by the intake worker, with the connection’s own checkpoints off only meanwhile', async () => {
    const group = storm(ALERT_SLICE * 3);
    expect(JSON.stringify(group).length).toBeGreaterThan(OFFLOAD_MIN_BYTES);
    const autocheckpoint = () => t.db.$client.pragma('wal_autocheckpoint', { simple: true }) as number;
    expect(autocheckpoint()).toBe(1000);
    // What the connection's setting is at each turn of the event loop while the group is applied.
    const seen = new Set<number>();
    let done = false;
    const sample = () => {
      seen.add(autocheckpoint());
      if (!done) setImmediate(sample);
    };
    setImmediate(sample);
    const res = await t.json('POST', '/api/v1/alerts/alertmanager', group);
    done = true;
    expect(res.status).toBe(200);
    expect(seen).toContain(0);
    expect(autocheckpoint()).toBe(1000);
    // Fewer than 1,000 pages of WAL: SQLite's own checkpoint would not have run yet; the worker's did.
    await waitFor('las alertas en el archivo de la base', () => {
      return inFileAlone(t.db, "SELECT count(*) FROM alerts WHERE labels LIKE '%OnuSinLuz%'") === ALERT_SLICE * 3;
    });
    for (const slug of SLUGS) expect(findComponent(t.db, slug)!.status).toBe('major_outage');
  });

  it('is checkpointed by the worker through its own connection, which waits for no one', async () => {
    t.db.$client.pragma('wal_autocheckpoint = 0');
    writeTransaction(t.db, () => {
      t.db.run(sql`CREATE TABLE prueba_wal (x TEXT)`);
      for (let i = 0; i < 200; i++) t.db.run(sql`INSERT INTO prueba_wal VALUES (${'x'.repeat(2000)})`);
    });
    expect(inFileAlone(t.db, "SELECT count(*) FROM sqlite_master WHERE name = 'prueba_wal'")).toBe(0);
    const reply = await checkpointInWorker(pathOf(t.db));
    expect(reply).toMatchObject({ kind: 'checkpointed', busy: false });
    if (reply.kind !== 'checkpointed') throw new Error('sin checkpoint');
    expect(reply.log).toBeGreaterThan(100);
    expect(reply.checkpointed).toBe(reply.log);
    expect(inFileAlone(t.db, 'SELECT count(*) FROM prueba_wal')).toBe(200);
    // A database the worker cannot open is a failure it reports, not a crash of the server.
    const missing = await checkpointInWorker(join(tmpdir(), 'no-existe', 'somnet.db'));
    expect(missing.kind).not.toBe('checkpointed');
  });
});

describe('the write mark a plan is checked against', () => {
  it('moves with a write of this connection or a commit of another, not with reads or a checkpoint', () => {
    const mark = writeMark(t.db);
    t.db.all(sql`SELECT * FROM components`);
    expect(writeMark(t.db)).toBe(mark);
    const other = openDatabase(pathOf(t.db), { migrate: false });
    try {
      other.$client.pragma('wal_checkpoint(PASSIVE)');
      expect(writeMark(t.db)).toBe(mark);
      other.run(sql`UPDATE components SET description = 'otra conexión' WHERE slug = 'toluca-fibra'`);
      const afterOther = writeMark(t.db);
      expect(afterOther).not.toBe(mark);
      t.db.run(sql`UPDATE components SET description = 'esta conexión' WHERE slug = 'toluca-fibra'`);
      expect(writeMark(t.db)).not.toBe(afterOther);
      // A statement that changes no row is no write.
      const now = writeMark(t.db);
      t.db.run(sql`UPDATE components SET description = 'nada' WHERE slug = 'no-existe'`);
      expect(writeMark(t.db)).toBe(now);
    } finally {
      other.$client.close();
    }
  });
});

describe('the end of a large group, planned in the turn before its transaction', () => {
  /**
   * Alerts stored as a storm leaves them before its end: the first component's alerts firing but
   * the component shown operational (to fire), the second's resolved with the component still
   * red (to follow down); the third left as it is.
   */
  async function pending(app: T) {
    const res = await app.json('POST', '/api/v1/alerts/alertmanager', storm(30));
    expect(res.status).toBe(200);
    const [fire, follow] = SLUGS.map((s) => findComponent(app.db, s)!);
    app.db.run(sql`UPDATE components SET status = 'operational' WHERE id = ${fire.id}`);
    app.db.run(
      sql`UPDATE alerts SET status = 'resolved', resolved_at = ${Date.parse('2026-11-26T17:55:00Z')},
                            ends_at = ${Date.parse('2026-11-26T17:50:00Z')}
           WHERE EXISTS (SELECT 1 FROM json_each(alerts.component_ids) WHERE value = ${follow.id})`,
    );
    return SLUGS.map((s) => findComponent(app.db, s)!.id);
  }

  const events = (db: Db) =>
    db.all(
      sql`SELECT c.slug, e.previous_status, e.status, e.at, e.effective_at, e.cause_kind, e.cause_id
            FROM component_status_events e JOIN components c ON c.id = e.component_id ORDER BY e.id`,
    );

  it('writes nothing while it plans, then the very changes the reconciler writes when it decides in the transaction', async () => {
    const twin = testApp();
    const ids = await pending(t);
    const twinIds = await pending(twin);
    const now = t.clock.now();

    const before = events(t.db);
    const mark = writeMark(t.db);
    const planner = new StatusReconciler(t.db, now, componentHolders(t.db), { plan: true });
    for (const id of ids) planner.fire(id);
    for (const id of ids) planner.follow(id);
    expect(planner.unplannable).toBe(false);
    expect(writeMark(t.db)).toBe(mark);
    expect(events(t.db)).toEqual(before);
    expect(planner.planned.map((p) => [p.component.status, p.to])).toEqual([
      ['operational', 'major_outage'],
      ['major_outage', 'operational'],
    ]);
    writeTransaction(t.db, () => applyStatusPlan(t.db, now, planner.planned));

    const direct = new StatusReconciler(twin.db, now, componentHolders(twin.db));
    writeTransaction(twin.db, () => {
      for (const id of twinIds) direct.fire(id);
      for (const id of twinIds) direct.follow(id);
    });
    const strip = (rows: unknown[]) =>
      (rows as Array<Record<string, unknown>>).map(({ cause_id: _, ...r }) => ({ ...r, cause: _ !== null }));
    expect(strip(events(t.db))).toEqual(strip(events(twin.db)));
    expect(SLUGS.map((s) => findComponent(t.db, s)!.status)).toEqual(['major_outage', 'operational', 'major_outage']);
    // The return took effect when the alert said it ended, not when it was written.
    const [back] = t.db.all<{ effective_at: number }>(
      sql`SELECT effective_at FROM component_status_events WHERE component_id = ${ids[1]} ORDER BY id DESC LIMIT 1`,
    );
    expect(new Date(back.effective_at).toISOString()).toBe('2026-11-26T17:50:00.000Z');
  });
});

describe('the answer to a large group', () => {
  it('waits while a reader waits for a page being rendered, then answers every alert', async () => {
    // A reader waiting for `/` (rendered again after the storm's change) until `release`.
    let release!: () => void;
    const reader = readerRendering(new Promise<void>((resolve) => (release = resolve)));
    const answer = Promise.resolve(t.json('POST', '/api/v1/alerts/alertmanager', storm(1_200)));
    let answered = false;
    void answer.then(() => (answered = true));
    const applied = () =>
      t.db.get<{ n: number }>(sql`SELECT count(*) AS n FROM alert_deliveries WHERE state = 'applied'`)!.n === 1;
    await waitFor('el grupo aplicado', applied);
    // Turns later the group is applied, and its answer still waits for the reader.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(answered).toBe(false);
    release();
    await reader;
    const res = await answer;
    expect(res.status).toBe(200);
    const body = (await res.json()) as { alerts: Array<{ fingerprint: string }> };
    expect(body.alerts).toHaveLength(1_200);
  });

  it('is the same text as one JSON.stringify of it, written a slice at a time between readers', async () => {
    const res = await t.json('POST', '/api/v1/alerts/alertmanager', storm(1_200));
    expect(res.status).toBe(200);
    const text = await res.text();
    const parsed = JSON.parse(text) as IntakeResultJson;
    expect(text).toBe(JSON.stringify(parsed));
    let held = 0;
    const result: IntakeResult = {
      deliveryId: parsed.delivery_id,
      duplicate: parsed.duplicate,
      alerts: parsed.alerts.map((a) => ({
        id: a.id,
        fingerprint: a.fingerprint,
        status: a.status,
        change: a.change,
        effect: a.effect,
        componentIds: a.components.map((slug) => findComponent(t.db, slug)!.id),
        note: a.note,
        draftId: a.draft_incident_id,
        incidentId: a.incident_id,
      })),
    };
    const again = await intakeJsonText(result, componentCatalogue(t.db), async () => {
      held++;
    });
    expect(again).toBe(text);
    // One wait per slice of ANSWER_SLICE alerts (three), and one before the whole text is joined.
    expect(held).toBe(4);
  });
});
