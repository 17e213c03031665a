import { describe, expect, it } from 'vitest';
import { overallStatus, worstStatus } from '../../db/domain/rollup.ts';

describe('status roll-up: the worst status wins', () => {
  it('is operational with nothing or only operational components', () => {
    expect(overallStatus([]).indicator).toBe('none');
    expect(overallStatus(['operational', 'operational'])).toEqual({ status: 'operational', indicator: 'none', description: 'Todos los servicios operan con normalidad' });
  });

  it('ranks major > partial > degraded > maintenance > operational', () => {
    expect(worstStatus(['operational', 'under_maintenance', 'degraded_performance'])).toBe('degraded_performance');
    expect(worstStatus(['partial_outage', 'degraded_performance'])).toBe('partial_outage');
    expect(worstStatus(['degraded_performance', 'major_outage', 'partial_outage'])).toBe('major_outage');
    expect(worstStatus(['under_maintenance', 'operational'])).toBe('under_maintenance');
  });

  it('maps to Statuspage indicators', () => {
    expect(overallStatus(['under_maintenance']).indicator).toBe('maintenance');
    expect(overallStatus(['degraded_performance']).indicator).toBe('minor');
    expect(overallStatus(['partial_outage']).indicator).toBe('major');
    expect(overallStatus(['major_outage', 'under_maintenance']).indicator).toBe('critical');
  });
});
