// The shared input rules of every command (db/commands/input.ts) and the one resolver of
// component/area references (db/queries/catalog.ts), tested directly.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CommandError, unknownRefs } from '#db/commands/errors.ts';
import {
  checkInput,
  fromPublicNames,
  instant,
  LIMITS,
  nameText,
  parseInput,
  publicName,
  text,
} from '#db/commands/input.ts';
import { createIncident, createIncidentInput } from '#db/commands/incidents.ts';
import { createConsoleUser, setConsoleUserDisabled, setConsoleUserRole } from '#db/commands/consoleUsers.ts';
import {
  componentCatalogue,
  expandedComponentIds,
  findInCatalogue,
  resolveRef,
  resolveRefs,
  unknownRefMessage,
} from '#db/queries/catalog.ts';
import { freshDb } from '../support/db.ts';

const refused = (fn: () => unknown): CommandError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof CommandError) return err;
    throw err;
  }
  throw new Error('expected a CommandError');
};

describe('text()', () => {
  const title = text({ min: 1, max: 5, label: 'El título', required: 'Escriba un título.' });

  it('trims, then measures, with messages that name the field', () => {
    expect(title.parse('  hola ')).toBe('hola');
    expect(title.safeParse('   ').error?.issues[0].message).toBe('Escriba un título.');
    expect(title.safeParse(undefined).error?.issues[0].message).toBe('Escriba un título.');
    expect(title.safeParse('demasiado').error?.issues[0].message).toBe('El título no puede pasar de 5 caracteres.');
    expect(title.safeParse(42).error?.issues[0].message).toBe('El título debe ser texto.');
  });

  it('writes the limits once: a name is 200 characters, not 201', () => {
    const name = nameText('Escriba un nombre.');
    expect(name.safeParse('x'.repeat(LIMITS.name)).success).toBe(true);
    expect(name.safeParse('x'.repeat(LIMITS.name + 1)).error?.issues[0].message).toBe(
      'El nombre no puede pasar de 200 caracteres.',
    );
  });
});

describe('instant', () => {
  it('takes a Date or an RFC 3339 timestamp with its offset, never a bare local time', () => {
    const d = new Date('2026-11-26T20:30:00Z');
    expect(instant.parse(d)).toBe(d);
    expect(instant.parse('2026-11-26T14:30:00-06:00').toISOString()).toBe('2026-11-26T20:30:00.000Z');
    expect(instant.safeParse('2026-11-26T14:30:00').error?.issues[0].message).toMatch(/con zona/);
    expect(instant.safeParse(12345).success).toBe(false);
    expect(instant.safeParse(new Date('nada')).success).toBe(false);
  });
});

describe('public names', () => {
  const schema = z.strictObject({ startedAt: instant.optional(), name: z.string() });

  it('are the snake_case of a field, in errors and in JSON bodies', () => {
    expect(publicName('startedAt')).toBe('started_at');
    expect(publicName('deliverNotifications')).toBe('deliver_notifications');
    expect(publicName('name')).toBe('name');
    expect(fromPublicNames({ started_at: '2026-11-26T00:00:00Z', name: 'x' }, schema)).toEqual({
      startedAt: '2026-11-26T00:00:00Z',
      name: 'x',
    });
  });

  it('refuse the internal spelling, and leave other unknown keys to the schema', () => {
    expect(refused(() => fromPublicNames({ startedAt: 'x', name: 'y' }, schema)).fields).toEqual([
      { path: 'startedAt', message: expect.any(String) },
    ]);
    const passed = fromPublicNames({ name: 'y', extra: 1 }, schema);
    expect(refused(() => parseInput(schema, passed)).fields).toEqual([
      { path: 'extra', message: 'Campo desconocido: «extra». Revise el nombre en la documentación.' },
    ]);
  });

  it('name error paths: the field by its public name, indexes and map keys as given', () => {
    const err = refused(() =>
      parseInput(createIncidentInput, {
        name: '',
        status: 'x',
        body: 'b',
        startedAt: 'ayer',
        components: { 'metepec-fibra': 'roto' },
      }),
    );
    expect(err.status).toBe(422);
    expect(err.code).toBe('validation_failed');
    expect(err.fields!.map((f) => f.path).sort()).toEqual(['components.metepec-fibra', 'name', 'started_at', 'status']);
    expect(checkInput(createIncidentInput, { name: 'Corte', status: 'identified', body: 'En camino.' })).toEqual([]);
  });

  it('prefix the paths of one part of a document', () => {
    const rows = z.array(z.strictObject({ email: z.string() }));
    expect(
      refused(() => parseInput(rows, [{ email: 'a' }, { email: 2 }], { path: 'subscribers' })).fields![0].path,
    ).toBe('subscribers.1.email');
  });
});

