// The month grid of /mantenimiento (site/lib/maintenanceCalendar.ts), directly.
import { describe, expect, it } from 'vitest';
import { monthRange, monthWeeks, WEEKDAYS } from '../../site/lib/maintenanceCalendar.ts';

const w = (from: string, until: string, name = 'x') => ({
  name,
  scheduledFor: new Date(from),
  scheduledUntil: new Date(until),
});

describe('maintenance month grid', () => {
  it('covers the month in Mexico City time', () => {
    const december = monthRange('2026-12');
    expect(december.start.toISOString()).toBe('2026-12-01T06:00:00.000Z');
    expect(december.end.toISOString()).toBe('2027-01-01T06:00:00.000Z');
    expect(december.days).toBe(31);
    expect(monthRange('2028-02').days).toBe(29);
  });

  it('lays days out in Monday-first weeks with blanks outside the month', () => {
    // 1 December 2026 is a Tuesday; 31 December a Thursday.
    const weeks = monthWeeks('2026-12', []);
    expect(WEEKDAYS[0][1]).toBe('lunes');
    expect(weeks).toHaveLength(5);
    expect(weeks[0][0]).toBeNull();
    expect(weeks[0][1]?.day).toBe(1);
    expect(weeks[4].map((c) => c?.day ?? null)).toEqual([28, 29, 30, 31, null, null, null]);
    // February 2027 starts on a Monday and fills exactly four weeks.
    expect(
      monthWeeks('2027-02', [])
        .flat()
        .every((c) => c !== null),
    ).toBe(true);
  });

  it('puts a window on every local day it overlaps', () => {
    const crossing = w('2026-12-03T05:00:00Z', '2026-12-03T07:00:00Z', 'cruza'); // 23:00–01:00 local, 2–3 Dec
    const night = w('2026-12-10T06:00:00Z', '2026-12-10T09:00:00Z', 'noche'); // 00:00–03:00 local, 10 Dec
    const days = monthWeeks('2026-12', [crossing, night])
      .flat()
      .filter((c) => c && c.items.length);
    expect(days.map((c) => [c!.day, c!.items.map((m) => m.name)])).toEqual([
      [2, ['cruza']],
      [3, ['cruza']],
      [10, ['noche']],
    ]);
  });
});
