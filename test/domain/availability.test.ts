import { describe, expect, it } from 'vitest';
import {
  availabilityPercent,
  availabilityTally,
  compensationEstimate,
  hadOutage,
  maintenanceSpans,
  overlayTimeline,
  type MaintenanceRecord,
  type MaintenanceSpan,
  type StatusPoint,
} from '#db/domain/availability.ts';
import { monthBounds } from '#db/queries/history.ts';

const t = (s: string) => new Date(s).getTime();
const p = (s: string, status: StatusPoint['status']): StatusPoint => ({ at: new Date(s), status });
const HOUR = 3_600_000;

// November 2026 in Mexico City (UTC−6): 2026-11-01T06:00Z → 2026-12-01T06:00Z.
const nov = monthBounds('2026-11');

describe('month edges in America/Mexico_City', () => {
  it('a month runs from local midnight to local midnight', () => {
    expect(nov.from.toISOString()).toBe('2026-11-01T06:00:00.000Z');
    expect(nov.to.toISOString()).toBe('2026-12-01T06:00:00.000Z');
  });

  it('an outage across the turn of the month is split at local midnight, not UTC midnight', () => {
    // 2026-11-30 23:00 → 2026-12-01 01:00 local: one hour in each month.
    const points = [
      p('2026-10-01T00:00:00Z', 'operational'),
      p('2026-12-01T05:00:00Z', 'major_outage'),
      p('2026-12-01T07:00:00Z', 'operational'),
    ];
    const november = availabilityTally(points, [], nov.from.getTime(), nov.to.getTime());
    const dec = monthBounds('2026-12');
    const december = availabilityTally(points, [], dec.from.getTime(), dec.to.getTime());
    expect(november.major).toBe(60);
    expect(december.major).toBe(60);
    expect(november.observed).toBe(30 * 24 * 60);
    expect(availabilityPercent(november)).toBeCloseTo(100 * (1 - 60 / 43_200), 12);
  });

  it('counts nothing before the first status change (a component created mid-month)', () => {
    const points = [
      p('2026-11-16T06:00:00Z', 'operational'),
      p('2026-11-20T18:00:00Z', 'partial_outage'),
      p('2026-11-20T20:00:00Z', 'operational'),
    ];
    const tally = availabilityTally(points, [], nov.from.getTime(), nov.to.getTime());
    expect(tally.observed).toBe(15 * 24 * 60);
    expect(tally.partial).toBe(120);
    expect(tally.down).toBeCloseTo(0.3 * 120, 9);
    expect(availabilityTally([], [], nov.from.getTime(), nov.to.getTime()).observed).toBe(0);
    expect(availabilityPercent(availabilityTally([], [], nov.from.getTime(), nov.to.getTime()))).toBeNull();
  });
});

