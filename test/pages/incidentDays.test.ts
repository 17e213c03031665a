// The per-day detail under the 90-day bars: which incidents each local day links to.
import { describe, expect, it } from 'vitest';
import { systemActor } from '#db/commands/audit.ts';
import { createIncident, publishIncidentUpdate } from '#db/commands/incidents.ts';
import { findComponent } from '#db/commands/catalog.ts';
import { incidentsByComponentDay } from '#db/queries/index.ts';
import { freshDb } from '../support/db.ts';

describe('incidentsByComponentDay', () => {
  const db = freshDb();
  const at = (iso: string) => ({ now: new Date(iso), actor: systemActor });
  const fibre = findComponent(db, 'metepec-fibra')!.id;
  const radio = findComponent(db, 'metepec-inalambrico')!.id;
  // 25 Nov 22:00 → 26 Nov 03:00 in Mexico City: two local days.
  const overnight = createIncident(
    db,
    {
      name: 'Corte nocturno',
      status: 'identified',
      body: 'Cuadrilla en camino.',
      components: { 'metepec-fibra': 'major_outage' },
    },
    at('2026-11-26T04:00:00Z'),
  );
  publishIncidentUpdate(
    db,
    overnight.id,
    { status: 'resolved', body: 'Restablecido.', components: { 'metepec-fibra': 'operational' } },
    at('2026-11-26T09:00:00Z'),
  );
  // Resolved 100 days before: outside the bars.
  const old = createIncident(
    db,
    { name: 'Antiguo', status: 'identified', body: 'x', components: { 'metepec-fibra': 'degraded_performance' } },
    at('2026-08-10T18:00:00Z'),
  );
  publishIncidentUpdate(
    db,
    old.id,
    { status: 'resolved', body: 'y', components: { 'metepec-fibra': 'operational' } },
    at('2026-08-10T19:00:00Z'),
  );
  // Still open, on the other service.
  const open = createIncident(
    db,
    {
      name: 'Lentitud',
      status: 'investigating',
      body: 'z',
      components: { 'metepec-inalambrico': 'degraded_performance' },
    },
    at('2026-11-27T18:00:00Z'),
  );
  const days = incidentsByComponentDay(db, [fibre, radio], new Date('2026-11-28T18:00:00Z'));

  it('lists an incident on every local day it was open, and only for its components', () => {
    expect([...days.get(fibre)!.entries()]).toEqual([
      ['2026-11-25', [{ id: overnight.id, name: 'Corte nocturno' }]],
      ['2026-11-26', [{ id: overnight.id, name: 'Corte nocturno' }]],
    ]);
  });

  it('keeps an open incident on each day up to today, and leaves out what ended before the bars', () => {
    expect([...days.get(radio)!.keys()]).toEqual(['2026-11-27', '2026-11-28']);
    expect(days.get(radio)!.get('2026-11-28')).toEqual([{ id: open.id, name: 'Lentitud' }]);
    expect([...days.values()].flatMap((m) => [...m.values()].flat()).some((r) => r.id === old.id)).toBe(false);
  });
});
