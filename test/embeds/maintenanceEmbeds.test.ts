import { describe, expect, it } from 'vitest';
import { advanceMaintenances } from '#db/commands/maintenances.ts';
import { testApp } from '../support/db.ts';

// Badges and /status.txt during maintenance, through the real app and the real scheduler step.
const t = testApp();
const get = async (path: string) => (await t.app.request(path)).text();
const badgeTitle = async (path: string) => (await get(path)).match(/<title>(.*)<\/title>/)?.[1];
const lines = async () => (await get('/status.txt')).trimEnd().split('\n');
async function created(body: Record<string, unknown>) {
  const res = await t.json('POST', '/api/v1/maintenances', body);
  const json = await res.json();
  expect(res.status, JSON.stringify(json)).toBe(201);
  return json.id as string;
}

describe('a window in progress that does not flip its components (auto_transition false)', () => {
  it('starts with everything operational', async () => {
    t.clock.set('2026-11-26T18:00:00Z');
    expect(await badgeTitle('/badge.svg')).toBe('SOMNET: Operativo');
    expect((await lines())[0]).toBe(
      'SOMNET 26 nov 2026, 12:00 hora centro MX: Todos los servicios operan con normalidad.',
    );
  });

  it('makes the page badge, the badges of its components and areas, and status.txt say "En mantenimiento"', async () => {
    await created({
      name: 'Reinicio de OLT en Metepec',
      body: 'Reinicio controlado de la OLT.',
      emergency: true,
      emergency_reason: 'Falla de memoria en la OLT.',
      scheduled_for: '2026-11-26T18:00:00Z',
      scheduled_until: '2026-11-26T19:00:00Z',
      components: ['metepec'],
      auto_transition: false,
      impact_kind: 'reduced_redundancy',
    });
    // The components themselves stay operational (as in components.json); the page and badges say maintenance, as v2's indicator does.
    const status = await (await t.app.request('/api/v2/status.json')).json();
    expect(status.status).toEqual({ indicator: 'maintenance', description: 'Mantenimiento en curso' });
    expect(await badgeTitle('/badge.svg')).toBe('SOMNET: En mantenimiento');
    expect(await badgeTitle('/componentes/metepec-fibra/badge.svg')).toBe('Metepec · Fibra óptica: En mantenimiento');
    expect(await badgeTitle('/componentes/metepec/badge.svg')).toBe('Metepec: En mantenimiento');
    expect(await badgeTitle('/componentes/toluca/badge.svg')).toBe('Toluca: Operativo');
    expect(await badgeTitle('/componentes/toluca-fibra/badge.svg')).toBe('Toluca · Fibra óptica: Operativo');
    const text = await lines();
    expect(text[0]).toBe('SOMNET 26 nov 2026, 12:00 hora centro MX: Mantenimiento en curso.');
    expect(text).toContain(
      'Mantenimiento en curso hasta 26 nov 2026, 13:00: Reinicio de OLT en Metepec. Redundancia reducida: Metepec · Fibra óptica, Metepec · Inalámbrico (microondas).',
    );
    for (const line of text) expect([...line].length).toBeLessThanOrEqual(160);
  });

  it('lets an outage win over the window in the badges', async () => {
    const res = await t.json('POST', '/api/v1/incidents', {
      name: 'Corte',
      status: 'identified',
      body: 'x',
      components: { 'metepec-fibra': 'major_outage' },
    });
    expect(res.status).toBe(201);
    expect(await badgeTitle('/badge.svg')).toBe('SOMNET: Sin servicio');
    expect(await badgeTitle('/componentes/metepec-fibra/badge.svg')).toBe('Metepec · Fibra óptica: Sin servicio');
    expect(await badgeTitle('/componentes/metepec-inalambrico/badge.svg')).toBe(
      'Metepec · Inalámbrico (microondas): En mantenimiento',
    );
    expect(await badgeTitle('/componentes/metepec/badge.svg')).toBe('Metepec: Sin servicio');
    const incident = (await (await t.app.request('/api/v2/incidents/unresolved.json')).json()).incidents[0];
    expect(
      (
        await t.json('POST', `/api/v1/incidents/${incident.id}/updates`, {
          status: 'resolved',
          body: 'ok',
          components: { 'metepec-fibra': 'operational' },
        })
      ).status,
    ).toBe(201);
  });
});

describe('/status.txt and the next window within 24 h', () => {
  it('names only the soonest window starting in the next 24 h, from the moment its reminder is due', async () => {
    t.clock.set('2026-11-26T18:30:00Z');
    await created({
      name: 'Cambio de tarjetas en Lerma',
      body: 'x',
      scheduled_for: '2026-11-30T00:00:00-06:00',
      scheduled_until: '2026-11-30T04:00:00-06:00',
      components: ['lerma-fibra'],
    });
    await created({
      name: 'Ajuste de antenas en Toluca',
      body: 'x',
      scheduled_for: '2026-11-30T01:00:00-06:00',
      scheduled_until: '2026-11-30T02:00:00-06:00',
      components: ['toluca-inalambrico'],
    });
    expect((await lines()).some((l) => l.startsWith('Próximo mantenimiento'))).toBe(false);

    // 29 Nov 00:00 in Mexico City, exactly 24 h before the first window: its reminder is due (a write).
    t.clock.set('2026-11-29T06:00:00Z');
    expect(
      advanceMaintenances(t.db, t.clock.now())
        .map((s) => s.action)
        .sort(),
    ).toEqual(['completed', 'reminder']);
    expect((await lines()).filter((l) => l.startsWith('Próximo mantenimiento'))).toHaveLength(1);
    // An hour later the second window's reminder is due too; only the soonest window is named.
    t.clock.set('2026-11-29T07:00:00Z');
    expect(advanceMaintenances(t.db, t.clock.now()).map((s) => s.action)).toEqual(['reminder']);
    const text = await lines();
    expect(text[0]).toBe('SOMNET 29 nov 2026, 01:00 hora centro MX: Todos los servicios operan con normalidad.');
    expect(text.filter((l) => l.startsWith('Próximo mantenimiento'))).toEqual([
      'Próximo mantenimiento 30 nov 2026, 00:00 a 30 nov 2026, 04:00: Cambio de tarjetas en Lerma. Interrupción del servicio: Lerma · Fibra óptica.',
    ]);
    expect(text.some((l) => l.startsWith('Mantenimiento en curso'))).toBe(false);
  });

  it('lists the window as in progress once it starts and its components go under maintenance', async () => {
    t.clock.set('2026-11-30T06:00:00Z');
    expect(advanceMaintenances(t.db, t.clock.now()).map((s) => s.action)).toEqual(['started']);
    const text = await lines();
    expect(text[0]).toBe('SOMNET 30 nov 2026, 00:00 hora centro MX: Mantenimiento en curso.');
    expect(text).toContain('Lerma · Fibra óptica: En mantenimiento.');
    expect(text).toContain(
      'Mantenimiento en curso hasta 30 nov 2026, 04:00: Cambio de tarjetas en Lerma. Interrupción del servicio: Lerma · Fibra óptica.',
    );
    expect(text.filter((l) => l.startsWith('Próximo mantenimiento'))).toEqual([
      'Próximo mantenimiento 30 nov 2026, 01:00 a 30 nov 2026, 02:00: Ajuste de antenas en Toluca. Interrupción del servicio: Toluca · Inalámbrico (microondas).',
    ]);
    expect(await badgeTitle('/componentes/lerma/badge.svg')).toBe('Lerma: En mantenimiento');
  });
});
