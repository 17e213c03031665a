import { describe, expect, it } from 'vitest';
import ICAL from 'ical.js';
import {
  cancelMaintenance,
  createMaintenance,
  postMaintenanceUpdate,
  updateMaintenance,
} from '#db/commands/maintenances.ts';
import { foldLine } from '#db/domain/icalendar.ts';
import { maintenanceDetail, type MaintenanceView } from '#db/queries/index.ts';
import { maintenanceIcs } from '../../api/render/maintenanceIcs.ts';
import { freshDb } from '../support/db.ts';

const db = freshDb();
const actor = { kind: 'token' as const, name: 'tests' };
const now = new Date('2026-11-26T18:00:00Z');
const options = { publicUrl: 'https://status.somnet.com.mx', calendarName: 'SOMNET · Mantenimientos programados' };

// Long Spanish text with accents, an emoji and the characters RFC 5545 escapes.
const body =
  'Sustitución de la tarjeta de línea en el nodo de Zinacantepec; habrá cortes breves, de 5 a 10 minutos, ' +
  'mientras se conmutan los enlaces. Línea de atención: 722 167 5865 📞. Ruta \\ respaldo: «anillo norte».\nSegundo párrafo.';

const m = createMaintenance(
  db,
  {
    name: 'Cambio de tarjeta de línea, nodo Zinacantepec',
    body,
    scheduledFor: new Date('2026-12-01T06:00:00Z'),
    scheduledUntil: new Date('2026-12-01T09:30:00Z'),
    components: ['zinacantepec'],
    impactKind: 'degraded',
  },
  { now, actor },
).maintenance;
const view = () => maintenanceDetail(db, m.id)!;

function parse(text: string) {
  const cal = new ICAL.Component(ICAL.parse(text));
  return { cal, events: cal.getAllSubcomponents('vevent') };
}

function checkWire(text: string) {
  expect(text.endsWith('\r\n')).toBe(true);
  // No bare LF or CR: every line break is CRLF.
  expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  for (const line of text.split('\r\n').slice(0, -1)) expect(Buffer.byteLength(line), line).toBeLessThanOrEqual(75);
}