describe('the command parses before it writes', () => {
  it('refuses an over-long body with the field path, whoever calls it, and writes nothing', () => {
    const db = freshDb();
    const before = db.$client.prepare('SELECT count(*) FROM incidents').pluck().get();
    const err = refused(() =>
      createIncident(
        db,
        { name: 'Corte', status: 'investigating', body: 'x'.repeat(LIMITS.body + 1) },
        { now: new Date(), actor: { kind: 'cli', name: 'pruebas' } },
      ),
    );
    expect(err.fields).toEqual([{ path: 'body', message: 'El mensaje no puede pasar de 20,000 caracteres.' }]);
    expect(db.$client.prepare('SELECT count(*) FROM incidents').pluck().get()).toBe(before);
  });

  it('keeps an admin from demoting or disabling their own account (the command, not only the page)', () => {
    const db = freshDb({ seed: false });
    const ctx = { now: new Date(), actor: { kind: 'cli' as const, name: 'pruebas' } };
    const one = createConsoleUser(db, { email: 'Una@Somnet.com.mx', role: 'admin', passwordHash: 'h' }, ctx);
    createConsoleUser(db, { email: 'otra@somnet.com.mx', role: 'admin', passwordHash: 'h' }, ctx);
    const self = { now: new Date(), actor: { kind: 'user' as const, name: 'una@somnet.com.mx' } };
    expect(refused(() => setConsoleUserRole(db, one.id, 'noc', self)).code).toBe('own_account');
    expect(refused(() => setConsoleUserDisabled(db, one.id, true, self)).code).toBe('own_account');
    expect(refused(() => setConsoleUserRole(db, one.id, 'jefe', ctx)).fields).toEqual([
      { path: 'role', message: 'El rol debe ser admin o noc.' },
    ]);
    expect(
      setConsoleUserRole(db, one.id, 'noc', { ...self, actor: { kind: 'user', name: 'otra@somnet.com.mx' } }).role,
    ).toBe('noc');
  });
});

describe('component and area references', () => {
  const db = freshDb();
  const catalogue = componentCatalogue(db);
  const metepec = catalogue.groups.find((g) => g.slug === 'metepec')!;
  const fibra = catalogue.all.find((c) => c.slug === 'metepec-fibra')!;

  it('find a component or an area by slug or id, as the field allows', () => {
    expect(findInCatalogue(catalogue, 'metepec-fibra')).toEqual({ kind: 'component', component: fibra });
    expect(findInCatalogue(catalogue, fibra.id)).toEqual({ kind: 'component', component: fibra });
    expect(findInCatalogue(catalogue, metepec.id)).toEqual({ kind: 'group', group: metepec });
    expect(findInCatalogue(catalogue, 'metepec', 'component')).toBeNull();
    expect(findInCatalogue(catalogue, 'metepec-fibra', 'group')).toBeNull();
  });

  it('report unknown references where they were given: list index or map key, with one message', () => {
    const list = resolveRefs(catalogue, ['metepec', 'atlantida', 'metepec-fibra'], 'components', 'any');
    expect(list.unknown).toEqual([
      {
        path: 'components.1',
        ref: 'atlantida',
        message: 'No existe un componente ni una zona «atlantida» en el catálogo.',
      },
    ]);
    expect(expandedComponentIds(list.found)).toEqual(metepec.components.map((c) => c.id));
    const map = resolveRefs(
      catalogue,
      { 'metepec-fibra': 'major_outage', nada: 'major_outage' },
      'components',
      'component',
    );
    expect(map.unknown.map((u) => u.path)).toEqual(['components.nada']);
    expect(resolveRef(catalogue, 'atlantida', 'features.1.properties.area', 'group').unknown).toEqual({
      path: 'features.1.properties.area',
      ref: 'atlantida',
      message: 'No existe la zona «atlantida» en el catálogo.',
    });
    expect(unknownRefMessage('x', 'component')).toBe('No existe el componente «x» en el catálogo.');
  });

  it('become one 422 per command, naming each reference', () => {
    const { unknown } = resolveRefs(catalogue, ['a', 'b'], 'components', 'any');
    const err = unknownRefs(unknown);
    expect(err).toMatchObject({
      status: 422,
      code: 'unknown_component',
      message: 'No existen en el catálogo: «a», «b».',
    });
    expect(err.fields).toEqual([
      { path: 'components.0', message: expect.any(String) },
      { path: 'components.1', message: expect.any(String) },
    ]);
  });
});
