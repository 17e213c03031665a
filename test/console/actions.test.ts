// The console's action modules (site/console/*.ts) called directly, on a real database: what
// each form does, without a server. The pages that render them are tested through HTTP elsewhere.
import { describe, expect, it } from 'vitest';
import { createMaintenance, postMaintenanceUpdate } from '#db/commands/maintenances.ts';
import { createConsoleUser } from '#db/commands/consoleUsers.ts';
import { componentCatalogue, consoleUsersList, maintenanceDetail } from '#db/queries/index.ts';
import { isRedirect, type ConsoleRequest } from '../../site/console/action.ts';
import { cataloguePage } from '../../site/console/catalogue.ts';
import { componentStatusesPage, requestedStatuses } from '../../site/console/componentStatuses.ts';
import { incidentComposerPage } from '../../site/console/incidents.ts';
import {
  maintenanceDetailPage,
  maintenancePatch,
  newMaintenancePage,
  updateChoices,
} from '../../site/console/maintenances.ts';
import { randomToken } from '../../site/console/session.ts';
import { usersPage } from '../../site/console/users.ts';
import { freshDb } from '../support/db.ts';

const db = freshDb();
const now = new Date('2026-11-26T16:00:00Z'); // Thursday 10:00 in Mexico City
const cli = { now, actor: { kind: 'cli' as const, name: 'pruebas' } };
const admin = createConsoleUser(db, { email: 'jefa@somnet.com.mx', role: 'admin', passwordHash: 'x' }, cli);
createConsoleUser(db, { email: 'otra-jefa@somnet.com.mx', role: 'admin', passwordHash: 'x' }, cli);
const req: ConsoleRequest = {
  db,
  now,
  session: { user: { id: admin.id, email: admin.email, role: 'admin', mustChangePassword: false } },
};
const catalogue = componentCatalogue(db);
const group = (slug: string) => catalogue.groups.find((g) => g.slug === slug)!;
const component = (slug: string) => catalogue.all.find((c) => c.slug === slug)!;

/** A posted form, with a fresh one-use token unless one is given. */
function form(fields: Record<string, string | string[]>): FormData {
  const f = new FormData();
  f.set('idem', randomToken());
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) f.append(k, one);
  return f;
}

const window = (overrides: Partial<Parameters<typeof createMaintenance>[1]> = {}) =>
  createMaintenance(
    db,
    {
      name: 'Cambio de tarjetas',
      body: 'Cortes breves.',
      components: ['metepec'],
      scheduledFor: new Date('2026-12-02T06:00:00Z'),
      scheduledUntil: new Date('2026-12-02T09:00:00Z'),
      ...overrides,
    },
    cli,
  ).maintenance;

