// Criticality follows the manual (section 1.3): one table from component status to criticality,
// read by every default and by the first-response table customers see.
import { describe, expect, it } from 'vitest';
import { criticalityByStatus, criticalityTable, impactForStatuses } from '#db/domain/criticality.ts';
import { incidentTemplates } from '#db/domain/incidentTemplates.ts';
import { faultStatuses, isFault, statusRank, worstStatus } from '#db/domain/rollup.ts';
import { componentStatuses, componentStatusShortLabels } from '#db/enums.ts';

describe('criticality', () => {
  it('Caída total → Alta; a slow or intermittent service is a degradation → Media; nothing means Baja', () => {
    expect(criticalityByStatus).toEqual({
      major_outage: 'critical',
      partial_outage: 'major',
      degraded_performance: 'major',
      under_maintenance: 'none',
      operational: 'none',
    });
    expect(impactForStatuses(['degraded_performance'])).toBe('major');
    expect(impactForStatuses(['operational', 'degraded_performance', 'major_outage'])).toBe('critical');
    expect(impactForStatuses(['under_maintenance'])).toBe('none');
    expect(impactForStatuses([])).toBe('none');
  });

  it('prints the table customers read with the statuses the page shows for each criticality', () => {
    expect(criticalityTable).toEqual([
      { impact: 'critical', label: 'Alta', meaning: 'Caída total: sin servicio', firstResponse: 'menos de 30 minutos' },
      {
        impact: 'major',
        label: 'Media',
        meaning: 'Degradación del servicio: intermitencia o baja velocidad',
        firstResponse: 'menos de 2 horas',
      },
      { impact: 'minor', label: 'Baja', meaning: 'Consultas', firstResponse: 'menos de 4 horas hábiles' },
    ]);
    for (const s of faultStatuses) {
      const row = criticalityTable.find((r) => r.impact === criticalityByStatus[s])!;
      expect(row.meaning).toContain(componentStatusShortLabels[s].toLowerCase());
    }
  });

  it('each template’s criticality is its status’s', () => {
    for (const t of incidentTemplates) expect(t.impact, t.id).toBe(criticalityByStatus[t.componentStatus]);
    expect(incidentTemplates.find((t) => t.id === 'saturacion')!.impact).toBe('major');
  });
});

describe('one status rank, one «is this a fault»', () => {
  it('ranks operational < maintenance < degraded < partial < major, and a fault is worse than maintenance', () => {
    const ranked = [...componentStatuses].sort((a, b) => statusRank(a) - statusRank(b));
    expect(ranked).toEqual([
      'operational',
      'under_maintenance',
      'degraded_performance',
      'partial_outage',
      'major_outage',
    ]);
    expect(componentStatuses.filter(isFault)).toEqual([...faultStatuses]);
    expect(worstStatus(ranked)).toBe('major_outage');
  });
});
