import { describe, expect, it } from 'vitest';
import { addBusinessMinutes, slaState } from '#db/domain/businessHours.ts';

// Mexico City is UTC−6 all year: 09:00 local = 15:00Z, 18:00 local = 00:00Z next day.
describe('addBusinessMinutes (Mon–Fri 09:00–18:00 America/Mexico_City)', () => {
  it('adds within the same working day', () => {
    // Thursday 26 Nov 2026, 10:00 local
    expect(addBusinessMinutes(new Date('2026-11-26T16:00:00Z'), 240).toISOString()).toBe('2026-11-26T20:00:00.000Z');
  });
  it('carries the remainder over to the next working morning', () => {
    // Thursday 16:00 local + 4 h → 2 h Thursday, 2 h Friday from 09:00 → Friday 11:00 local
    expect(addBusinessMinutes(new Date('2026-11-26T22:00:00Z'), 240).toISOString()).toBe('2026-11-27T17:00:00.000Z');
  });
  it('starts counting at opening time when reported before 09:00', () => {
    // Thursday 06:30 local → 13:00 local
    expect(addBusinessMinutes(new Date('2026-11-26T12:30:00Z'), 240).toISOString()).toBe('2026-11-26T19:00:00.000Z');
  });
  it('skips the weekend', () => {
    // Friday 17:00 local + 4 h → 1 h Friday, 3 h Monday → Monday 30 Nov 12:00 local
    expect(addBusinessMinutes(new Date('2026-11-27T23:00:00Z'), 240).toISOString()).toBe('2026-11-30T18:00:00.000Z');
    // Saturday noon local → Monday 13:00 local
    expect(addBusinessMinutes(new Date('2026-11-28T18:00:00Z'), 240).toISOString()).toBe('2026-11-30T19:00:00.000Z');
  });
  it('treats a report after closing like one at next opening', () => {
    // Wednesday 20:00 local (Thursday 02:00Z) → Thursday 13:00 local
    expect(addBusinessMinutes(new Date('2026-11-26T02:00:00Z'), 240).toISOString()).toBe('2026-11-26T19:00:00.000Z');
  });
  it('ends exactly at closing time when the budget runs out there', () => {
    // Thursday 14:00 local + 4 h = 18:00 local
    expect(addBusinessMinutes(new Date('2026-11-26T20:00:00Z'), 240).toISOString()).toBe('2026-11-27T00:00:00.000Z');
  });
});

describe('slaState', () => {
  const last = new Date('2026-11-26T16:00:00Z'); // Thursday 10:00 local
  it('Alta: overdue after 30 minutes of wall-clock time', () => {
    expect(slaState('critical', last, new Date('2026-11-26T16:30:00Z')).overdue).toBe(false);
    const late = slaState('critical', last, new Date('2026-11-26T16:31:00Z'));
    expect(late.overdue).toBe(true);
    expect(late.elapsedMs).toBe(31 * 60_000);
  });
  it('Media: 2 hours', () => {
    expect(slaState('major', last, new Date('2026-11-26T17:59:00Z')).overdue).toBe(false);
    expect(slaState('major', last, new Date('2026-11-26T18:01:00Z')).overdue).toBe(true);
  });
  it('Baja: 4 business hours, so a Friday-evening update is not overdue on Saturday', () => {
    const friday = new Date('2026-11-27T23:30:00Z'); // Friday 17:30 local
    expect(slaState('minor', friday, new Date('2026-11-28T20:00:00Z')).overdue).toBe(false);
    expect(slaState('minor', friday, new Date('2026-11-30T18:31:00Z')).overdue).toBe(true); // Monday 12:31 local
  });
  it('Informativo has no commitment', () => {
    const s = slaState('none', last, new Date('2026-12-26T00:00:00Z'));
    expect(s).toMatchObject({ dueAt: null, overdue: false });
  });
});