describe('maintenance pages', () => {
  it('«Comprobar ventana» writes nothing; publishing does, once per form', () => {
    const fields = {
      name: 'Migración de OLT',
      body: 'Sin servicio 10 min.',
      scheduled_for: '2026-12-03T00:00',
      scheduled_until: '2026-12-03T02:00',
      zona: group('toluca').id,
      impact_kind: 'outage',
    };
    const checked = newMaintenancePage(req, { maxHours: 12 }, form({ ...fields, accion: 'comprobar' }));
    expect(checked).toMatchObject({ status: 200, view: { checked: true } });
    expect(isRedirect(checked) ? null : checked.view.hints.window?.tone).toBe('ok');
    const once = form({ ...fields, accion: 'programar' });
    const first = newMaintenancePage(req, { maxHours: 12 }, once);
    const again = newMaintenancePage(req, { maxHours: 12 }, once);
    expect(isRedirect(first) && first.redirect).toMatch(/^\/noc\/mantenimientos\/\w+\?aviso=programado$/);
    expect(again).toEqual(first);
  });

  it("shows every problem at once, in the command's words, and a form without its token is refused", () => {
    const refused = newMaintenancePage(
      req,
      { maxHours: 12 },
      form({ name: '', body: '', scheduled_for: '', scheduled_until: 'mañana', accion: 'programar' }),
    );
    expect(isRedirect(refused)).toBe(false);
    if (isRedirect(refused)) return;
    expect(refused.status).toBe(422);
    expect(refused.view.errors).toMatchObject({
      name: expect.stringMatching(/^Escriba un título/),
      body: 'Escriba qué se hará y qué notarán los clientes.',
      scheduled_for: 'Indique la fecha y hora de inicio.',
      scheduled_until: 'Fecha y hora no válidas.',
      components: 'Elija al menos una zona o un componente afectado.',
    });
    const tokenless = form({
      name: 'X',
      body: 'Y',
      scheduled_for: '2026-12-03T00:00',
      scheduled_until: '2026-12-03T02:00',
      zona: group('toluca').id,
      impact_kind: 'outage',
      accion: 'programar',
    });
    tokenless.delete('idem');
    const noToken = newMaintenancePage(req, { maxHours: 12 }, tokenless);
    expect(!isRedirect(noToken) && noToken.view.errors.form).toMatch(/El formulario caducó/);
  });

  it('sends only what changed; a new time carries the reason', () => {
    const m = maintenanceDetail(db, window().id)!;
    const same = {
      name: m.name,
      body: m.body,
      scheduledFor: '',
      scheduledUntil: '',
      components: m.components.map((c) => c.id),
      impactKind: m.impactKind,
      autoTransition: m.autoTransition,
      emergency: false,
      emergencyReason: '',
      rescheduleReason: 'Lluvia',
    };
    expect(maintenancePatch(m, same, m.scheduledFor, m.scheduledUntil)).toEqual({});
    const later = new Date(m.scheduledUntil.getTime() + 3_600_000);
    expect(maintenancePatch(m, { ...same, name: 'Otro' }, m.scheduledFor, later)).toEqual({
      name: 'Otro',
      scheduledUntil: later,
      rescheduleReason: 'Lluvia',
    });
  });

  it('offers what the command allows once a window began, and refuses a late form on a closed one', () => {
    const m = window({
      scheduledFor: now,
      scheduledUntil: new Date('2026-11-26T18:00:00Z'),
      emergency: true,
      emergencyReason: 'Tarjeta dañada.',
    });
    const page = maintenanceDetailPage(req, m.id, { maxHours: 12 });
    if (isRedirect(page) || !page.view) throw new Error('expected the page');
    expect(page.view.started).toBe(true);
    expect(page.view.editable).not.toContain('scheduled_for');
    expect(page.view.editable).not.toContain('components');
    expect(page.view.editable).toContain('scheduled_until');
    expect(updateChoices('in_progress')).toEqual(['in_progress', 'verifying', 'completed']);
    const bad = maintenanceDetailPage(
      req,
      m.id,
      { maxHours: 12 },
      form({ accion: 'actualizar', status: 'scheduled', body: '' }),
    );
    expect(!isRedirect(bad) && bad.view?.updateErrors).toEqual({
      status: 'Elija un estado posible: En curso, En verificación, Completado.',
      body: 'Escriba el mensaje de la actualización.',
    });
    postMaintenanceUpdate(db, m.id, { status: 'completed', body: 'Listo.' }, cli);
    const late = maintenanceDetailPage(req, m.id, { maxHours: 12 }, form({ accion: 'cancelar', confirmar: '1' }));
    expect(late).toMatchObject({
      status: 422,
      view: { open: false, closedError: 'El mantenimiento ya está completado; no admite cambios.' },
    });
    expect(maintenanceDetailPage(req, 'nada', { maxHours: 12 })).toEqual({ status: 404, view: null });
  });
});

