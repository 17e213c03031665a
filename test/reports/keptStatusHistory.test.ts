// A render worker keeps every status event of its snapshot in memory (keepStatusHistory) and
// finds the status in force at the start of each window by a binary search instead of a query
// per component and window. The timelines must be exactly those the queries give, also when
// changes were recorded out of the order in which they took effect (corrections, backdating).
import { describe, expect, it } from 'vitest';
import { forgetStatusHistory, keepStatusHistory, statusTimelines } from '#db/queries/availability.ts';
import { componentCatalogue } from '#db/queries/catalog.ts';
import { freshDb } from '../support/db.ts';

describe('status timelines from the kept status history', () => {
  it('are those the database gives, for every window, with changes recorded out of order', () => {
    const db = freshDb();
    const ids = componentCatalogue(db).all.map((c) => c.id);
    expect(ids.length).toBeGreaterThan(2);
    const statuses = ['operational', 'degraded_performance', 'partial_outage', 'major_outage'] as const;
    // A fixed pseudo-random sequence: the same events on every run.
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const start = Date.parse('2026-01-01T06:00:00Z');
    const span = 200 * 86_400_000;
    const insert = db.$client.prepare(
      `INSERT INTO component_status_events (component_id, previous_status, status, at, cause_kind, cause_id, effective_at)
       VALUES (?, NULL, ?, ?, 'incident', NULL, ?)`,
    );
    for (let i = 0; i < 600; i++) {
      // Recorded at some time; taking effect then or (a correction) up to 20 days earlier.
      const at = start + Math.floor(random() * span);
      const effective = random() < 0.3 ? at - Math.floor(random() * 20 * 86_400_000) : at;
      // A few share their recording time: the id breaks the tie.
      insert.run(
        ids[Math.floor(random() * ids.length)],
        statuses[Math.floor(random() * 4)],
        random() < 0.1 ? start + span / 2 : at,
        effective,
      );
    }
    const windows: Array<[Date, Date]> = [];
    for (let m = 0; m < 8; m++)
      windows.push([
        new Date(start + m * 30 * 86_400_000 - 86_400_000 * 40),
        new Date(start + (m + 1) * 30 * 86_400_000),
      ]);
    windows.push(
      [new Date(0), new Date(start + span * 2)],
      [new Date(start + span / 2), new Date(start + span / 2 + 1)],
    );
    const fromQueries = windows.map(([from, to]) => statusTimelines(db, ids, from, to));
    keepStatusHistory(db);
    try {
      windows.forEach(([from, to], i) => {
        const kept = statusTimelines(db, ids, from, to);
        expect(kept).toEqual(fromQueries[i]);
        // One component alone too (the reconciler's call).
        expect(statusTimelines(db, [ids[1]], from, to)).toEqual(new Map([[ids[1], fromQueries[i].get(ids[1])]]));
      });
      // Windows with something in force at their start were compared, not only empty ones.
      expect(fromQueries.some((t) => [...t.values()].some((points) => points.length > 1))).toBe(true);
    } finally {
      forgetStatusHistory(db);
    }
  });
});
