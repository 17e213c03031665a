// The status a component had when a window opens (the first point of each 90-day bar on `/`):
// the latest-recorded change that took effect before it, a correction recorded later winning.
// Found from the newest changes backwards, so its cost follows the window, not ten years of history.
import { describe, expect, it } from 'vitest';
import { freshDb } from '../support/db.ts';
import { STATUS_IN_FORCE_SQL, statusTimelines } from '#db/queries/availability.ts';

const DAY = 86_400_000;

describe('the status in force when a window opens', () => {
  it('is the latest-recorded change effective before it, whatever came earlier; read through the (component, at) index', () => {
    const db = freshDb({ seed: false });
    const c = db.$client;
    const now = Date.UTC(2026, 10, 26, 18);
    c.prepare(
      "INSERT INTO components (id, slug, name, status, position, created_at, updated_at) VALUES ('c1', 'c1', 'Enlace', 'operational', 0, 0, 0)",
    ).run();
    const event = c.prepare(
      "INSERT INTO component_status_events (component_id, status, at, effective_at, cause_kind) VALUES ('c1', ?, ?, ?, 'manual')",
    );
    // Years of history: outages and restorations long before the window.
    for (let i = 0; i < 400; i++) {
      const at = now - (3_000 - i * 5) * DAY;
      event.run(i % 2 ? 'operational' : 'major_outage', at, at);
    }
    // 120 days ago an outage began; 100 days ago, recorded 30 days later, it was corrected:
    // the link was only degraded from 110 days ago.
    event.run('major_outage', now - 120 * DAY, now - 120 * DAY);
    event.run('degraded_performance', now - 70 * DAY, now - 110 * DAY);
    // Inside the window.
    event.run('operational', now - 10 * DAY, now - 10 * DAY);
    const from = new Date(now - 90 * DAY);
    const timeline = statusTimelines(db, ['c1'], from, new Date(now)).get('c1')!;
    expect(timeline[0]).toEqual({ at: new Date(now - 110 * DAY), status: 'degraded_performance' });
    expect(timeline.at(-1)).toEqual({ at: new Date(now - 10 * DAY), status: 'operational' });
    const plan = (
      c.prepare(`EXPLAIN QUERY PLAN ${STATUS_IN_FORCE_SQL}`).all('c1', from.getTime()) as Array<{
        detail: string;
      }>
    ).map((r) => r.detail);
    expect(plan.join('\n')).toContain('status_events_component_at_idx');
    expect(plan.join('\n')).not.toContain('TEMP B-TREE');
    c.close();
  });
});
