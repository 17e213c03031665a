import { describe, expect, it } from 'vitest';
import { areaStatusText, overallStatus, worstIncident, worstStatus } from '#db/domain/rollup.ts';

describe('status roll-up: the worst status wins', () => {
  it('is operational with nothing or only operational components', () => {
    expect(overallStatus([]).indicator).toBe('none');
    expect(overallStatus(['operational', 'operational'])).toEqual({
      status: 'operational',
      indicator: 'none',
      description: 'Todos los servicios operan con normalidad',
    });
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

describe('what an area chip says', () => {
  const fibre = (status: Parameters<typeof areaStatusText>[0][number]['status']) => ({ name: 'Fibra óptica', status });
  const radio = (status: Parameters<typeof areaStatusText>[0][number]['status']) => ({
    name: 'Inalámbrico (microondas)',
    status,
  });
  it('names the one technology that is down instead of the whole area', () => {
    expect(areaStatusText([fibre('major_outage'), radio('operational')])).toBe('Fibra óptica sin servicio');
    expect(areaStatusText([fibre('degraded_performance'), radio('major_outage')])).toBe(
      'Inalámbrico (microondas) sin servicio · Fibra óptica baja velocidad',
    );
  });
  it('says the short status when the whole area shares it, and "Operativo" when all is well', () => {
    expect(areaStatusText([fibre('major_outage'), radio('major_outage')])).toBe('Sin servicio');
    expect(areaStatusText([fibre('operational'), radio('operational')])).toBe('Operativo');
    expect(areaStatusText([])).toBe('Operativo');
  });
});

describe('the incident the banner speaks for', () => {
  const incident = (
    id: string,
    impact: 'none' | 'minor' | 'major' | 'critical',
    status: 'degraded_performance' | 'major_outage',
    startedAt: string,
  ) => ({ id, impact, startedAt: new Date(startedAt), components: [{ status }] });
  it('is the highest criticality, then the worst component status, then the newest', () => {
    const older = incident('a', 'major', 'major_outage', '2026-11-26T10:00:00Z');
    const critical = incident('b', 'critical', 'degraded_performance', '2026-11-26T09:00:00Z');
    const newer = incident('c', 'major', 'major_outage', '2026-11-26T11:00:00Z');
    const milder = incident('d', 'major', 'degraded_performance', '2026-11-26T12:00:00Z');
    expect(worstIncident([older, critical, newer])?.id).toBe('b');
    expect(worstIncident([older, newer, milder])?.id).toBe('c');
    expect(worstIncident([milder, older])?.id).toBe('a');
    expect(worstIncident([])).toBeNull();
  });
});
