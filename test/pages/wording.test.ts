import { describe, expect, it } from 'vitest';
import { agoText, ETA_PASSED } from '../../site/lib/wording.ts';

describe('"hace 12 min" beside an absolute time (site/scripts/freshness.ts)', () => {
  it('counts minutes, then hours and minutes, then days', () => {
    expect(agoText(20_000)).toBe('hace menos de 1 min');
    expect(agoText(12 * 60_000)).toBe('hace 12 min');
    expect(agoText((3 * 60 + 20) * 60_000)).toBe('hace 3 h 20 min');
    expect(agoText(26 * 3600_000)).toBe('hace 1 día');
    expect(agoText(75 * 3600_000)).toBe('hace 3 días');
  });
  it('says a passed ETA is overdue, in the words customers were promised', () => {
    expect(ETA_PASSED).toBe('vencida — esperando actualización');
  });
});
