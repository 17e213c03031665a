// November 2026 for the customer-services reports: the inventory of test/services/fixtures.ts and
// the outages the per-service statement and the monthly statement email are checked against.
import type { Db } from '#db/client.ts';
import { systemActor } from '#db/commands/audit.ts';
import { createIncident, publishIncidentUpdate } from '#db/commands/incidents.ts';
import { advanceMaintenances, createMaintenance } from '#db/commands/maintenances.ts';
import { replaceServiceInventory } from '#db/commands/services.ts';
import { inventory } from '../services/fixtures.ts';

const at = (s: string) => ({ now: new Date(s), actor: systemActor });

/**
 * Metepec fibre down 60 min on 10 Nov (SOM-12345 priced 3,499 and SOM-12346 without a price, through
 * their component); one Lerma tower 30 min on 15 Nov (SOM-20001, through its element only: the
 * component stays Operativo); Toluca fibre 3 h on 12 Nov, announced 10 days ahead (SOM-30001: not
 * counted, no outage).
 */
export function novemberOutages(db: Db): { metepec: string; tower: string } {
  replaceServiceInventory(db, inventory, at('2026-11-01T12:00:00Z'));
  const metepec = createIncident(
    db,
    {
      name: 'Corte de fibra en Metepec',
      impact: 'critical',
      status: 'investigating',
      body: 'Revisamos.',
      components: { 'metepec-fibra': 'major_outage' },
    },
    at('2026-11-10T16:00:00Z'),
  ).id;
  publishIncidentUpdate(
    db,
    metepec,
    { status: 'resolved', body: 'Listo.', components: { 'metepec-fibra': 'operational' } },
    at('2026-11-10T17:00:00Z'),
  );
  const tower = createIncident(
    db,
    {
      name: 'Falla en una torre de Lerma',
      impact: 'critical',
      status: 'investigating',
      body: 'Revisamos.',
      elements: ['TORRE-LERMA-AP2'],
    },
    at('2026-11-15T16:00:00Z'),
  ).id;
  publishIncidentUpdate(db, tower, { status: 'resolved', body: 'Listo.' }, at('2026-11-15T16:30:00Z'));
  createMaintenance(
    db,
    {
      name: 'Cambio de tarjetas en Toluca',
      body: 'Cortes breves.',
      scheduledFor: '2026-11-12T06:00:00Z',
      scheduledUntil: '2026-11-12T09:00:00Z',
      components: ['toluca-fibra'],
    },
    at('2026-11-02T12:00:00Z'),
  );
  advanceMaintenances(db, new Date('2026-11-12T06:00:00Z'));
  advanceMaintenances(db, new Date('2026-11-12T09:00:00Z'));
  return { metepec, tower };
}
