// The maintenance scheduler of the NOC console, through the real server (built site + Hono).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.ts';
import { testClock } from '../support/db.ts';
import { componentCatalogue, maintenanceDetail } from '#db/queries/index.ts';
import { addUser, ConsoleClient, hiddenValue } from './support.ts';

const clock = testClock('2026-11-26T16:00:00Z'); // Thursday 10:00 in Mexico City
let server: Awaited<ReturnType<typeof startTestServer>>;
let guardia: ConsoleClient;

beforeAll(async () => {
  server = await startTestServer({ now: clock.now, publicUrl: 'http://127.0.0.1' });
  addUser(server.db, 'guardia@somnet.com.mx', 'noc', 'clave-de-la-guardia', { mustChange: false });
  guardia = new ConsoleClient(server.url);
  await guardia.login('guardia@somnet.com.mx', 'clave-de-la-guardia');
});
afterAll(async () => {
  await server?.close();
});

const count = (sql: string) => (server.db.$client.prepare(sql).get() as { n: number }).n;
const rows = () => ({
  maintenances: count('SELECT count(*) AS n FROM maintenances'),
  updates: count('SELECT count(*) AS n FROM maintenance_updates'),
  changes: count('SELECT count(*) AS n FROM maintenance_schedule_changes'),
  audit: count("SELECT count(*) AS n FROM audit_log WHERE action LIKE 'maintenance.%'"),
  outbox: count('SELECT count(*) AS n FROM outbox_messages'),
});
const group = (slug: string) => componentCatalogue(server.db).groups.find((g) => g.slug === slug)!;
const component = (slug: string) => componentCatalogue(server.db).all.find((c) => c.slug === slug)!;
const idFrom = (location: string | null) => /\/noc\/mantenimientos\/(\w+)\?/.exec(location ?? '')![1];

// 2026-12-02 00:00–03:00 Mexico City: 5 days and 8 h ahead, inside the low-impact hours.
const valid = () => ({
  name: 'Cambio de tarjetas en el nodo Metepec',
  body: 'Cortes breves de 5 a 10 minutos.',
  scheduled_for: '2026-12-02T00:00',
  scheduled_until: '2026-12-02T03:00',
  zona: group('metepec').id,
  impact_kind: 'outage',
  auto_transition: '1',
  accion: 'programar',
});
const create = (fields: Record<string, string | string[]>) => guardia.submit('/noc/mantenimientos/nuevo', fields);

