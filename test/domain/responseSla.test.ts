import { describe, expect, it } from 'vitest';
import { firstResponse, responseShares } from '#db/domain/responseSla.ts';

const d = (s: string) => new Date(s);
const MIN = 60_000;

describe('first response against the manual (1.3)', () => {
  it('Alta: under 30 minutes; exactly 30 is on time, 31 is late', () => {
    const start = d('2026-11-10T16:00:00Z');
    expect(firstResponse('critical', start, new Date(start.getTime() + 29 * MIN)).met).toBe(true);
    expect(firstResponse('critical', start, new Date(start.getTime() + 30 * MIN)).met).toBe(true);
    const late = firstResponse('critical', start, new Date(start.getTime() + 31 * MIN));
    expect(late.met).toBe(false);
    expect(late.elapsedMs).toBe(31 * MIN);
    expect(late.dueAt).toEqual(new Date(start.getTime() + 30 * MIN));
  });

  it('Media: 2 hours of clock time, nights and weekends included', () => {
    // Saturday 2026-11-14 23:00 local → due Sunday 01:00 local.
    const start = d('2026-11-15T05:00:00Z');
    expect(firstResponse('major', start, d('2026-11-15T06:59:00Z')).met).toBe(true);
    expect(firstResponse('major', start, d('2026-11-15T07:01:00Z')).met).toBe(false);
  });

  it('Baja: 4 business hours (Mon–Fri 09:00–18:00 Mexico City), as the console computes them', () => {
    // Friday 2026-11-13 17:00 local: 1 business hour that day, 3 more from Monday 09:00 → due Monday 12:00 local.
    const start = d('2026-11-13T23:00:00Z');
    const r = firstResponse('minor', start, d('2026-11-16T17:30:00Z')); // Monday 11:30 local
    expect(r.met).toBe(true);
    expect(r.dueAt).toEqual(d('2026-11-16T18:00:00Z'));
    expect(firstResponse('minor', start, d('2026-11-16T18:30:00Z')).met).toBe(false); // Monday 12:30 local
    // Started on Sunday night: the clock starts Monday 09:00.
    expect(firstResponse('minor', d('2026-11-16T04:00:00Z'), d('2026-11-16T18:59:00Z')).met).toBe(true);
  });

  it('Informativo has no commitment and is left out of the shares', () => {
    const info = firstResponse('none', d('2026-11-10T16:00:00Z'), d('2026-11-12T16:00:00Z'));
    expect(info.met).toBeNull();
    const shares = responseShares([
      info,
      firstResponse('critical', d('2026-11-10T16:00:00Z'), d('2026-11-10T16:10:00Z')),
      firstResponse('critical', d('2026-11-11T16:00:00Z'), d('2026-11-11T17:10:00Z')),
      firstResponse('major', d('2026-11-11T16:00:00Z'), d('2026-11-11T16:10:00Z')),
    ]);
    expect(shares.map((s) => s.impact)).toEqual(['critical', 'major', 'minor']);
    expect(shares[0]).toMatchObject({ incidents: 2, onTime: 1, late: 1, percent: 50, target: 'menos de 30 minutos' });
    expect(shares[1]).toMatchObject({ incidents: 1, onTime: 1, late: 0, percent: 100 });
    expect(shares[2]).toMatchObject({ incidents: 0, percent: null });
  });
});
