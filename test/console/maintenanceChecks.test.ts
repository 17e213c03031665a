// The hints of the maintenance form at the policy's boundaries (the same module runs in the browser).
import { describe, expect, it } from 'vitest';
import { windowHints } from '../../site/console/maintenanceChecks.ts';
import { parseLocalDateTime, toLocalDateTimeValue } from '../../site/console/localDateTime.ts';
import { createMaintenance } from '#db/commands/maintenances.ts';
import type { CommandError } from '#db/commands/errors.ts';
import { freshDb } from '../support/db.ts';

const now = new Date('2026-11-26T16:00:00Z'); // 10:00 in Mexico City
const hints = (from: string, until: string, extra: Partial<Parameters<typeof windowHints>[0]> = {}) =>
  windowHints({ now, from, until, emergency: false, ...extra });

describe('maintenance form hints', () => {
  it('accepts exactly 72 h of notice and refuses one minute less, naming the earliest start', () => {
    expect(hints('2026-11-29T10:00', '').notice).toEqual({
      tone: 'ok',
      text: 'Aviso: 3 días de anticipación (mínimo 72 horas).',
    });
    const short = hints('2026-11-29T09:59', '').notice!;
    expect(short.tone).toBe('error');
    expect(short.text).toContain(
      'Menos de 72 horas de aviso (2 días y 23 h de anticipación). El inicio más cercano posible es 29 nov 2026, 10:00 (hora del centro de México).',
    );
  });

  it('turns too little notice into a warning for an emergency, and refuses a start in the past', () => {
    expect(hints('2026-11-26T12:00', '', { emergency: true }).notice!.tone).toBe('warning');
    expect(hints('2026-11-26T09:58', '', { emergency: true }).notice).toEqual({
      tone: 'error',
      text: 'El inicio ya pasó: indique una hora futura.',
    });
  });

  it('needs no new notice when postponing, needs it again when bringing forward, and none once started', () => {
    const previousFor = parseLocalDateTime('2026-11-30T00:00')!;
    expect(hints('2026-12-01T00:00', '', { previousFor }).notice!.text).toBe(
      'Se pospone: no requiere un nuevo aviso de 72 horas.',
    );
    expect(hints('2026-11-30T00:00', '', { previousFor }).notice!.text).toBe('Inicio sin cambios.');
    expect(hints('2026-11-27T00:00', '', { previousFor }).notice!.tone).toBe('error');
    expect(hints('2026-11-26T09:00', '2026-11-26T12:00', { started: true }).notice).toBeNull();
  });

  it('flags windows outside 00:00–04:00 (crossing midnight included), reversed and too long', () => {
    expect(hints('2026-12-02T00:00', '2026-12-02T04:00').window).toEqual({
      tone: 'ok',
      text: 'Dentro del horario de bajo impacto (00:00–04:00). Duración: 4 h.',
    });
    expect(hints('2026-12-02T00:00', '2026-12-02T04:01').window!.tone).toBe('warning');
    expect(hints('2026-12-01T23:00', '2026-12-02T02:00').window!.tone).toBe('warning');
    expect(hints('2026-12-02T03:00', '2026-12-02T03:00').window!.text).toBe(
      'La hora de término debe ser posterior a la de inicio.',
    );
    expect(hints('2026-12-02T00:00', '2026-12-02T12:01').window!.text).toContain('no puede durar más de 12 horas');
    expect(hints('2026-12-02T00:00', '2026-12-02T12:01', { maxHours: 24 }).window!.tone).toBe('warning');
    expect(hints('', 'no es fecha')).toEqual({ notice: null, window: null });
  });

  it('says the same sentence the command refuses with (one message, db/domain/maintenance.ts)', () => {
    const db = freshDb();
    const refusal = (from: string, until: string) => {
      try {
        createMaintenance(
          db,
          {
            name: 'Cambio de tarjetas',
            body: 'Cortes breves.',
            components: ['metepec'],
            scheduledFor: parseLocalDateTime(from)!,
            scheduledUntil: parseLocalDateTime(until)!,
          },
          { now, actor: { kind: 'cli', name: 'pruebas' } },
        );
      } catch (err) {
        return (err as CommandError).message;
      }
      return null;
    };
    expect(hints('2026-12-02T03:00', '2026-12-02T03:00').window!.text).toBe(
      refusal('2026-12-02T03:00', '2026-12-02T03:00'),
    );
    expect(hints('2026-12-02T00:00', '2026-12-02T12:01').window!.text).toBe(
      'La ventana no puede durar más de 12 horas (dura 12 h 1 min); divida el trabajo en varias ventanas.',
    );
    expect(refusal('2026-12-02T00:00', '2026-12-02T12:01')).toBe(
      'La ventana no puede durar más de 12 horas; divida el trabajo en varias ventanas.',
    );
  });

  it('reads datetime-local values as Mexico City time (UTC−6) and writes them back', () => {
    expect(parseLocalDateTime('2026-12-02T00:00')!.toISOString()).toBe('2026-12-02T06:00:00.000Z');
    expect(toLocalDateTimeValue(new Date('2026-12-02T06:00:00Z'))).toBe('2026-12-02T00:00');
    expect(parseLocalDateTime('2026-13-02T00:00')).toBeNull();
  });
});