describe('maintenance scheduler: new', () => {
  it('shows the form with the clock and limit the hint script needs, and the console links to it', async () => {
    const res = await guardia.get('/noc/mantenimientos/nuevo');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('data-now="2026-11-26T16:00:00.000Z"');
    expect(html).toContain('data-max-hours="12"');
    expect(html).toMatch(/<script type="module" src="\/_astro\/[^"]+\.js"><\/script>/);
    expect(html).toMatch(/<a href="\/noc\/mantenimientos"[^>]*>Mantenimientos<\/a>/);
    expect(html).toContain('Toda la zona Metepec');
  });

  it('refuses less than 72 h of notice with the error next to the start field, and writes nothing', async () => {
    const before = rows();
    // Saturday 00:00 is 38 h away.
    const res = await create({ ...valid(), scheduled_for: '2026-11-28T00:00', scheduled_until: '2026-11-28T02:00' });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('exige avisar con al menos 72 horas de anticipación');
    expect(html).toMatch(/id="scheduled_for-error"[^>]*>Menos de 72 horas de aviso\.</);
    expect(html).toContain('el inicio más cercano posible es 29 nov 2026, 10:00');
    expect(html).toMatch(/class="hint hint-error"[^>]*>Menos de 72 horas de aviso \(1 día y 14 h de anticipación\)/);
    // What the NOC typed is kept.
    expect(html).toContain('value="Cambio de tarjetas en el nodo Metepec"');
    expect(html).toContain('value="2026-11-28T00:00"');
    expect(rows()).toEqual(before);
  });

  it('refuses an emergency without a reason, then publishes it with the reason as an emergency', async () => {
    const before = rows();
    const fields = {
      ...valid(),
      name: 'Reemplazo urgente de fuente en nodo Metepec',
      scheduled_for: '2026-11-27T01:00',
      scheduled_until: '2026-11-27T02:00',
      emergency: '1',
    };
    const missing = await create({ ...fields, emergency_reason: '' });
    expect(missing.status).toBe(422);
    expect(await missing.text()).toMatch(/id="emergency_reason-error"[^>]*>Indique por qué no puede esperar/);
    expect(rows()).toEqual(before);

    const res = await create({
      ...fields,
      emergency_reason: 'La fuente redundante falló; el nodo opera sin respaldo.',
    });
    expect(res.status).toBe(303);
    const m = maintenanceDetail(server.db, idFrom(res.headers.get('location')))!;
    expect(m.emergency).toBe(true);
    expect(m.emergencyReason).toBe('La fuente redundante falló; el nodo opera sin respaldo.');
    expect(m.scheduledFor.toISOString()).toBe('2026-11-27T07:00:00.000Z');
    expect(m.components.map((c) => c.id)).toEqual(group('metepec').components.map((c) => c.id));
    const audit = server.db.$client
      .prepare("SELECT actor_kind, actor_name FROM audit_log WHERE action = 'maintenance.create' AND subject_id = ?")
      .all(m.id);
    expect(audit).toEqual([{ actor_kind: 'user', actor_name: 'guardia@somnet.com.mx' }]);
    const publicPage = await (await fetch(`${server.url}/mantenimiento/${m.id}`)).text();
    expect(publicPage).toContain('Mantenimiento de emergencia');

    // Published with 38 h of notice, it cannot stop being an emergency.
    const withdraw = await guardia.submit(`/noc/mantenimientos/${m.id}`, {
      accion: 'editar',
      name: m.name,
      body: m.body,
      scheduled_for: '2026-11-27T01:00',
      scheduled_until: '2026-11-27T02:00',
      componente: m.components.map((c) => c.id),
      impact_kind: 'outage',
      auto_transition: '1',
      emergency_reason: m.emergencyReason!,
    });
    expect(withdraw.status).toBe(422);
    expect(await withdraw.text()).toMatch(/id="emergency-error"[^>]*>Aviso menor a 72 horas\./);
    expect(maintenanceDetail(server.db, m.id)!.emergency).toBe(true);
  });

  it('refuses a post without the CSRF token or without its one-use form token; nothing written', async () => {
    const before = rows();
    const html = await (await guardia.get('/noc/mantenimientos/nuevo')).text();
    const noCsrf = await guardia.post('/noc/mantenimientos/nuevo', { ...valid(), idem: hiddenValue(html, 'idem')! });
    expect(noCsrf.status).toBe(403);
    const noIdem = await guardia.post('/noc/mantenimientos/nuevo', { ...valid(), csrf: hiddenValue(html, 'csrf')! });
    expect(noIdem.status).toBe(422);
    const refused = await noIdem.text();
    expect(refused).toContain('El formulario caducó o está incompleto.');
    expect(hiddenValue(refused, 'idem')).toMatch(/^[\w-]{32}$/); // a fresh token to send it again
    expect(rows()).toEqual(before);
  });

  it('publishes a window outside the low-impact hours with the warning shown, and checks it first without writing', async () => {
    const before = rows();
    const fields = {
      ...valid(),
      name: 'Actualización de firmware en Lerma',
      zona: group('lerma').id,
      scheduled_for: '2026-12-03T10:00',
      scheduled_until: '2026-12-03T12:00',
      impact_kind: 'degraded',
    };
    const check = await create({ ...fields, accion: 'comprobar' });
    expect(check.status).toBe(200);
    const checked = await check.text();
    expect(checked).toMatch(
      /id="scheduled_until-hint" class="hint hint-warning"[^>]*>Fuera del horario de bajo impacto \(00:00–04:00, hora del centro de México\): se publicará marcado así\. Duración: 2 h\./,
    );
    expect(checked).toMatch(/id="scheduled_for-hint" class="hint hint-ok"[^>]*>Aviso: 7 días de anticipación/);
    expect(rows()).toEqual(before);

    const res = await create(fields);
    expect(res.status).toBe(303);
    const location = res.headers.get('location')!;
    expect(location).toMatch(/\?aviso=programado$/);
    const page = await (await guardia.get(location)).text();
    expect(page).toContain('Mantenimiento publicado.');
    expect(page).toMatch(/id="aviso-bajo-impacto">Atención: la ventana no está dentro del horario de bajo impacto/);
    expect(page).toContain('Fuera del horario de bajo impacto</span>');
    const m = maintenanceDetail(server.db, idFrom(location))!;
    expect(m.lowImpactWindow).toBe(false);
    expect(m.impactKind).toBe('degraded');
  });

  it('publishes once even when the form is sent twice', async () => {
    const html = await (await guardia.get('/noc/mantenimientos/nuevo')).text();
    const fields = {
      csrf: hiddenValue(html, 'csrf')!,
      idem: hiddenValue(html, 'idem')!,
      ...valid(),
      name: 'Doble clic en Zinacantepec',
      zona: [],
      componente: [component('zinacantepec-fibra').id],
    };
    const first = await guardia.post('/noc/mantenimientos/nuevo', fields);
    const second = await guardia.post('/noc/mantenimientos/nuevo', fields);
    expect(first.status).toBe(303);
    expect(second.status).toBe(303);
    expect(second.headers.get('location')).toBe(first.headers.get('location'));
    expect(count("SELECT count(*) AS n FROM maintenances WHERE name = 'Doble clic en Zinacantepec'")).toBe(1);
    expect(maintenanceDetail(server.db, idFrom(first.headers.get('location')))!.components.map((c) => c.slug)).toEqual([
      'zinacantepec-fibra',
    ]);
  });

  it('shows Spanish errors for missing fields, a reversed window and a window too long; nothing written', async () => {
    const before = rows();
    const empty = await create({
      accion: 'programar',
      name: '',
      body: '',
      scheduled_for: '',
      scheduled_until: 'mañana',
      impact_kind: 'outage',
    });
    expect(empty.status).toBe(422);
    const html = await empty.text();
    expect(html).toContain('Escriba un título');
    expect(html).toContain('Escriba qué se hará y qué notarán los clientes.');
    expect(html).toContain('Indique la fecha y hora de inicio.');
    expect(html).toMatch(/id="scheduled_until-error"[^>]*>Fecha y hora no válidas\./);
    expect(html).toMatch(/id="components-error"[^>]*>Elija al menos una zona o un componente afectado\./);

    const reversed = await create({ ...valid(), scheduled_until: '2026-12-01T23:00' });
    expect(reversed.status).toBe(422);
    const r = await reversed.text();
    expect(r).toMatch(/id="scheduled_until-error"[^>]*>Debe ser posterior a scheduled_for\./);
    expect(r).toContain('La hora de término debe ser posterior a la de inicio.');

    const long = await create({ ...valid(), scheduled_until: '2026-12-02T13:00' });
    expect(long.status).toBe(422);
    expect(await long.text()).toContain('La ventana no puede durar más de 12 horas');

    const unknown = await create({ ...valid(), zona: [], componente: ['no-existe'] });
    expect(unknown.status).toBe(422);
    expect(await unknown.text()).toContain('ya no existe; recargue la página');
    expect(rows()).toEqual(before);
  });
});