describe('incident composer', () => {
  it('publishes only what was previewed', () => {
    const fields = {
      name: 'Corte de fibra en Metepec',
      impact: 'critical',
      status: 'identified',
      body: 'Cuadrilla en camino.',
      cause: 'Obra civil',
      componente: component('metepec-fibra').id,
      notificar: '1',
    };
    const preview = incidentComposerPage(
      req,
      { template: null, publicUrl: 'https://status.example.test' },
      form({ ...fields, accion: 'vista-previa' }),
    );
    if (isRedirect(preview)) throw new Error('expected a preview');
    expect(preview.view.preview?.components.map((c) => c.slug)).toEqual(['metepec-fibra']);
    expect(preview.view.email?.subject).toMatch(/Corte de fibra en Metepec/);
    const changed = incidentComposerPage(
      req,
      { template: null, publicUrl: 'x' },
      form({ ...fields, body: 'Otro texto.', accion: 'publicar', vista: preview.view.fingerprint! }),
    );
    expect(changed).toMatchObject({
      status: 200,
      view: { notice: expect.stringMatching(/cambió después de la vista previa/) },
    });
    const published = incidentComposerPage(
      req,
      { template: null, publicUrl: 'x' },
      form({ ...fields, accion: 'publicar', vista: preview.view.fingerprint! }),
    );
    expect(isRedirect(published) && published.redirect).toMatch(/^\/noc\/incidentes\/\w+\?aviso=publicado$/);
  });
});

describe('admin pages', () => {
  it("users: the command refuses an admin's change to their own account; an unknown action is a 400", async () => {
    expect(await usersPage(req, form({ accion: 'desactivar', usuario: String(admin.id) }))).toMatchObject({
      status: 409,
      view: { errors: { form: 'No puede cambiar el rol ni desactivar su propia cuenta.' } },
    });
    expect(consoleUsersList(db, now).find((u) => u.id === admin.id)!.disabledAt).toBeNull();
    expect(await usersPage(req, form({ accion: 'borrar' }))).toMatchObject({ status: 400 });
    const created = await usersPage(req, form({ accion: 'crear', email: 'Guardia@Somnet.com.mx', role: 'noc' }));
    expect(created).toMatchObject({
      status: 200,
      view: { shown: { email: 'guardia@somnet.com.mx', password: expect.any(String) } },
    });
  });

  it("catalogue: the command's messages under the form's field names", () => {
    const empty = cataloguePage(req, form({ accion: 'zona-nueva', zona_nombre: ' ', zona_slug: 'Con Espacios' }));
    expect(empty).toMatchObject({
      status: 422,
      view: { errors: { zona: { nombre: 'Escriba un nombre.', slug: expect.stringMatching(/^Solo minúsculas/) } } },
    });
    const stale = cataloguePage(
      req,
      form({ accion: 'componente-nuevo', componente_nombre: 'Enlace', componente_zona: 'no-existe' }),
    );
    expect(!isRedirect(stale) && stale.view.errors.componente.zona).toBe('Esa zona ya no existe; recargue la página.');
    const taken = cataloguePage(req, form({ accion: 'zona-nueva', zona_nombre: 'Otra', zona_slug: 'metepec' }));
    expect(!isRedirect(taken) && taken.view.errors.zona).toMatchObject({
      form: expect.stringMatching(/ya está en uso/),
      slug: expect.any(String),
    });
    expect(cataloguePage(req, form({ accion: 'zona-nueva', zona_nombre: 'Tenango' }))).toEqual({
      redirect: '/noc/admin/catalogo?aviso=creado',
    });
  });

  it("component statuses: an area applies to its components, a component's own choice wins", () => {
    const lerma = group('lerma');
    const f = form({
      [`zona_${lerma.id}`]: 'partial_outage',
      [`estado_${component('lerma-fibra').id}`]: 'major_outage',
    });
    expect(requestedStatuses(f, componentCatalogue(db)).changes).toEqual(
      lerma.components.map((c) => [c.id, c.slug === 'lerma-fibra' ? 'major_outage' : 'partial_outage']),
    );
    expect(componentStatusesPage(req, f)).toEqual({ redirect: `/noc/componentes?cambios=${lerma.components.length}` });
    expect(componentStatusesPage(req, form({}))).toMatchObject({
      status: 422,
      view: { error: 'No eligió ningún cambio de estado.' },
    });
    expect(componentStatusesPage(req, form({ [`zona_${lerma.id}`]: 'roto' }))).toMatchObject({
      status: 422,
      view: { error: 'Uno de los estados elegidos no es válido.' },
    });
  });
});