describe('maintenance: 72 h notice, emergencies, overlaps', () => {
  const base: MaintenanceRecord = {
    emergency: false,
    impactKind: 'outage',
    createdAt: new Date('2026-11-01T12:00:00Z'),
    // 2026-11-10 00:00–03:00 local.
    scheduledFor: new Date('2026-11-10T06:00:00Z'),
    scheduledUntil: new Date('2026-11-10T09:00:00Z'),
    startedAt: new Date('2026-11-10T06:00:00Z'),
    endedAt: new Date('2026-11-10T09:00:00Z'),
    changes: [],
  };
  const points = [
    p('2026-10-01T00:00:00Z', 'operational'),
    p('2026-11-10T06:00:00Z', 'under_maintenance'),
    p('2026-11-10T09:00:00Z', 'operational'),
  ];
  const month = (spans: MaintenanceSpan[], pts = points) =>
    availabilityTally(pts, spans, nov.from.getTime(), nov.to.getTime());

  it('a window announced 72 h ahead is shown apart and counts neither way', () => {
    const tally = month(maintenanceSpans(base, Date.now()));
    expect(tally.maintenance).toBe(180);
    expect(tally.unannouncedMaintenance).toBe(0);
    expect(tally.down).toBe(0);
    expect(availabilityPercent(tally)).toBe(100);
  });

  it('a window announced with less than 72 h counts as unavailability (outage impact)', () => {
    const short = { ...base, createdAt: new Date(base.startedAt!.getTime() - 71 * HOUR) };
    const tally = month(maintenanceSpans(short, Date.now()));
    expect(tally.maintenance).toBe(0);
    expect(tally.unannouncedMaintenance).toBe(180);
    expect(tally.down).toBe(180);
    expect(availabilityPercent(tally)).toBeCloseTo(100 * (1 - 180 / 43_200), 12);
    // Exactly 72 h is enough notice.
    expect(
      month(maintenanceSpans({ ...base, createdAt: new Date(base.startedAt!.getTime() - 72 * HOUR) }, Date.now()))
        .maintenance,
    ).toBe(180);
  });

  it('an emergency window counts even when announced days ahead', () => {
    const tally = month(maintenanceSpans({ ...base, emergency: true }, Date.now()));
    expect(tally.down).toBe(180);
  });

  it('a window announced as degraded or without impact is not unavailability, even unannounced', () => {
    expect(month(maintenanceSpans({ ...base, emergency: true, impactKind: 'degraded' }, Date.now())).down).toBe(0);
    expect(month(maintenanceSpans({ ...base, emergency: true, impactKind: 'no_impact' }, Date.now())).down).toBe(0);
  });

  it('«En mantenimiento» set by hand, with no window at all, counts as without service', () => {
    expect(month([]).down).toBe(180);
  });

  it('an early start and an overrun count; only the announced stretch is excluded', () => {
    // Started 30 min early and ran 30 min past the announced end.
    const pts = [
      p('2026-10-01T00:00:00Z', 'operational'),
      p('2026-11-10T05:30:00Z', 'under_maintenance'),
      p('2026-11-10T09:30:00Z', 'operational'),
    ];
    const started = { ...base, startedAt: new Date('2026-11-10T05:30:00Z'), endedAt: new Date('2026-11-10T09:30:00Z') };
    const tally = month(maintenanceSpans(started, Date.now()), pts);
    expect(tally.maintenance).toBe(180);
    expect(tally.unannouncedMaintenance).toBe(60);
    expect(tally.down).toBe(60);
  });

  it('a window brought forward counts as announced only for what was known 72 h before it began', () => {
    // Announced on the 1st for the 12th; on the 9th (less than 72 h before) moved to the 10th.
    const moved: MaintenanceRecord = {
      ...base,
      changes: [
        {
          at: new Date('2026-11-09T12:00:00Z'),
          previousFor: new Date('2026-11-12T06:00:00Z'),
          previousUntil: new Date('2026-11-12T09:00:00Z'),
        },
      ],
    };
    expect(month(maintenanceSpans(moved, Date.now())).down).toBe(180);
    // Moved early enough (on the 5th) it is announced.
    const movedEarly = { ...moved, changes: [{ ...moved.changes[0], at: new Date('2026-11-05T12:00:00Z') }] };
    expect(month(maintenanceSpans(movedEarly, Date.now())).maintenance).toBe(180);
  });

  it('an incident during an announced window counts: the status timeline says what customers saw', () => {
    // The window put the component in maintenance; an hour in, an incident took it down.
    const pts = [
      p('2026-10-01T00:00:00Z', 'operational'),
      p('2026-11-10T06:00:00Z', 'under_maintenance'),
      p('2026-11-10T07:00:00Z', 'major_outage'),
      p('2026-11-10T08:00:00Z', 'under_maintenance'),
      p('2026-11-10T09:00:00Z', 'operational'),
    ];
    const tally = month(maintenanceSpans(base, Date.now()), pts);
    expect(tally.maintenance).toBe(120);
    expect(tally.major).toBe(60);
    expect(tally.down).toBe(60);
    expect(availabilityPercent(tally)).toBeCloseTo(100 * (1 - 60 / (43_200 - 120)), 12);
  });

  it('overlapping windows: announced wins where it covers; an emergency overlapping it counts only outside', () => {
    const emergency: MaintenanceRecord = {
      ...base,
      emergency: true,
      startedAt: new Date('2026-11-10T08:00:00Z'),
      endedAt: new Date('2026-11-10T10:00:00Z'),
    };
    const pts = [
      p('2026-10-01T00:00:00Z', 'operational'),
      p('2026-11-10T06:00:00Z', 'under_maintenance'),
      p('2026-11-10T10:00:00Z', 'operational'),
    ];
    const tally = month([...maintenanceSpans(base, Date.now()), ...maintenanceSpans(emergency, Date.now())], pts);
    expect(tally.maintenance).toBe(180);
    expect(tally.unannouncedMaintenance).toBe(60);
    expect(tally.down).toBe(60);
  });

  it('a window still in progress runs until the time given', () => {
    const open = { ...base, endedAt: null };
    const spans = maintenanceSpans(open, t('2026-11-10T07:00:00Z'));
    expect(spans).toEqual([
      { from: t('2026-11-10T06:00:00Z'), until: t('2026-11-10T07:00:00Z'), announced: false, impact: 'outage' },
      { from: t('2026-11-10T06:00:00Z'), until: t('2026-11-10T07:00:00Z'), announced: true, impact: 'outage' },
    ]);
    expect(maintenanceSpans({ ...base, startedAt: null }, Date.now())).toEqual([]);
  });
});