describe('maintenance scheduler: edit, reschedule, update, cancel', () => {
  let id: string;
  beforeAll(async () => {
    const res = await create({ ...valid(), name: 'Migración de OLT en Toluca', zona: group('toluca').id });
    id = idFrom(res.headers.get('location'));
  });
  const page = (suffix = '') => `/noc/mantenimientos/${id}${suffix}`;

  it('postpones the window with a reason, kept in the history and shown publicly', async () => {
    const before = rows();
    const res = await guardia.submit(page(), {
      accion: 'editar',
      name: 'Migración de OLT en Toluca',
      body: 'Cortes breves de 5 a 10 minutos.',
      scheduled_for: '2026-12-09T00:00',
      scheduled_until: '2026-12-09T02:30',
      zona: [],
      componente: group('toluca').components.map((c) => c.id),
      impact_kind: 'outage',
      auto_transition: '1',
      reschedule_reason: 'El proveedor entrega el equipo una semana después.',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(page('?aviso=reprogramado'));
    const m = maintenanceDetail(server.db, id)!;
    expect(m.scheduledFor.toISOString()).toBe('2026-12-09T06:00:00.000Z');
    expect(m.scheduledUntil.toISOString()).toBe('2026-12-09T08:30:00.000Z');
    expect(m.scheduleChanges).toHaveLength(1);
    expect(m.scheduleChanges[0].reason).toBe('El proveedor entrega el equipo una semana después.');
    expect(rows().changes).toBe(before.changes + 1);
    const html = await (await guardia.get(page('?aviso=reprogramado'))).text();
    expect(html).toContain('Horario cambiado');
    expect(html).toContain('Motivo: El proveedor entrega el equipo una semana después.');
    const publicPage = await (await fetch(`${server.url}/mantenimiento/${id}`)).text();
    expect(publicPage).toContain('Reprogramado');
  });

  it('refuses bringing the window forward to less than 72 h, and a form without changes; nothing written', async () => {
    const before = rows();
    const html = await (await guardia.get(page())).text();
    expect(html).toContain('data-previous-for="2026-12-09T06:00:00.000Z"');
    const base = {
      accion: 'editar',
      name: 'Migración de OLT en Toluca',
      body: 'Cortes breves de 5 a 10 minutos.',
      scheduled_until: '2026-12-09T02:30',
      zona: [],
      componente: group('toluca').components.map((c) => c.id),
      impact_kind: 'outage',
      auto_transition: '1',
    };
    const forward = await guardia.submit(page(), {
      ...base,
      scheduled_for: '2026-11-28T00:00',
      scheduled_until: '2026-11-28T02:00',
    });
    expect(forward.status).toBe(422);
    const f = await forward.text();
    expect(f).toMatch(/id="scheduled_for-error"[^>]*>Menos de 72 horas de aviso\./);
    expect(f).toContain('No se guardó nada.');
    const same = await guardia.submit(page(), { ...base, scheduled_for: '2026-12-09T00:00' });
    expect(same.status).toBe(422);
    expect(await same.text()).toContain('No cambió nada');
    expect(rows()).toEqual(before);
    expect(maintenanceDetail(server.db, id)!.scheduledFor.toISOString()).toBe('2026-12-09T06:00:00.000Z');
  });

  it('posts an update that starts the window early and puts its components under maintenance', async () => {
    const bad = await guardia.submit(page(), { accion: 'actualizar', status: 'completed', body: '' });
    expect(bad.status).toBe(422);
    const b = await bad.text();
    expect(b).toMatch(/id="update-status-error"[^>]*>Elija un estado posible: Programado, En curso\./);
    expect(b).toMatch(/id="update-body-error"[^>]*>Escriba el mensaje de la actualización\./);
    const res = await guardia.submit(page(), {
      accion: 'actualizar',
      status: 'in_progress',
      body: 'Iniciamos antes: el equipo llegó.',
    });
    expect(res.headers.get('location')).toBe(page('?aviso=actualizado'));
    const m = maintenanceDetail(server.db, id)!;
    expect(m.status).toBe('in_progress');
    expect(m.updates[0].body).toBe('Iniciamos antes: el equipo llegó.');
    expect(group('toluca').components.every((c) => c.status === 'under_maintenance')).toBe(true);
    // Started: only the end, texts and impact stay editable.
    const html = await (await guardia.get(page())).text();
    expect(html).toMatch(/id="scheduled_for"[^>]*readonly/);
    // The update form offers what the command accepts from «En curso», the current status first.
    const options = [
      ...(/id="update-status"[^>]*>([\s\S]*?)<\/select>/.exec(html)?.[1] ?? '').matchAll(/<option value="(\w+)"/g),
    ].map((o) => o[1]);
    expect(options).toEqual(['in_progress', 'verifying', 'completed']);
    expect(html).not.toContain('Toda la zona Toluca');
    const later = await guardia.submit(page(), {
      accion: 'editar',
      name: m.name,
      body: m.body,
      scheduled_for: '2026-12-09T00:00',
      scheduled_until: '2026-12-09T03:00',
      impact_kind: 'outage',
    });
    expect(later.headers.get('location')).toBe(page('?aviso=reprogramado'));
    expect(maintenanceDetail(server.db, id)!.scheduledUntil.toISOString()).toBe('2026-12-09T09:00:00.000Z');
  });

  it('cancels after confirmation, returning components to service; a closed window has no forms', async () => {
    const unconfirmed = await guardia.submit(page(), { accion: 'cancelar', body: 'Se pospone sin fecha.' });
    expect(unconfirmed.status).toBe(422);
    expect(await unconfirmed.text()).toMatch(
      /id="confirmar-error"[^>]*>Marque la casilla para confirmar la cancelación\./,
    );
    expect(maintenanceDetail(server.db, id)!.status).toBe('in_progress');

    const html = await (await guardia.get(page())).text();
    const fields = {
      csrf: hiddenValue(html, 'csrf')!,
      idem: /name="idem" value="([^"]+)"[^>]*>\s*<input type="hidden" name="accion" value="cancelar"/.exec(html)![1],
      accion: 'cancelar',
      body: 'Se pospone sin fecha.',
      confirmar: '1',
    };
    const res = await guardia.post(page(), fields);
    expect(res.headers.get('location')).toBe(page('?aviso=cancelado'));
    const again = await guardia.post(page(), fields);
    expect(again.headers.get('location')).toBe(page('?aviso=cancelado'));
    const m = maintenanceDetail(server.db, id)!;
    expect(m.status).toBe('cancelled');
    expect(m.updates.filter((u) => u.kind === 'cancelled').map((u) => u.body)).toEqual(['Se pospone sin fecha.']);
    expect(group('toluca').components.every((c) => c.status === 'operational')).toBe(true);
    const closed = await (await guardia.get(page('?aviso=cancelado'))).text();
    expect(closed).toContain('Mantenimiento cancelado.');
    expect(closed).not.toContain('name="accion"');
    const late = await guardia.submit(page(), {
      accion: 'actualizar',
      status: 'completed',
      body: 'Terminado.',
      idem: 'formulario-de-otra-pestana',
    });
    expect(late.status).toBe(422);
    expect(await late.text()).toContain('El mantenimiento ya está cancelado; no admite cambios.');
  });

  it('answers 404 for an unknown maintenance', async () => {
    expect((await guardia.get('/noc/mantenimientos/no-existe')).status).toBe(404);
  });
});

