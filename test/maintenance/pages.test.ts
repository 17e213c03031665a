import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ICAL from 'ical.js';
import { findComponent } from '#db/commands/catalog.ts';
import { startTestServer } from '../support/server.ts';
import { testClock } from '../support/db.ts';

// 26 Nov 2026, 12:00 in Mexico City.
const clock = testClock('2026-11-26T18:00:00Z');
let server: Awaited<ReturnType<typeof startTestServer>>;
const ids: Record<string, string> = {};

async function create(body: Record<string, unknown>) {
  const res = await server.api('POST', '/api/v1/maintenances', body);
  expect(res.status).toBe(201);
  return (await res.json()).id as string;
}

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers });
const html = async (path: string) => {
  const res = await get(path);
  return { res, text: await res.text() };
};

beforeAll(async () => {
  server = await startTestServer({ now: clock.now });
  ids.metepec = await create({
    name: 'Cambio de tarjetas en Metepec',
    body: 'Sustitución de tarjetas de línea.',
    scheduled_for: '2026-12-01T00:00:00-06:00',
    scheduled_until: '2026-12-01T03:00:00-06:00',
    components: ['metepec'],
  });
  ids.lerma = await create({
    name: 'Migración de OLT en Lerma',
    body: 'Migración de clientes a la OLT nueva.',
    scheduled_for: '2026-12-15T22:00:00-06:00',
    scheduled_until: '2026-12-16T02:00:00-06:00',
    components: ['lerma-fibra'],
  });
  ids.urgent = await create({
    name: 'Reemplazo urgente de fuente',
    body: 'Fuente dañada en el nodo central.',
    emergency: true,
    emergency_reason: 'Riesgo de caída total.',
    scheduled_for: '2026-11-27T00:30:00-06:00',
    scheduled_until: '2026-11-27T01:30:00-06:00',
    components: ['red-troncal'],
  });
  const res = await server.api('PATCH', `/api/v1/maintenances/${ids.lerma}`, {
    scheduled_for: '2026-12-16T01:00:00-06:00',
    scheduled_until: '2026-12-16T05:00:00-06:00',
    reschedule_reason: 'Material retrasado.',
  });
  expect(res.status).toBe(200);
});

afterAll(async () => {
  await server?.close();
});