describe('maintenanceIcs', () => {
  it('writes valid RFC 5545 that an independent parser reads back exactly', () => {
    const text = maintenanceIcs([view()], options);
    checkWire(text);
    expect(text).toMatch(/^BEGIN:VCALENDAR\r\nVERSION:2\.0\r\nPRODID:/);
    // The long description had to be folded.
    expect(text).toMatch(/\r\n [^\r\n]/);
    const { cal, events } = parse(text);
    expect(cal.getFirstPropertyValue('x-wr-calname')).toBe(options.calendarName);
    expect(events).toHaveLength(1);
    const event = new ICAL.Event(events[0]);
    expect(event.uid).toBe(`maintenance-${m.id}@status.somnet.com.mx`);
    expect(event.summary).toBe('Mantenimiento programado: Cambio de tarjeta de línea, nodo Zinacantepec');
    expect(event.description.startsWith(body)).toBe(true);
    expect(event.description).toContain(`https://status.somnet.com.mx/mantenimiento/${m.id}`);
    expect(event.description).toContain('Aviso: 4 días y 12 h de anticipación.');
    expect(event.description).not.toContain('Fuera del horario de bajo impacto');
    expect(event.startDate.toJSDate().toISOString()).toBe('2026-12-01T06:00:00.000Z');
    expect(event.endDate.toJSDate().toISOString()).toBe('2026-12-01T09:30:00.000Z');
    expect(event.startDate.zone.tzid).toBe('UTC');
    expect(event.sequence).toBe(0);
    const vevent = events[0];
    expect(vevent.getFirstPropertyValue('status')).toBe('CONFIRMED');
    expect(vevent.getFirstPropertyValue('dtstamp')!.toString()).toBe('2026-11-26T18:00:00Z');
    expect(vevent.getFirstPropertyValue('last-modified')!.toString()).toBe('2026-11-26T18:00:00Z');
    expect(vevent.getFirstPropertyValue('location')).toBe('Zinacantepec');
    expect(vevent.getFirstPropertyValue('x-maintnote-provider')).toBe('somnet.com.mx');
    expect(vevent.getFirstPropertyValue('x-maintnote-maintenance-id')).toBe(m.id);
    expect(vevent.getFirstPropertyValue('x-maintnote-impact')).toBe('DEGRADED');
    expect(vevent.getFirstPropertyValue('x-maintnote-status')).toBe('CONFIRMED');
    const objects = vevent.getAllProperties('x-maintnote-object-id');
    expect(objects.map((p) => p.getFirstValue())).toEqual(['zinacantepec-fibra', 'zinacantepec-inalambrico']);
    expect(objects.map((p) => p.getParameter('x-maintnote-object-impact'))).toEqual(['DEGRADED', 'DEGRADED']);
  });

  it('carries every property the MAINTNOTE BCOP requires, ORGANIZER included, so circuit-maintenance tools accept it', () => {
    // BCOP §3.5 (and circuit-maintenance-parser, which refuses a notice without an organizer).
    const required = [
      'dtstamp',
      'dtstart',
      'dtend',
      'uid',
      'summary',
      'organizer',
      'sequence',
      'x-maintnote-provider',
      'x-maintnote-account',
      'x-maintnote-maintenance-id',
      'x-maintnote-object-id',
      'x-maintnote-impact',
    ];
    const vevent = parse(maintenanceIcs([view()], options)).events[0];
    for (const name of required) expect(vevent.getFirstProperty(name), name).not.toBeNull();
    const organizer = vevent.getFirstProperty('organizer')!;
    expect(organizer.getFirstValue()).toBe('mailto:soporte@somnet.com.mx');
    expect(organizer.getParameter('cn')).toBe('Soporte SOMNET');
  });

  it('keeps the UID, bumps SEQUENCE on every change and marks reschedules and cancellations', () => {
    const uid = new ICAL.Event(parse(maintenanceIcs([view()], options)).events[0]).uid;
    const later = new Date('2026-11-27T10:00:00Z');
    updateMaintenance(
      db,
      m.id,
      { scheduledFor: new Date('2026-12-08T06:00:00Z'), scheduledUntil: new Date('2026-12-08T09:00:00Z') },
      { now: later, actor },
    );
    let vevent = parse(maintenanceIcs([view()], options)).events[0];
    expect(new ICAL.Event(vevent).uid).toBe(uid);
    expect(vevent.getFirstPropertyValue('sequence')).toBe(1);
    expect(vevent.getFirstPropertyValue('x-maintnote-status')).toBe('RE-SCHEDULED');
    expect(vevent.getFirstPropertyValue('last-modified')!.toString()).toBe('2026-11-27T10:00:00Z');
    expect(vevent.getFirstPropertyValue('dtstart')!.toString()).toBe('2026-12-08T06:00:00Z');

    updateMaintenance(db, m.id, { name: 'Cambio de tarjeta, nodo Zinacantepec' }, { now: later, actor });
    expect(parse(maintenanceIcs([view()], options)).events[0].getFirstPropertyValue('sequence')).toBe(2);
    cancelMaintenance(
      db,
      m.id,
      { body: 'Aplazado por el proveedor.' },
      { now: new Date('2026-11-28T10:00:00Z'), actor },
    );
    vevent = parse(maintenanceIcs([view()], options)).events[0];
    expect(vevent.getFirstPropertyValue('sequence')).toBe(3);
    expect(vevent.getFirstPropertyValue('status')).toBe('CANCELLED');
    // A calendar that shows only the SUMMARY must not keep saying "programado".
    expect(vevent.getFirstPropertyValue('summary')).toMatch(/^Mantenimiento cancelado: /);
    expect(vevent.getFirstPropertyValue('x-maintnote-status')).toBe('CANCELLED');
  });

  it('maps every status and impact to the MAINTNOTE vocabulary, and emergencies in the title', () => {
    const e = createMaintenance(
      db,
      {
        name: 'Reemplazo urgente de fuente',
        body: 'Fuente dañada.',
        scheduledFor: new Date('2026-11-27T06:00:00Z'),
        scheduledUntil: new Date('2026-11-27T07:00:00Z'),
        components: ['red-troncal'],
        impactKind: 'no_impact',
        emergency: true,
        emergencyReason: 'Riesgo de caída total.',
      },
      { now, actor },
    ).maintenance;
    const statusOf = (v: MaintenanceView) => parse(maintenanceIcs([v], options)).events[0];
    let vevent = statusOf(maintenanceDetail(db, e.id)!);
    expect(vevent.getFirstPropertyValue('summary')).toBe('Mantenimiento de emergencia: Reemplazo urgente de fuente');
    expect(vevent.getFirstPropertyValue('x-maintnote-impact')).toBe('NO-IMPACT');
    postMaintenanceUpdate(db, e.id, { status: 'in_progress', body: 'Iniciado.' }, { now, actor });
    vevent = statusOf(maintenanceDetail(db, e.id)!);
    expect(vevent.getFirstPropertyValue('x-maintnote-status')).toBe('IN-PROCESS');
    postMaintenanceUpdate(db, e.id, { status: 'completed', body: 'Listo.' }, { now, actor });
    vevent = statusOf(maintenanceDetail(db, e.id)!);
    expect(vevent.getFirstPropertyValue('x-maintnote-status')).toBe('COMPLETED');
    expect(vevent.getFirstPropertyValue('status')).toBe('CONFIRMED');
  });

  it('folds at 75 octets without splitting a UTF-8 character', () => {
    const line = `DESCRIPTION:${'ñ'.repeat(100)}`;
    const folded = foldLine(line);
    const parts = folded.split('\r\n');
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) {
      expect(Buffer.byteLength(p)).toBeLessThanOrEqual(75);
      expect(p).not.toContain('\uFFFD');
    }
    expect(parts.slice(1).every((p) => p.startsWith(' '))).toBe(true);
    expect(parts.map((p, i) => (i ? p.slice(1) : p)).join('')).toBe(line);
    expect(foldLine('SHORT:ok')).toBe('SHORT:ok');
  });

  it('cannot be broken by names with line breaks or quotes', async () => {
    const { createComponent } = await import('#db/commands/catalog.ts');
    createComponent(db, { name: 'Nodo "Norte"', slug: 'nodo-norte' }, { now, actor });
    const x = createMaintenance(
      db,
      {
        name: 'Prueba',
        body: 'Texto;con,comas\\y\nsaltos',
        scheduledFor: new Date('2026-12-02T06:00:00Z'),
        scheduledUntil: new Date('2026-12-02T07:00:00Z'),
        components: ['nodo-norte'],
      },
      { now, actor },
    ).maintenance;
    // Commands refuse line breaks in names now (db/commands/input.ts); rows written before that
    // rule may still hold them, and the calendar must not break on them.
    db.$client.prepare("UPDATE components SET name = ? WHERE slug = 'nodo-norte'").run('Nodo "Norte"\nX-INJECTED:1');
    db.$client.prepare('UPDATE maintenances SET name = ? WHERE id = ?').run('Prueba\r\nX-INJECTED:2', x.id);
    const text = maintenanceIcs([maintenanceDetail(db, x.id)!], options);
    checkWire(text);
    expect(text).not.toMatch(/\r\nX-INJECTED/);
    const vevent = parse(text).events[0];
    expect(vevent.getFirstPropertyValue('x-injected')).toBeNull();
    expect(vevent.getFirstPropertyValue('summary')).toBe(
      'Mantenimiento programado: Prueba\r\nX-INJECTED:2'.replace('\r\n', '\n'),
    );
    expect(String(vevent.getFirstPropertyValue('description')).startsWith('Texto;con,comas\\y\nsaltos')).toBe(true);
    expect(vevent.getFirstProperty('x-maintnote-object-id')!.getParameter('x-somnet-name')).toBe(
      "Nodo 'Norte' X-INJECTED:1",
    );
  });

  it('renders an empty calendar when there is nothing to show', () => {
    const text = maintenanceIcs([], options);
    checkWire(text);
    expect(parse(text).events).toHaveLength(0);
  });
});
