// The manual's maintenance rules (section 4.2) in db/domain/maintenance.ts, directly: the same
// functions the commands enforce and the console's hints show.
import { describe, expect, it } from 'vitest';
import {
  formatNotice,
  hasEnoughNotice,
  isLowImpactWindow,
  LOCKED_ONCE_STARTED,
  maintenanceNoticeLabel,
  maintenanceTitle,
  MIN_NOTICE_MS,
  noticeMs,
  startsInPast,
  windowProblem,
} from '#db/domain/maintenance.ts';

const d = (s: string) => new Date(s);
const HOUR = 3_600_000;

describe('maintenance rules', () => {
  it('72 hours of notice, to the millisecond', () => {
    const now = d('2026-11-26T18:00:00Z');
    expect(hasEnoughNotice(now, new Date(now.getTime() + MIN_NOTICE_MS))).toBe(true);
    expect(hasEnoughNotice(now, new Date(now.getTime() + MIN_NOTICE_MS - 1))).toBe(false);
    expect(noticeMs(now, d('2026-11-27T18:00:00Z'))).toBe(24 * HOUR);
  });

  it('low-impact hours are 00:00–04:00 Mexico City of the day the window starts', () => {
    expect(isLowImpactWindow(d('2026-12-01T06:00:00Z'), d('2026-12-01T10:00:00Z'))).toBe(true); // 00:00–04:00
    expect(isLowImpactWindow(d('2026-12-01T06:00:00Z'), d('2026-12-01T10:01:00Z'))).toBe(false); // ends 04:01
    expect(isLowImpactWindow(d('2026-12-01T05:00:00Z'), d('2026-12-01T07:00:00Z'))).toBe(false); // 23:00–01:00
    expect(isLowImpactWindow(d('2026-12-02T00:00:00Z'), d('2026-12-02T02:00:00Z'))).toBe(false); // UTC midnight = 18:00
    expect(isLowImpactWindow(d('2026-12-01T08:00:00Z'), d('2026-12-01T07:00:00Z'))).toBe(false);
  });

  it('a window ends after it starts and lasts at most the configured hours', () => {
    const start = d('2026-12-01T06:00:00Z');
    expect(windowProblem(start, start)).toBe('ends_before_start');
    expect(windowProblem(start, new Date(start.getTime() + 12 * HOUR))).toBeNull();
    expect(windowProblem(start, new Date(start.getTime() + 12 * HOUR + 1))).toBe('too_long');
    expect(windowProblem(start, new Date(start.getTime() + 20 * HOUR), 24)).toBeNull();
  });

  it('a start in the past tolerates one minute of clock skew', () => {
    const now = d('2026-11-26T18:00:00Z');
    expect(startsInPast(now, new Date(now.getTime() - 60_000))).toBe(false);
    expect(startsInPast(now, new Date(now.getTime() - 60_001))).toBe(true);
  });

  it('says the notice in Spanish', () => {
    expect(formatNotice(0)).toBe('sin anticipación');
    expect(formatNotice(30 * 60_000)).toBe('menos de 1 hora de anticipación');
    expect(formatNotice(5 * HOUR)).toBe('5 h de anticipación');
    expect(formatNotice(24 * HOUR)).toBe('1 día de anticipación');
    expect(formatNotice(75 * HOUR)).toBe('3 días y 3 h de anticipación');
  });

  it('names a window and its notices one way everywhere', () => {
    expect(maintenanceTitle({ emergency: false, name: 'Cambio de OLT', status: 'scheduled' })).toBe(
      'Mantenimiento programado: Cambio de OLT',
    );
    expect(maintenanceTitle({ emergency: true, name: 'Fibra dañada', status: 'in_progress' })).toBe(
      'Mantenimiento de emergencia: Fibra dañada',
    );
    // A cancelled window never keeps saying "programado": a customer reads it after the fact.
    expect(maintenanceTitle({ emergency: false, name: 'Cambio de OLT', status: 'cancelled' })).toBe(
      'Mantenimiento cancelado: Cambio de OLT',
    );
    expect(maintenanceTitle({ emergency: true, name: 'Fibra dañada', status: 'cancelled' })).toBe(
      'Mantenimiento de emergencia cancelado: Fibra dañada',
    );
    expect(maintenanceNoticeLabel({ kind: 'announced', status: 'scheduled' })).toBe('Programado');
    expect(maintenanceNoticeLabel({ kind: 'rescheduled', status: 'scheduled' })).toBe('Reprogramado');
    expect(maintenanceNoticeLabel({ kind: 'posted', status: 'verifying' })).toBe('En verificación');
    expect(Object.keys(LOCKED_ONCE_STARTED)).toEqual(['scheduledFor', 'components', 'autoTransition']);
  });
});