describe('public maintenance pages', () => {
  it('shows upcoming maintenance of the next 7 days on the home page, and the window in progress near the top', async () => {
    let { res, text } = await html('/');
    expect(res.status).toBe(200);
    expect(text).toContain('Mantenimiento programado: próximos 7 días');
    expect(text).toContain('Cambio de tarjetas en Metepec');
    expect(text).toContain('Reemplazo urgente de fuente');
    expect(text).toContain('Mantenimiento de emergencia');
    // 16 Dec is more than 7 days away.
    expect(text).not.toContain('Migración de OLT en Lerma');
    expect(text).not.toContain('Mantenimiento en curso');

    const started = await server.api('POST', `/api/v1/maintenances/${ids.urgent}/updates`, {
      status: 'in_progress',
      body: 'Cuadrilla trabajando.',
    });
    expect(started.status).toBe(201);
    ({ text } = await html('/'));
    const inProgress = text.indexOf('Mantenimiento en curso (1)');
    expect(inProgress).toBeGreaterThan(0);
    expect(inProgress).toBeLessThan(text.indexOf('Estado por zona'));
    expect(text).toMatch(/En mantenimiento/);
    expect(text).not.toContain('<script');
    expect(findComponent(server.db, 'red-troncal')!.status).toBe('under_maintenance');
  });

  it('serves the month calendar with navigation, badges, lists and the webcal link', async () => {
    const { res, text } = await html('/mantenimiento?mes=2026-12');
    expect(res.status).toBe(200);
    expect(text).toContain('<caption class="small muted">2 mantenimientos en diciembre de 2026.</caption>');
    expect(text).toContain(`href="/mantenimiento/${ids.metepec}"`);
    expect(text).toContain('00:00 Cambio de tarjetas en Metepec');
    expect(text).toContain('href="/mantenimiento/mes/2026-11"');
    expect(text).toContain('href="/mantenimiento/mes/2027-01"');
    expect(text).toContain('href="webcal://status.example.test/mantenimiento.ics"');
    expect(text).toContain('href="webcal://status.example.test/componentes/metepec/mantenimiento.ics"');
    expect(text).toContain('Reprogramado');
    expect(text).toContain('Fuera del horario de bajo impacto');
    expect(text).toMatch(/Publicado con \d+ días y \d+ h de anticipación/);
    expect(text).not.toContain('<script');
    const november = await html('/mantenimiento?mes=2026-11');
    expect(november.text).toContain('1 mantenimiento en noviembre de 2026.');
    const bad = await html('/mantenimiento?mes=2026-13');
    expect(bad.res.status).toBe(400);
    expect(bad.text).toContain('El mes solicitado no es válido');
  });

  it('shows a maintenance with its timeline, reschedule history and calendar download; unknown ids are 404', async () => {
    const { res, text } = await html(`/mantenimiento/${ids.lerma}`);
    expect(res.status).toBe(200);
    expect(text).toContain('Mantenimiento programado: Migración de OLT en Lerma');
    expect(text).toContain(`href="/mantenimiento/${ids.lerma}.ics"`);
    expect(text).toContain('Añadir a mi calendario');
    expect(text).toContain('Reprogramaciones');
    expect(text).toContain('Material retrasado.');
    expect(text).toContain('<time datetime="2026-12-16T07:00:00.000Z">');
    expect(text).toContain('Fuera del horario de bajo impacto (00:00–04:00): puede afectar horas de operación.');
    expect((await get('/mantenimiento/zzzzzzzzzzzz')).status).toBe(404);
  });
});

describe('calendar feeds over HTTP', () => {
  const events = (text: string) =>
    new ICAL.Component(ICAL.parse(text)).getAllSubcomponents('vevent').map((v) => new ICAL.Event(v));

  it('serves every window as text/calendar with an ETag and answers 304', async () => {
    const res = await get('/mantenimiento.ics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    const text = await res.text();
    expect(text).toContain('\r\n');
    expect(
      events(text)
        .map((e) => e.summary)
        .sort(),
    ).toEqual([
      'Mantenimiento de emergencia: Reemplazo urgente de fuente',
      'Mantenimiento programado: Cambio de tarjetas en Metepec',
      'Mantenimiento programado: Migración de OLT en Lerma',
    ]);
    const again = await get('/mantenimiento.ics', { 'if-none-match': res.headers.get('etag')! });
    expect(again.status).toBe(304);
  });

  it('filters by component or area, by slug or id', async () => {
    const byGroup = await get('/componentes/metepec/mantenimiento.ics');
    expect(byGroup.status).toBe(200);
    expect(events(await byGroup.text()).map((e) => e.summary)).toEqual([
      'Mantenimiento programado: Cambio de tarjetas en Metepec',
    ]);
    const byComponent = await get('/componentes/lerma-fibra/mantenimiento.ics');
    expect(events(await byComponent.text()).map((e) => e.summary)).toEqual([
      'Mantenimiento programado: Migración de OLT en Lerma',
    ]);
    const id = findComponent(server.db, 'lerma-inalambrico')!.id;
    const none = await get(`/componentes/${id}/mantenimiento.ics`);
    expect(none.status).toBe(200);
    expect(events(await none.text())).toEqual([]);
    const unknown = await get('/componentes/no-existe/mantenimiento.ics');
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('no-existe');
  });

  it('serves one event for "Añadir a mi calendario"', async () => {
    const res = await get(`/mantenimiento/${ids.metepec}.ics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    expect(res.headers.get('content-disposition')).toContain('attachment');
    const [event] = events(await res.text());
    expect(event.uid).toBe(`maintenance-${ids.metepec}@status.example.test`);
    expect((await get('/mantenimiento/zzzzzzzzzzzz.ics')).status).toBe(404);
  });
});
