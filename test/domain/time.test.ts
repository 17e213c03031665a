import { describe, expect, it } from 'vitest';
import {
  formatDate,
  formatDateTime,
  formatTime,
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

describe('formatDate and formatTime, kept per local day and minute', () => {
  it('say what Intl says for every instant, across the last daylight-saving changes (2022) and back', () => {
    const intlDate = new Intl.DateTimeFormat('es-MX', {
      timeZone: 'America/Mexico_City',
      day: 'numeric',
      month: 'long',
      year: 'numeric',
    });
    const intlTime = new Intl.DateTimeFormat('es-MX', {
      timeZone: 'America/Mexico_City',
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
    });
    // Every 7 min 13 s through the spring and autumn changes of 2022 (01:00–02:00 happened twice on
    // 30 October), then the same instants again once the answers are kept.
    const instants: Date[] = [];
    for (const [from, to] of [
      ['2022-04-02T00:00:00Z', '2022-04-05T00:00:00Z'],
      ['2022-10-29T00:00:00Z', '2022-11-01T00:00:00Z'],
    ])
      for (let t = Date.parse(from); t < Date.parse(to); t += 433_000) instants.push(new Date(t));
    for (const round of [1, 2])
      for (const d of instants) {
        expect(formatDate(d), `${round} ${d.toISOString()}`).toBe(intlDate.format(d));
        expect(formatTime(d), `${round} ${d.toISOString()}`).toBe(intlTime.format(d));
      }
    expect(formatTime(new Date('2022-10-30T06:30:00Z'))).toBe(formatTime(new Date('2022-10-30T07:30:00Z')));
    expect(() => formatDate(new Date(Number.NaN))).toThrow(RangeError);
  });
});
