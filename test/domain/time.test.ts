import { describe, expect, it } from 'vitest';
import {
  formatDateTime,
  formatDuration,
  startOfZonedDay,
  zonedDateKey,
  zonedMidnight,
  zoneOffsetMinutes,
} from '#db/domain/time.ts';

describe('America/Mexico_City time', () => {
  it('is UTC-6 all year since 2022 (no DST)', () => {
    expect(zoneOffsetMinutes(new Date('2026-07-01T12:00:00Z'))).toBe(-360);
    expect(zoneOffsetMinutes(new Date('2026-12-01T12:00:00Z'))).toBe(-360);
  });

  it('formats in local time whatever the server zone', () => {
    expect(formatDateTime(new Date('2026-11-26T20:05:00Z'))).toBe('26 nov 2026, 14:05');
  });

  it('computes local days', () => {
    expect(zonedDateKey(new Date('2026-11-27T05:59:00Z'))).toBe('2026-11-26');
    expect(zonedDateKey(new Date('2026-11-27T06:00:00Z'))).toBe('2026-11-27');
    expect(startOfZonedDay(new Date('2026-11-26T18:00:00Z')).toISOString()).toBe('2026-11-26T06:00:00.000Z');
    expect(zonedMidnight(2026, 12, 1).toISOString()).toBe('2026-12-01T06:00:00.000Z');
  });

  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0 min');
    expect(formatDuration(3 * 3600_000 + 12 * 60_000)).toBe('3 h 12 min');
    expect(formatDuration(26 * 3600_000)).toBe('1 d 2 h');
  });
});