describe('overlapping incidents', () => {
  it('two incidents on one component: minutes follow the status timeline, not a sum of incidents', () => {
    // Incident A (partial) 10:00–12:00, incident B worsens it to major 11:00–11:30, A resolves at 12:00.
    const points = [
      p('2026-10-01T00:00:00Z', 'operational'),
      p('2026-11-20T16:00:00Z', 'partial_outage'),
      p('2026-11-20T17:00:00Z', 'major_outage'),
      p('2026-11-20T17:30:00Z', 'partial_outage'),
      p('2026-11-20T18:00:00Z', 'operational'),
    ];
    const tally = availabilityTally(points, [], nov.from.getTime(), nov.to.getTime());
    expect(tally.major).toBe(30);
    expect(tally.partial).toBe(90);
    expect(tally.down).toBeCloseTo(30 + 0.3 * 90, 9);
  });

  it('degraded minutes are shown and do not count', () => {
    const points = [
      p('2026-10-01T00:00:00Z', 'operational'),
      p('2026-11-20T16:00:00Z', 'degraded_performance'),
      p('2026-11-20T17:00:00Z', 'operational'),
    ];
    const tally = availabilityTally(points, [], nov.from.getTime(), nov.to.getTime());
    expect(tally.degraded).toBe(60);
    expect(availabilityPercent(tally)).toBe(100);
  });
});

describe('a service: its component, worsened while an incident named one of its elements', () => {
  it("the worst status holds at every instant; nothing before the component's first event", () => {
    const points = [
      p('2026-11-01T06:00:00Z', 'operational'),
      p('2026-11-20T16:00:00Z', 'degraded_performance'),
      p('2026-11-20T18:00:00Z', 'operational'),
    ];
    const merged = overlayTimeline(points, [
      { from: t('2026-10-31T00:00:00Z'), until: t('2026-11-01T07:00:00Z'), status: 'major_outage' },
      { from: t('2026-11-20T17:00:00Z'), until: t('2026-11-20T17:30:00Z'), status: 'major_outage' },
    ]);
    expect(merged.map((x) => [x.at.toISOString(), x.status])).toEqual([
      ['2026-11-01T06:00:00.000Z', 'major_outage'],
      ['2026-11-01T07:00:00.000Z', 'operational'],
      ['2026-11-20T16:00:00.000Z', 'degraded_performance'],
      ['2026-11-20T17:00:00.000Z', 'major_outage'],
      ['2026-11-20T17:30:00.000Z', 'degraded_performance'],
      ['2026-11-20T18:00:00.000Z', 'operational'],
    ]);
    const tally = availabilityTally(merged, [], nov.from.getTime(), nov.to.getTime());
    expect(tally.major).toBe(90);
    expect(tally.degraded).toBe(90);
  });

  it('NOM-184: the proportional part of the price plus 20 % of it', () => {
    // 3,499 MXN a month, 60 of 43,200 minutes unavailable.
    expect(compensationEstimate(3499, 60, 43_200)).toEqual({ proportional: 4.86, bonus: 0.97, total: 5.83 });
    expect(compensationEstimate(1000, 0, 43_200)).toEqual({ proportional: 0, bonus: 0, total: 0 });
    // Never more than the month itself (+ 20 %).
    expect(compensationEstimate(1000, 50_000, 43_200)).toEqual({ proportional: 1000, bonus: 200, total: 1200 });
  });

  it('an outage, for the statement email: a minute of unavailability as stated; slowness or announced maintenance is none', () => {
    const at = (from: string, status: StatusPoint['status'], until: string) =>
      availabilityTally(
        [p('2026-11-01T06:00:00Z', 'operational'), p(from, status), p(until, 'operational')],
        [],
        nov.from.getTime(),
        nov.to.getTime(),
      );
    expect(hadOutage(at('2026-11-10T16:00:00Z', 'major_outage', '2026-11-10T16:01:00Z'))).toBe(true);
    // 2 min of «Intermitencia» count 0.6 min: shown as 1 min, an outage.
    expect(hadOutage(at('2026-11-10T16:00:00Z', 'partial_outage', '2026-11-10T16:02:00Z'))).toBe(true);
    // 1 min of it counts 0.3 min: shown as 0 min, none.
    expect(hadOutage(at('2026-11-10T16:00:00Z', 'partial_outage', '2026-11-10T16:01:00Z'))).toBe(false);
    expect(hadOutage(at('2026-11-10T16:00:00Z', 'degraded_performance', '2026-11-12T16:00:00Z'))).toBe(false);
  });
});
