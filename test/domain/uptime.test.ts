import { describe, expect, it } from 'vitest';
import { formatPercent, uptimeFromEvents, type StatusPoint } from '#db/domain/uptime.ts';
import type { MaintenanceSpan } from '#db/domain/availability.ts';

const at = (s: string) => new Date(s);
// 2026-11-26 12:00 in Mexico City (UTC-6).
const now = at('2026-11-26T18:00:00Z');

describe('uptime from status events', () => {
  it('has no data before the first event', () => {
    const u = uptimeFromEvents([], now, 5);
    expect(u.percent).toBeNull();
    expect(u.days.map((d) => d.level)).toEqual(['nodata', 'nodata', 'nodata', 'nodata', 'nodata']);
  });

  it('days are local (America/Mexico_City) calendar days, oldest first, today last', () => {
    const points: StatusPoint[] = [{ at: at('2026-11-01T00:00:00Z'), status: 'operational' }];
    const u = uptimeFromEvents(points, now, 3);
    expect(u.days.map((d) => d.date)).toEqual(['2026-11-24', '2026-11-25', '2026-11-26']);
    expect(u.days.every((d) => d.level === 'ok')).toBe(true);
    expect(u.percent).toBe(100);
  });

  it('counts minutes per status inside each local day and colours by the worst', () => {
    const points: StatusPoint[] = [
      { at: at('2026-11-01T00:00:00Z'), status: 'operational' },
      // 2026-11-25 10:00–11:00 local: total outage for 60 minutes.
      { at: at('2026-11-25T16:00:00Z'), status: 'major_outage' },
      { at: at('2026-11-25T17:00:00Z'), status: 'operational' },
      // 2026-11-24 23:30 local → 00:30 next day: 60 minutes of intermittence across midnight.
      { at: at('2026-11-25T05:30:00Z'), status: 'partial_outage' },
      { at: at('2026-11-25T06:30:00Z'), status: 'operational' },
    ].sort((a, b) => a.at.getTime() - b.at.getTime()) as StatusPoint[];
    const u = uptimeFromEvents(points, now, 3);
    const [d24, d25, d26] = u.days;
    expect(d24.minutes.partial).toBe(30);
    expect(d24.level).toBe('partial');
    expect(d25.minutes).toEqual({ major: 60, partial: 30, degraded: 0, maintenance: 0 });
    expect(d25.level).toBe('major');
    expect(d26.level).toBe('ok');
    // Observed: 2 full days + 12 h today = 3600 min; down = 60 + 0.3 × 60 = 78.
    expect(u.percent).toBeCloseTo(100 * (1 - 78 / 3600), 6);
  });

  it('treats announced maintenance as maintenance, not downtime; unannounced counts', () => {
    const points: StatusPoint[] = [
      { at: at('2026-11-25T06:00:00Z'), status: 'under_maintenance' },
      { at: at('2026-11-25T09:00:00Z'), status: 'operational' },
    ];
    const announced: MaintenanceSpan[] = [
      {
        from: at('2026-11-25T06:00:00Z').getTime(),
        until: at('2026-11-25T09:00:00Z').getTime(),
        announced: true,
        impact: 'outage',
      },
    ];
    const u = uptimeFromEvents(points, now, 2, undefined, announced);
    expect(u.days[0].level).toBe('maintenance');
    expect(u.days[0].minutes.maintenance).toBe(180);
    expect(u.percent).toBe(100);
    // The same three hours with no window announcing them (put «En mantenimiento» by hand).
    const unannounced = uptimeFromEvents(points, now, 2);
    expect(unannounced.days[0].level).toBe('maintenance');
    // Observed from 00:00 local on the 25th to 12:00 local on the 26th = 36 h; 3 h down.
    expect(unannounced.percent).toBeCloseTo(100 * (1 - 180 / (36 * 60)), 9);
  });

  it('starts counting at the component creation, mid-day', () => {
    const points: StatusPoint[] = [{ at: at('2026-11-26T15:00:00Z'), status: 'degraded_performance' }];
    const u = uptimeFromEvents(points, now, 2);
    expect(u.days[0].level).toBe('nodata');
    expect(u.days[1].level).toBe('degraded');
    expect(u.days[1].minutes.degraded).toBe(180);
  });

  it('never rounds a bad day up to 100 %', () => {
    expect(formatPercent(99.9999)).toBe('99.99 %');
    expect(formatPercent(100)).toBe('100.00 %');
    expect(formatPercent(null)).toBe('sin datos');
  });
});