describe('dashboard and list', () => {
  it('shows maintenance in progress, later today and in the next 7 days on /noc, and everything on the list', async () => {
    // Today (Thursday) 20:00–22:00: an emergency, since it is less than 72 h away.
    await create({
      ...valid(),
      name: 'Ajuste de enlace troncal hoy',
      scheduled_for: '2026-11-26T20:00',
      scheduled_until: '2026-11-26T22:00',
      emergency: '1',
      emergency_reason: 'Pérdidas crecientes en el enlace.',
    });
    const started = await create({
      ...valid(),
      name: 'Revisión de antena en curso',
      zona: group('san-mateo-atenco').id,
      scheduled_for: '2026-11-26T10:00',
      scheduled_until: '2026-11-26T11:30',
      emergency: '1',
      emergency_reason: 'Antena desalineada por viento.',
    });
    expect(maintenanceDetail(server.db, idFrom(started.headers.get('location')))!.status).toBe('in_progress');
    const html = await (await guardia.get('/noc')).text();
    const section = (id: string) =>
      html.slice(html.indexOf(`id="${id}"`), html.indexOf('<h3', html.indexOf(`id="${id}"`) + 1));
    expect(section('mant-en-curso')).toContain('Revisión de antena en curso');
    expect(section('mant-hoy')).toContain('Ajuste de enlace troncal hoy');
    expect(section('mant-hoy')).not.toContain('Revisión de antena en curso');
    const week = html.slice(html.indexOf('id="mant-semana"'), html.indexOf('id="zonas"'));
    expect(week).toContain('Reemplazo urgente de fuente en nodo Metepec'); // tomorrow 01:00
    expect(week).toContain('Doble clic en Zinacantepec'); // Dec 2
    expect(week).not.toContain('Migración de OLT en Toluca'); // cancelled
    expect(week).not.toContain('Ajuste de enlace troncal hoy');

    const list = await (await guardia.get('/noc/mantenimientos')).text();
    expect(list).toContain('Migración de OLT en Toluca');
    expect(list).toMatch(/En curso \(1\)/);
  });
});
