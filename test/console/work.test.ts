import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.ts';
import { testClock, testConfig } from '../support/db.ts';
import { emailComposer } from '../../api/email/compose.ts';
import { and, eq } from 'drizzle-orm';
import { outboxMessages } from '#db/schema/index.ts';
import { componentCatalogue, incidentDetail } from '#db/queries/index.ts';
import { importSubscribers } from '#db/commands/subscribers.ts';
import { createIncident } from '#db/commands/incidents.ts';
import { addUser, ConsoleClient, hiddenValue } from './support.ts';
import { describedBy, markedInvalid } from '../support/a11y.ts';

const clock = testClock('2026-11-26T16:00:00Z'); // Thursday 10:00 in Mexico City
let server: Awaited<ReturnType<typeof startTestServer>>;
let admin: ConsoleClient;
let guardia: ConsoleClient;

beforeAll(async () => {
  server = await startTestServer({ now: clock.now, publicUrl: 'http://127.0.0.1' });
  addUser(server.db, 'admin@somnet.com.mx', 'admin', 'clave-de-administracion', { mustChange: false });
  addUser(server.db, 'guardia@somnet.com.mx', 'noc', 'clave-de-la-guardia', { mustChange: false });
  admin = new ConsoleClient(server.url);
  guardia = new ConsoleClient(server.url);
  await admin.login('admin@somnet.com.mx', 'clave-de-administracion');
  await guardia.login('guardia@somnet.com.mx', 'clave-de-la-guardia');
});
afterAll(async () => {
  await server?.close();
});

const decode = (html: string) =>
  html
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
const count = (sql: string) => (server.db.$client.prepare(sql).get() as { n: number }).n;
const component = (slug: string) => componentCatalogue(server.db).all.find((c) => c.slug === slug)!;
const metepec = () => componentCatalogue(server.db).groups.find((g) => g.slug === 'metepec')!;

