// The composer's templates (db/domain/incidentTemplates.ts): each one is a valid new incident
// for the command's own schema, so picking one never leads to a refusal.
import { describe, expect, it } from 'vitest';
import { checkInput } from '#db/commands/input.ts';
import { createIncidentInput } from '#db/commands/incidents.ts';
import { incidentTemplate, incidentTemplates } from '#db/domain/incidentTemplates.ts';

describe('incident templates', () => {
  it('each passes createIncidentInput and is found by its id', () => {
    expect(incidentTemplates.map((t) => t.id)).toEqual([
      'corte-fibra',
      'falla-electrica',
      'saturacion',
      'ddos',
      'proveedor-transito',
      'seguridad',
    ]);
    for (const t of incidentTemplates) {
      expect(
        checkInput(createIncidentInput, {
          name: t.name,
          status: t.status,
          impact: t.impact,
          body: t.body,
          cause: t.cause,
        }),
        t.id,
      ).toEqual([]);
      expect(incidentTemplate(t.id)).toBe(t);
    }
    expect(incidentTemplate('no-existe')).toBeUndefined();
    expect(incidentTemplate(null)).toBeUndefined();
  });
});
