// The timeline rule (db/domain/timeline.ts) as a table: changes given in the order they were
// recorded, each saying "from my effective time on"; and the instant figures count up to.
import { describe, expect, it } from 'vitest';
import { faultSince, statusAt, timelineFromStatements, type StatusStatement } from '#db/domain/timeline.ts';
import { figuresAsOf } from '#db/domain/time.ts';
import type { ComponentStatus } from '#db/enums.ts';

const t = (hhmm: string) => Date.parse(`2026-12-07T${hhmm}:00Z`);
const say = (hhmm: string, status: ComponentStatus): StatusStatement => ({ effectiveAt: t(hhmm), status });
const show = (points: ReturnType<typeof timelineFromStatements>) =>
  points.map((p) => `${p.at.toISOString().slice(11, 16)} ${p.status}`);

describe('timelineFromStatements', () => {
  const cases: Array<{ name: string; recorded: StatusStatement[]; expected: string[] }> = [
    {
      name: 'changes that took effect when recorded: the plain sequence',
      recorded: [say('00:00', 'operational'), say('01:00', 'major_outage'), say('02:00', 'operational')],
      expected: ['00:00 operational', '01:00 major_outage', '02:00 operational'],
    },
    {
      name: 'an incident posted at 01:56 declaring 00:48 starts the outage at 00:48',
      recorded: [say('00:00', 'operational'), say('00:48', 'major_outage')],
      expected: ['00:00 operational', '00:48 major_outage'],
    },
    {
      name: 'a later statement overrides what earlier records said about the same period',
      // An alert set «Baja velocidad» at 01:00; the incident recorded after it says «Sin servicio» since 00:48.
      recorded: [say('00:00', 'operational'), say('01:00', 'degraded_performance'), say('00:48', 'major_outage')],
      expected: ['00:00 operational', '00:48 major_outage'],
    },
    {
      name: 'a resolution saying service came back earlier than it was posted',
      recorded: [
        say('00:00', 'operational'),
        say('00:48', 'major_outage'),
        say('01:30', 'partial_outage'),
        say('02:08', 'operational'),
      ],
      expected: ['00:00 operational', '00:48 major_outage', '01:30 partial_outage', '02:08 operational'],
    },
    {
      name: 'a resolution recorded after an update but effective before it wins from its time on',
      recorded: [
        say('00:00', 'operational'),
        say('00:48', 'major_outage'),
        say('02:30', 'partial_outage'),
        say('02:08', 'operational'),
      ],
      expected: ['00:00 operational', '00:48 major_outage', '02:08 operational'],
    },
    {
      name: 'the same status said again is one stretch',
      recorded: [say('00:00', 'operational'), say('01:00', 'major_outage'), say('00:50', 'major_outage')],
      expected: ['00:00 operational', '00:50 major_outage'],
    },
    {
      name: 'two changes with the same effective time: the later recorded holds',
      recorded: [say('00:00', 'operational'), say('01:00', 'degraded_performance'), say('01:00', 'partial_outage')],
      expected: ['00:00 operational', '01:00 partial_outage'],
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      expect(show(timelineFromStatements(c.recorded))).toEqual(c.expected);
    });

  it('starts from the status in force before a window, when given', () => {
    const points = timelineFromStatements([say('03:00', 'operational')], {
      at: new Date(t('01:00')),
      status: 'major_outage',
    });
    expect(show(points)).toEqual(['01:00 major_outage', '03:00 operational']);
    expect(statusAt(points, t('02:00'))).toBe('major_outage');
    expect(statusAt(points, t('00:30'))).toBeNull();
  });

  it('says since when a fault has lasted, through changes of its kind', () => {
    const points = timelineFromStatements([
      say('00:00', 'operational'),
      say('14:05', 'degraded_performance'),
      say('14:20', 'major_outage'),
    ]);
    expect(faultSince(points)?.toISOString()).toBe('2026-12-07T14:05:00.000Z');
    expect(faultSince(timelineFromStatements([say('00:00', 'operational')]))).toBeNull();
    expect(faultSince(timelineFromStatements([say('00:00', 'under_maintenance')]))).toBeNull();
  });
});

describe('figuresAsOf', () => {
  const now = new Date('2026-12-07T20:12:40Z');
  it('is the last quarter hour when nothing changed since', () => {
    expect(figuresAsOf(now, new Date('2026-12-07T19:00:00Z')).toISOString()).toBe('2026-12-07T20:00:00.000Z');
    expect(figuresAsOf(now, null).toISOString()).toBe('2026-12-07T20:00:00.000Z');
  });
  it('is the last status change when that is later, so an outage is counted whole once it ends', () => {
    expect(figuresAsOf(now, new Date('2026-12-07T20:05:10Z')).toISOString()).toBe('2026-12-07T20:05:10.000Z');
  });
  it('never counts past now', () => {
    expect(figuresAsOf(now, new Date('2026-12-07T20:30:00Z')).toISOString()).toBe('2026-12-07T20:00:00.000Z');
  });
});