describe('incident composer', () => {
  it('fills name, impact, cause, body and the suggested component status from a template', async () => {
    const html = await (await guardia.get('/noc/incidentes/nuevo?plantilla=corte-fibra')).text();
    expect(html).toContain('value="Corte de fibra óptica"');
    expect(html).toMatch(/<option value="critical" selected>/);
    expect(html).toContain('Una cuadrilla va en camino');
    expect(html).toContain('value="Corte de fibra óptica por obra civil');
    expect(html).toMatch(/<option value="major_outage" selected>/);
    for (const label of [
      'Corte de fibra',
      'Falla eléctrica en nodo',
      'Saturación / baja velocidad',
      'Ataque DDoS en mitigación',
      'Falla del proveedor de tránsito',
      'Incidente de seguridad',
    ]) {
      expect(html).toContain(label);
    }
  });

  it('defaults the criticality to what the components’ status means (manual 1.3)', async () => {
    // «Baja velocidad por saturación» is a degradation: Media, not Baja.
    const slow = await (await guardia.get('/noc/incidentes/nuevo?plantilla=saturacion')).text();
    expect(slow).toMatch(/<option value="degraded_performance" selected>/);
    expect(slow).toMatch(/<option value="major" selected>/);
    // Without a template the composer announces a total outage: Alta.
    const blank = await (await guardia.get('/noc/incidentes/nuevo')).text();
    expect(blank).toMatch(/<option value="major_outage" selected>/);
    expect(blank).toMatch(/<option value="critical" selected>/);
  });

  it('shows Spanish errors next to the fields and saves nothing when the form is invalid', async () => {
    const before = count('SELECT count(*) AS n FROM incidents');
    const res = await guardia.submit('/noc/incidentes/nuevo', {
      accion: 'vista-previa',
      name: '',
      impact: 'major',
      status: 'investigating',
      body: '',
      eta: '2020-01-01T10:00',
      componente: 'no-existe',
    });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('id="name-error"');
    // Each message is announced with its field (aria-describedby), the field marked invalid.
    expect(describedBy(html, /<input id="name"[^>]*>/)).toMatch(/^Escriba un título/);
    expect(markedInvalid(html, /<input id="name"[^>]*>/)).toBe(true);
    expect(describedBy(html, /<input id="eta"[^>]*>/)).toContain('debe ser posterior a ahora');
    expect(describedBy(html, /<fieldset[^>]*>/)).toBe(
      'Uno de los componentes elegidos ya no existe; recargue la página.',
    );
    expect(html).toContain('Escriba un título');
    expect(html).toContain('Escriba el mensaje para los clientes.');
    expect(html).toContain('debe ser posterior a ahora');
    expect(count('SELECT count(*) AS n FROM incidents')).toBe(before);
  });

  it('previews what the public page shows with the audience, then publishes once even if sent twice', async () => {
    // Real confirmed subscribers: one of Metepec's fibre, one of everything, one elsewhere.
    importSubscribers(
      server.db,
      [
        { email: 'metepec@cliente.mx', components: ['metepec-fibra'] },
        { email: 'todo@cliente.mx' },
        { email: 'lerma@cliente.mx', components: ['lerma-fibra'] },
      ],
      { now: clock.now(), actor: { kind: 'cli', name: 'pruebas' } },
    );
    const html = await (await guardia.get('/noc/incidentes/nuevo?plantilla=corte-fibra')).text();
    const fields = {
      csrf: hiddenValue(html, 'csrf')!,
      idem: hiddenValue(html, 'idem')!,
      name: 'Corte de fibra en Metepec',
      impact: 'critical',
      status: 'identified',
      body: 'Cuadrilla en camino al punto del corte.',
      cause: 'Obra civil en Av. Tecnológico',
      eta: '2026-11-26T14:00',
      estado_componentes: 'major_outage',
      zona: metepec().id,
      notificar: '1',
    };
    const preview = await guardia.post('/noc/incidentes/nuevo', { ...fields, accion: 'vista-previa' });
    expect(preview.status).toBe(200);
    const page = await preview.text();
    expect(page).toContain('Vista previa');
    expect(page).toContain('Metepec · Fibra óptica');
    expect(page).toContain('Obra civil en Av. Tecnológico');
    expect(page).toContain('datetime="2026-11-26T20:00:00.000Z"');
    expect(page).toContain('Se avisará a 2 correos.');
    const previewSubject = decode(/id="correo-asunto">([^<]*)</.exec(page)![1]);
    const previewText = decode(/id="correo-texto"[^>]*>([^<]*)</.exec(page)![1]);
    expect(previewSubject).toBe('[Incidente] Corte de fibra en Metepec — Identificado (criticidad alta)');
    expect(count('SELECT count(*) AS n FROM incidents')).toBe(0);
    const vista = hiddenValue(page, 'vista')!;

    const first = await guardia.post('/noc/incidentes/nuevo', { ...fields, vista, accion: 'publicar' });
    expect(first.status).toBe(303);
    const second = await guardia.post('/noc/incidentes/nuevo', { ...fields, vista, accion: 'publicar' });
    expect(second.headers.get('location')).toBe(first.headers.get('location'));
    expect(count('SELECT count(*) AS n FROM incidents')).toBe(1);
    const id = /\/noc\/incidentes\/(\w+)/.exec(first.headers.get('location')!)![1];
    const incident = incidentDetail(server.db, id)!;
    expect(incident.eta?.toISOString()).toBe('2026-11-26T20:00:00.000Z');
    expect(incident.components.map((c) => c.status)).toEqual(metepec().components.map(() => 'major_outage'));
    // The preview showed exactly the email the worker renders, but for each recipient's own links.
    const row = server.db
      .select()
      .from(outboxMessages)
      .where(and(eq(outboxMessages.channel, 'email'), eq(outboxMessages.recipient, 'metepec@cliente.mx')))
      .get()!;
    const sent = emailComposer(server.db, { ...testConfig, publicUrl: 'http://127.0.0.1' })(row);
    expect(sent.subject).toBe(previewSubject);
    const token = /preferencias\?token=([^\s]+)/.exec(sent.text)![1];
    // Per recipient: its links, and the footer's reason (this one is a contact SOMNET registered;
    // the preview shows a public subscriber's footer).
    expect(sent.text).toContain(
      'Recibe este aviso porque esta dirección figura como contacto técnico registrado ante SOMNET.',
    );
    expect(
      sent.text
        .replaceAll(token, 'TOKEN-PERSONAL-DE-CADA-DESTINATARIO')
        .replaceAll(id, 'ID-DEL-INCIDENTE')
        .replace(
          'esta dirección figura como contacto técnico registrado ante SOMNET.',
          'se suscribió a las notificaciones de estado de SOMNET.',
        )
        .replace('Dejar de recibir estos avisos:', 'Cancelar suscripción:'),
    ).toBe(previewText);
    const audit = server.db.$client
      .prepare("SELECT actor_kind, actor_name FROM audit_log WHERE action = 'incident.create'")
      .all();
    expect(audit).toEqual([{ actor_kind: 'user', actor_name: 'guardia@somnet.com.mx' }]);
  });

  it('does not publish content that changed after the preview', async () => {
    const html = await (await guardia.get('/noc/incidentes/nuevo')).text();
    const base = {
      csrf: hiddenValue(html, 'csrf')!,
      idem: hiddenValue(html, 'idem')!,
      name: 'Saturación en Lerma',
      impact: 'minor',
      status: 'investigating',
      body: 'Baja velocidad.',
    };
    const vista = hiddenValue(
      await (await guardia.post('/noc/incidentes/nuevo', { ...base, accion: 'vista-previa' })).text(),
      'vista',
    )!;
    const res = await guardia.post('/noc/incidentes/nuevo', {
      ...base,
      body: 'Otro texto.',
      vista,
      accion: 'publicar',
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('El contenido cambió después de la vista previa');
    expect(count("SELECT count(*) AS n FROM incidents WHERE name = 'Saturación en Lerma'")).toBe(0);
  });

  it('posts an update and resolves with one short form, returning components to service', async () => {
    const id = (
      server.db.$client.prepare("SELECT id FROM incidents WHERE name = 'Corte de fibra en Metepec'").get() as {
        id: string;
      }
    ).id;
    const update = await guardia.submit(`/noc/incidentes/${id}`, {
      status: 'monitoring',
      body: 'Empalme terminado; en observación.',
      cause: '',
      eta: '2026-11-26T14:00',
      notificar: '1',
    });
    expect(update.headers.get('location')).toBe(`/noc/incidentes/${id}?aviso=actualizado`);
    const resolve = await guardia.submit(`/noc/incidentes/${id}`, {
      status: 'resolved',
      body: 'Servicio restablecido.',
      eta: '',
      notificar: '1',
    });
    expect(resolve.headers.get('location')).toBe(`/noc/incidentes/${id}?aviso=resuelto`);
    const incident = incidentDetail(server.db, id)!;
    expect(incident.status).toBe('resolved');
    expect(incident.updates.map((u) => u.status)).toEqual(['resolved', 'monitoring', 'identified']);
    expect(metepec().components.every((c) => c.status === 'operational')).toBe(true);
  });

  it('refuses a publish or an update posted without its one-use form token; nothing written', async () => {
    // Without the form's token a resent copy of the same POST could not be recognised, so the
    // page must refuse it rather than make one up.
    const html = await (await guardia.get('/noc/incidentes/nuevo')).text();
    const base = {
      csrf: hiddenValue(html, 'csrf')!,
      name: 'Falla eléctrica en Zinacantepec',
      impact: 'major',
      status: 'investigating',
      body: 'Revisando el nodo.',
    };
    const vista = hiddenValue(
      await (await guardia.post('/noc/incidentes/nuevo', { ...base, accion: 'vista-previa' })).text(),
      'vista',
    )!;
    const publish = await guardia.post('/noc/incidentes/nuevo', { ...base, vista, accion: 'publicar' });
    expect(publish.status).toBe(422);
    const refused = await publish.text();
    expect(refused).toContain('El formulario caducó o está incompleto.');
    expect(hiddenValue(refused, 'idem')).toMatch(/^[\w-]{32}$/); // a fresh token to send it again
    expect(count("SELECT count(*) AS n FROM incidents WHERE name = 'Falla eléctrica en Zinacantepec'")).toBe(0);

    const incident = createIncident(
      server.db,
      { name: 'Saturación en Toluca', status: 'investigating', impact: 'minor', body: 'Revisando.' },
      { now: clock.now(), actor: { kind: 'cli', name: 'pruebas' } },
    );
    const form = await (await guardia.get(`/noc/incidentes/${incident.id}`)).text();
    const update = await guardia.post(`/noc/incidentes/${incident.id}`, {
      csrf: hiddenValue(form, 'csrf')!,
      status: 'identified',
      body: 'Enlace saturado identificado.',
      notificar: '1',
    });
    expect(update.status).toBe(422);
    expect(await update.text()).toContain('El formulario caducó o está incompleto.');
    expect(incidentDetail(server.db, incident.id)!.updates.map((u) => u.status)).toEqual(['investigating']);
  });

  it('answers 404 for an unknown incident', async () => {
    expect((await guardia.get('/noc/incidentes/no-existe')).status).toBe(404);
  });
});

describe('component board', () => {
  it('changes a whole area in one transaction, once per form, audited as the user', async () => {
    const html = await (await guardia.get('/noc/componentes')).text();
    const fields = {
      csrf: hiddenValue(html, 'csrf')!,
      idem: hiddenValue(html, 'idem')!,
      [`zona_${metepec().id}`]: 'under_maintenance',
      [`estado_${component('toluca-fibra').id}`]: 'degraded_performance',
    };
    const res = await guardia.post('/noc/componentes', fields);
    expect(res.status).toBe(303);
    const again = await guardia.post('/noc/componentes', fields);
    expect(again.headers.get('location')).toBe(res.headers.get('location'));
    expect(metepec().components.every((c) => c.status === 'under_maintenance')).toBe(true);
    expect(component('toluca-fibra').status).toBe('degraded_performance');
    const n = metepec().components.length + 1;
    expect(res.headers.get('location')).toBe(`/noc/componentes?cambios=${n}`);
    expect(
      count(
        "SELECT count(*) AS n FROM audit_log WHERE action = 'component.update' AND actor_name = 'guardia@somnet.com.mx'",
      ),
    ).toBe(n);
  });

  it('refuses an unknown status and a form without changes', async () => {
    const bad = await guardia.submit('/noc/componentes', { [`estado_${component('toluca-fibra').id}`]: 'roto' });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('no es válido');
    const none = await guardia.submit('/noc/componentes', {});
    expect(none.status).toBe(422);
    expect(await none.text()).toContain('No eligió ningún cambio');
  });
});

describe('subscribers (read-only)', () => {
  it('lists subscribers for a noc user, searchable by address or customer ID and by state, with no way to change them', async () => {
    importSubscribers(
      server.db,
      [{ email: 'redes@acme-toluca.mx', components: ['toluca-fibra'], customer_id: 'CLI-4821' }],
      { now: clock.now(), actor: { kind: 'cli', name: 'pruebas' } },
    );
    const pending = await fetch(`${server.url}/api/v1/subscribers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'pendiente@ejemplo.mx' }),
    });
    expect(pending.status).toBe(202);
    const res = await guardia.get('/noc/suscriptores');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('private, no-store'); // addresses never reach a shared cache
    const html = await res.text();
    expect(html).toContain('href="/noc/suscriptores" aria-current="page"');
    expect(html).toMatch(
      /<td>redes@acme-toluca\.mx<\/td><td>Contacto técnico<\/td><td>CLI-4821<\/td><td class="small">Toluca · Fibra óptica<\/td><td>Confirmado/,
    );
    expect(html).toMatch(
      /<td>pendiente@ejemplo\.mx<\/td><td>Público<\/td><td>—<\/td><td class="small">Todos los servicios<\/td><td>Sin confirmar<\/td>/,
    );
    expect(html).not.toMatch(/<form method="post"(?! action="\/noc\/salir")/); // read-only: only the sign-out form posts
    const byCustomer = await (await guardia.get('/noc/suscriptores?buscar=cli-48')).text();
    expect(byCustomer).toContain('redes@acme-toluca.mx');
    expect(byCustomer).not.toContain('pendiente@ejemplo.mx');
    const onlyPending = await (await guardia.get('/noc/suscriptores?estado=pendientes')).text();
    expect(onlyPending).toContain('pendiente@ejemplo.mx');
    expect(onlyPending).not.toContain('redes@acme-toluca.mx');
    expect(await (await guardia.get('/noc/suscriptores?buscar=nadie')).text()).toContain(
      'No hay suscriptores con estos filtros.',
    );
    expect((await new ConsoleClient(server.url).get('/noc/suscriptores')).headers.get('location')).toMatch(
      /^\/noc\/login/,
    );
  });
});

describe('audit log', () => {
  it('lists changes from the console and the API, filterable by who and what', async () => {
    await server.api('PATCH', '/api/v1/components/lerma-fibra', { status: 'partial_outage' });
    const all = await (await guardia.get('/noc/auditoria')).text();
    expect(all).toContain('guardia@somnet.com.mx');
    expect(all).toMatch(/tests-\w+/);
    const byUser = await (await guardia.get('/noc/auditoria?actor=guardia&accion=component.update')).text();
    expect(byUser).toContain('component.update');
    expect(byUser).not.toMatch(/<td>tests-\w+/);
    expect(byUser).not.toContain('<td>incident.create</td>');
    const empty = await (await guardia.get('/noc/auditoria?desde=2030-01-01')).text();
    expect(empty).toContain('No hay registros con estos filtros.');
    expect(describedBy(empty, /<input id="desde"[^>]*>/)).toBe('');
    const badDate = await (await guardia.get('/noc/auditoria?desde=2026-13-45')).text();
    expect(describedBy(badDate, /<input id="desde"[^>]*>/)).toMatch(/^Una de las fechas no es válida/);
  });
});

describe('admin', () => {
  it('creates a user with a one-time password shown once, and refuses a duplicate email next to the field', async () => {
    const res = await admin.submit('/noc/admin/usuarios', {
      accion: 'crear',
      email: 'nuevo@somnet.com.mx',
      role: 'noc',
    });
    const html = await res.text();
    expect(res.status).toBe(200);
    const password = /id="contrasena-unica">([^<]+)</.exec(html)![1];
    const fresh = new ConsoleClient(server.url);
    expect((await fresh.login('nuevo@somnet.com.mx', password)).headers.get('location')).toBe('/noc/contrasena');
    const dup = await admin.submit('/noc/admin/usuarios', {
      accion: 'crear',
      email: 'NUEVO@somnet.com.mx',
      role: 'noc',
    });
    expect(dup.status).toBe(409);
    const dupHtml = await dup.text();
    expect(dupHtml).toMatch(/id="email-error"[^>]*>Ya existe un usuario con este correo\./);
    expect(describedBy(dupHtml, /<input id="email"[^>]*>/)).toBe('Ya existe un usuario con este correo.');
    // Each row's controls name the user they act on, so they are told apart when tabbing.
    expect(dupHtml).toContain('aria-label="Restablecer la contraseña de nuevo@somnet.com.mx"');
    expect(dupHtml).toContain('aria-label="Rol de guardia@somnet.com.mx"');
  });

  it('manages the catalogue: a new area and component appear on the public page; errors next to the field; noc users kept out', async () => {
    const created = await admin.submit('/noc/admin/catalogo', {
      accion: 'zona-nueva',
      zona_nombre: 'Ocoyoacac',
      zona_slug: '',
      zona_descripcion: '',
    });
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe('/noc/admin/catalogo?aviso=creado');
    const area = componentCatalogue(server.db).groups.find((g) => g.slug === 'ocoyoacac')!;
    const comp = await admin.submit('/noc/admin/catalogo', {
      accion: 'componente-nuevo',
      componente_nombre: 'Fibra óptica',
      componente_zona: area.id,
      componente_slug: 'ocoyoacac-fibra',
      componente_descripcion: '',
    });
    expect(comp.status).toBe(303);
    expect(component('ocoyoacac-fibra').fullName).toBe('Ocoyoacac · Fibra óptica');
    expect(await (await fetch(`${server.url}/`)).text()).toContain('Ocoyoacac');

    const taken = await admin.submit('/noc/admin/catalogo', {
      accion: 'componente-nuevo',
      componente_nombre: 'Otra',
      componente_zona: '',
      componente_slug: 'ocoyoacac-fibra',
      componente_descripcion: '',
    });
    expect(taken.status).toBe(422);
    const takenHtml = await taken.text();
    expect(describedBy(takenHtml, /<input id="componente_slug"[^>]*>/)).toBe(
      'Ya existe un componente o grupo con este identificador.',
    );
    expect(takenHtml).toMatch(/id="componente_nombre"[^>]*value="Otra"/);
    const empty = await admin.submit('/noc/admin/catalogo', {
      accion: 'zona-nueva',
      zona_nombre: ' ',
      zona_slug: 'Mal Slug',
      zona_descripcion: '',
    });
    expect(empty.status).toBe(422);
    const emptyHtml = await empty.text();
    expect(describedBy(emptyHtml, /<input id="zona_nombre"[^>]*>/)).toBe('Escriba un nombre.');
    expect(describedBy(emptyHtml, /<input id="zona_slug"[^>]*>/)).toMatch(/^Solo minúsculas, números y guiones/);
    expect(componentCatalogue(server.db).all.filter((c) => c.name === 'Otra')).toEqual([]);

    const fibra = component('ocoyoacac-fibra');
    const renamed = await admin.submit('/noc/admin/catalogo', {
      accion: 'componente-editar',
      id: fibra.id,
      nombre: 'Fibra óptica empresarial',
      zona: area.id,
      descripcion: 'Enlaces dedicados',
    });
    expect(renamed.headers.get('location')).toBe('/noc/admin/catalogo?aviso=guardado');
    expect(component('ocoyoacac-fibra')).toMatchObject({
      name: 'Fibra óptica empresarial',
      description: 'Enlaces dedicados',
      status: fibra.status,
    });
    expect(
      count(
        "SELECT count(*) AS n FROM audit_log WHERE action IN ('group.create', 'component.create', 'component.update') AND actor_name = 'admin@somnet.com.mx'",
      ),
    ).toBe(3);

    expect((await guardia.get('/noc/admin/catalogo')).status).toBe(403);
    const html = await (await guardia.get('/noc/admin/catalogo')).text();
    expect(html).not.toContain('Crear zona');
  });

  it('creates an API token that works on /api/v1 within its scope, then revokes it', async () => {
    const none = await admin.submit('/noc/admin/tokens', { accion: 'crear', name: 'sin-alcance' });
    expect(none.status).toBe(422);
    expect(await none.text()).toContain('Elija al menos un alcance.');
    const res = await admin.submit('/noc/admin/tokens', { accion: 'crear', name: 'monitoreo', scopes: 'catalogue' });
    const page = await res.text();
    const token = /id="token-nuevo">([^<]+)</.exec(page)![1];
    const call = (t: string) => fetch(`${server.url}/api/v1/components`, { headers: { authorization: `Bearer ${t}` } });
    expect((await call(token)).status).toBe(200);
    const outside = await fetch(`${server.url}/api/v1/maintenances`, { headers: { authorization: `Bearer ${token}` } });
    expect(outside.status).toBe(403);
    expect((await outside.json()).error.code).toBe('insufficient_scope');
    const list = await (await admin.get('/noc/admin/tokens')).text();
    expect(list).toMatch(/<td>monitoreo<\/td>\s*<td>catalogue<\/td>\s*<td>No vence<\/td>/);
    const revoke = await admin.submit('/noc/admin/tokens', { accion: 'revocar', token: 'monitoreo' });
    expect(revoke.headers.get('location')).toBe('/noc/admin/tokens?aviso=revocado');
    expect((await call(token)).status).toBe(401);
    const bad = await admin.submit('/noc/admin/tokens', { accion: 'crear', name: 'con espacios', scopes: 'all' });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('Nombre inválido.');
  });
});
