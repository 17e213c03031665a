import { describe, expect, it } from 'vitest';
import { overallStatusWithMaintenance, withMaintenanceInProgress } from '#db/domain/rollup.ts';
import { windowAt } from '#db/domain/maintenance.ts';

describe('overallStatusWithMaintenance', () => {
  it('says maintenance while a window is open and every component is operational', () => {
    expect(overallStatusWithMaintenance(['operational', 'operational'], true)).toEqual({
      status: 'under_maintenance',
      indicator: 'maintenance',
      description: 'Mantenimiento en curso',
    });
    expect(overallStatusWithMaintenance(['operational'], false)).toEqual({
      status: 'operational',
      indicator: 'none',
      description: 'Todos los servicios operan con normalidad',
    });
    expect(overallStatusWithMaintenance([], true).indicator).toBe('maintenance');
  });

  it('lets worse news win over an open window', () => {
    expect(overallStatusWithMaintenance(['operational', 'degraded_performance'], true).indicator).toBe('minor');
    expect(overallStatusWithMaintenance(['major_outage', 'under_maintenance'], true)).toEqual({
      status: 'major_outage',
      indicator: 'critical',
      description: 'Sin servicio en parte de la red',
    });
    expect(overallStatusWithMaintenance(['under_maintenance'], false).indicator).toBe('maintenance');
  });
});

describe('withMaintenanceInProgress', () => {
  it('turns operational into under_maintenance only while covered, and never hides an outage', () => {
    expect(withMaintenanceInProgress('operational', true)).toBe('under_maintenance');
    expect(withMaintenanceInProgress('operational', false)).toBe('operational');
    expect(withMaintenanceInProgress('partial_outage', true)).toBe('partial_outage');
    expect(withMaintenanceInProgress('under_maintenance', false)).toBe('under_maintenance');
  });
});

describe('windowAt', () => {
  const d = (s: string) => new Date(s);
  const current = { scheduledFor: d('2026-12-03T06:00:00Z'), scheduledUntil: d('2026-12-03T08:00:00Z') };
  // Newest first: first 1 Dec → 2 Dec at 10:00, then 2 Dec → 3 Dec at 12:00.
  const changes = [
    { at: d('2026-11-26T12:00:00Z'), previousFor: d('2026-12-02T06:00:00Z'), previousUntil: d('2026-12-02T08:00:00Z') },
    { at: d('2026-11-26T10:00:00Z'), previousFor: d('2026-12-01T06:00:00Z'), previousUntil: d('2026-12-01T09:00:00Z') },
  ];
  it('undoes every reschedule made after the instant', () => {
    expect(windowAt(current, changes, d('2026-11-26T09:00:00Z'))).toEqual({
      scheduledFor: d('2026-12-01T06:00:00Z'),
      scheduledUntil: d('2026-12-01T09:00:00Z'),
    });
    expect(windowAt(current, changes, d('2026-11-26T11:00:00Z'))).toEqual({
      scheduledFor: d('2026-12-02T06:00:00Z'),
      scheduledUntil: d('2026-12-02T08:00:00Z'),
    });
  });
  it('counts a reschedule as made at its own instant, and is the current window without changes', () => {
    expect(windowAt(current, changes, d('2026-11-26T10:00:00Z'))).toEqual({
      scheduledFor: d('2026-12-02T06:00:00Z'),
      scheduledUntil: d('2026-12-02T08:00:00Z'),
    });
    expect(windowAt(current, changes, d('2026-11-26T12:00:00Z'))).toEqual(current);
    expect(windowAt(current, [], d('2020-01-01T00:00:00Z'))).toEqual(current);
  });
});
