// Every notice is true when it is read. A fibre cut in Metepec that began at 00:48 and was fixed
// at 02:08, and a maintenance five days away, told to a technical contact of the inventory, a
// public subscriber and a contact the NOC imported: each email is read as its recipient reads it
// (parsed as a mail client parses the message), in the tense of its event, with a footer that
// says why that recipient gets it; the maintenance carries its calendar, read by an iCalendar
// parser, through Resend and through the .eml fallback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PostalMime from 'postal-mime';
import ICAL from 'ical.js';
import { sql } from 'drizzle-orm';
import { createApp } from '../../api/app.ts';
import { resendTransport } from '../../api/email/resend.ts';
import { fileTransport } from '../../api/email/file.ts';
import { createIncident, publishIncidentUpdate } from '#db/commands/incidents.ts';
import { cancelMaintenance, createMaintenance } from '#db/commands/maintenances.ts';
import { replaceServiceInventory } from '#db/commands/services.ts';
import { confirmSubscription, importSubscribers, requestSubscription } from '#db/commands/subscribers.ts';
import { drainOutbox } from '#db/outbox/worker.ts';
import '#db/notifications/channels.ts';
import { freshDb, testClock, testConfig } from '../support/db.ts';
import { startResendStandin, type DeliveredEmail } from '../support/resend-standin.ts';

// 7 December 2026, 00:40 in Mexico City (UTC−6).
const clock = testClock('2026-12-07T06:40:00Z');
const ctx = () => ({ now: clock.now(), actor: { kind: 'token' as const, name: 'pruebas' } });
const db = freshDb();
const config = { ...testConfig, publicUrl: 'https://estado.example.test' };
const { app } = createApp({ db, config, now: clock.now });
let standin: Awaited<ReturnType<typeof startResendStandin>>;

async function deliveredNow(): Promise<DeliveredEmail[]> {
  const before = standin.delivered.length;
  await drainOutbox(
    db,
    resendTransport(db, config, { apiKey: standin.apiKey, baseUrl: standin.url, requestsPerSecond: 0 }),
    { now: clock.now },
  );
  return standin.delivered.slice(before);
}
const to = (mails: DeliveredEmail[], address: string) => mails.find((m) => m.to === address)!;
/** The text a reader sees of an HTML part: tags out, entities decoded, spaces collapsed. */
const visible = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/\s+/g, ' ');

beforeAll(async () => {
  standin = await startResendStandin();
  replaceServiceInventory(
    db,
    {
      services: [
        {
          service_id: 'SOM-40110',
          customer_id: 'C-401',
          company: 'Ferretería Metepec',
          label: 'Sucursal Centro',
          technology: 'Fibra óptica',
          component: 'metepec-fibra',
          contacts: [{ name: 'Rosa Pérez', email: 'rosa@ferreteria.mx' }],
        },
      ],
    },
    ctx(),
  );
  // A public subscriber of Metepec's fibre, through the double opt-in.
  requestSubscription(db, { email: 'vecina@correo.mx', components: ['metepec-fibra'], ip: '192.0.2.1' }, ctx());
  const confirm = db.get<{ payload: string }>(
    sql`select payload from outbox_messages where recipient = 'vecina@correo.mx' and kind = 'subscription.confirm'`,
  );
  confirmSubscription(db, JSON.parse(confirm.payload).confirmToken, ctx());
  // A technical contact the NOC imported (no service of the inventory).
  importSubscribers(db, [{ email: 'guardia@cliente.mx', components: ['metepec-fibra'] }], { ...ctx() });
  await deliveredNow();
});
afterAll(async () => {
  await standin.close();
  db.$client.close();
});

describe('the three tenses, as each recipient reads them', () => {
  let incidentId = '';

  it('affected now: the outage as it is posted', async () => {
    clock.set('2026-12-07T07:56:00Z'); // posted at 01:56, began at 00:48
    incidentId = createIncident(
      db,
      {
        name: 'Corte de fibra en Metepec',
        status: 'identified',
        impact: 'critical',
        body: 'Cuadrilla en camino al punto del corte.',
        cause: 'Corte de fibra por obra civil',
        startedAt: new Date('2026-12-07T06:48:00Z'),
        components: { 'metepec-fibra': 'major_outage' },
      },
      ctx(),
    ).id;
    const mails = await deliveredNow();
    expect(mails.map((m) => m.to).sort()).toEqual(['guardia@cliente.mx', 'rosa@ferreteria.mx', 'vecina@correo.mx']);
    const contact = to(mails, 'rosa@ferreteria.mx');
    expect(contact.text!.split('\n')[0]).toBe('Su servicio SOM-40110, Sucursal Centro se ve afectado.');
    expect(contact.text).toContain('Zonas y servicios afectados: Metepec · Fibra óptica');
    expect(contact.text).toContain('Tiempo estimado de restauración: Por confirmar');
  });

  it('was affected and is restored, with how long it lasted; never «se ve afectado»', async () => {
    clock.set('2026-12-07T08:08:00Z'); // 02:08
    publishIncidentUpdate(
      db,
      incidentId,
      {
        status: 'resolved',
        body: 'Se reparó el tramo dañado; el servicio está restablecido.',
        components: { 'metepec-fibra': 'operational' },
      },
      ctx(),
    );
    const mails = await deliveredNow();
    expect(mails).toHaveLength(3);
    const contact = to(mails, 'rosa@ferreteria.mx');
    expect(contact.subject).toBe('[Resuelto] Corte de fibra en Metepec (criticidad alta)');
    expect(contact.text!.split('\n')[0]).toBe(
      'Su servicio SOM-40110, Sucursal Centro se vio afectado durante 1 h 20 min (de 00:48 a 02:08, hora del centro de México) y ya está restablecido.',
    );
    for (const m of mails) {
      expect(m.text).not.toMatch(/se ven? afectad/);
      expect(visible(m.html!)).not.toMatch(/se ven? afectad/);
      expect(m.text).toContain('Zonas y servicios que se vieron afectados: Metepec · Fibra óptica');
      expect(m.text).toContain('Duración de la falla: 1 h 20 min (de 00:48 a 02:08, hora del centro de México)');
      expect(m.text).not.toContain('Tiempo estimado de restauración');
    }
  });

  it('will be affected on a date: a maintenance five days away names the weekday and the night it crosses', async () => {
    clock.set('2026-12-07T16:00:00Z'); // Monday 7 December, 10:00
    createMaintenance(
      db,
      {
        name: 'Cambio de tarjetas en el nodo Metepec',
        body: 'Sustitución de tarjetas de línea; cortes breves.',
        components: ['metepec-fibra'],
        // Saturday 12 December, 00:00–03:00 in Mexico City: the night from Friday to Saturday.
        scheduledFor: new Date('2026-12-12T06:00:00Z'),
        scheduledUntil: new Date('2026-12-12T09:00:00Z'),
        impactKind: 'outage',
      },
      ctx(),
    );
    const mails = await deliveredNow();
    expect(mails).toHaveLength(3);
    const night = 'la noche del viernes 11 al sábado 12 de diciembre, de 00:00 a 03:00 (hora del centro de México)';
    const contact = to(mails, 'rosa@ferreteria.mx');
    expect(contact.text!.split('\n')[0]).toBe(`Su servicio SOM-40110, Sucursal Centro se verá afectado ${night}.`);
    for (const m of mails) {
      expect(m.text).toContain(`Ventana: ${night}`);
      expect(visible(m.html!)).toContain(night);
      expect(m.text).toContain('Zonas y servicios que se verán afectados: Metepec · Fibra óptica');
      expect(m.text).not.toMatch(/se ven? afectad/);
    }
  });
});

describe('the footer says why each recipient receives it', () => {
  it('an imported technical contact «figura como contacto técnico», a subscriber «se suscribió»', async () => {
    clock.advance(60_000);
    createIncident(
      db,
      {
        name: 'Intermitencia en Metepec',
        status: 'investigating',
        body: 'Revisamos.',
        components: { 'metepec-fibra': 'partial_outage' },
      },
      ctx(),
    );
    const mails = await deliveredNow();
    const contact = to(mails, 'rosa@ferreteria.mx');
    const why = 'Recibe este aviso porque esta dirección figura como contacto técnico del servicio SOM-40110';
    expect(contact.text).toContain(why);
    expect(visible(contact.html!)).toContain(why);
    expect(contact.text).not.toContain('se suscribió');
    expect(visible(contact.html!)).not.toContain('se suscribió');
    expect(visible(contact.html!)).toContain('Dejar de recibir estos avisos');

    const imported = to(mails, 'guardia@cliente.mx');
    expect(visible(imported.html!)).toContain(
      'Recibe este aviso porque esta dirección figura como contacto técnico registrado ante SOMNET.',
    );
    expect(imported.text).not.toContain('se suscribió');

    const subscriber = to(mails, 'vecina@correo.mx');
    expect(visible(subscriber.html!)).toContain(
      'Recibe este aviso porque se suscribió a las notificaciones de estado de SOMNET.',
    );
    expect(subscriber.text).toContain(
      'Recibe este aviso porque se suscribió a las notificaciones de estado de SOMNET.',
    );
    expect(visible(subscriber.html!)).toContain('Cancelar suscripción');
  });
});

/** The VEVENT of an iCalendar text, parsed by ical.js (throws on malformed input). */
function parseCalendar(text: string) {
  const root = new ICAL.Component(ICAL.parse(text));
  const event = root.getFirstSubcomponent('vevent')!;
  return { root, event };
}

describe('the maintenance carries its calendar', () => {
  let maintenanceId = '';

  it('through Resend: one message each, the .ics link, and a text/calendar (METHOD:PUBLISH) file', async () => {
    clock.advance(60_000);
    const batches = standin.stats.batchRequests;
    maintenanceId = createMaintenance(
      db,
      {
        name: 'Actualización de la OLT de Metepec',
        body: 'Reinicio de la OLT.',
        components: ['metepec-fibra'],
        scheduledFor: new Date('2026-12-13T06:00:00Z'),
        scheduledUntil: new Date('2026-12-13T08:00:00Z'),
      },
      ctx(),
    ).maintenance.id;
    const mails = await deliveredNow();
    expect(mails).toHaveLength(3);
    expect(standin.stats.batchRequests).toBe(batches); // batches carry no attachments
    for (const m of mails) {
      const url = `https://estado.example.test/mantenimiento/${maintenanceId}.ics`;
      expect(m.text).toContain(`Añadir a mi calendario (.ics): ${url}`);
      expect(m.html).toContain(`href="${url}"`);
      const [file] = m.attachments as Array<{ filename: string; content: string; content_type: string }>;
      expect(file.filename).toBe('mantenimiento.ics');
      expect(file.content_type).toBe('text/calendar; charset=utf-8; method=PUBLISH');
      const { root, event } = parseCalendar(Buffer.from(file.content, 'base64').toString('utf8'));
      expect(root.getFirstPropertyValue('method')).toBe('PUBLISH');
      expect(event.getFirstPropertyValue('uid')).toBe(`maintenance-${maintenanceId}@estado.example.test`);
      expect(event.getFirstPropertyValue('summary')).toContain('Actualización de la OLT de Metepec');
      expect((event.getFirstPropertyValue('dtstart') as ICAL.Time).toJSDate().toISOString()).toBe(
        '2026-12-13T06:00:00.000Z',
      );
      expect((event.getFirstPropertyValue('dtend') as ICAL.Time).toJSDate().toISOString()).toBe(
        '2026-12-13T08:00:00.000Z',
      );
    }
    // The link serves the same calendar.
    const res = await app.request(`/mantenimiento/${maintenanceId}.ics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/calendar/);
  });

  it('in the .eml fallback: a text/calendar part among the alternatives and the .ics attached; a cancellation cancels the event', async () => {
    clock.advance(60_000);
    cancelMaintenance(db, maintenanceId, { body: 'Se pospone sin fecha.' }, ctx());
    const dir = mkdtempSync(join(tmpdir(), 'somnet-eml-'));
    await drainOutbox(
      db,
      fileTransport(db, config, dir, () => {}),
      { now: clock.now },
    );
    const files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
    expect(files).toHaveLength(3);
    for (const file of files) {
      const raw = readFileSync(join(dir, file));
      const mail = await PostalMime.parse(raw);
      expect(mail.subject).toMatch(/^\[Mantenimiento cancelado\] Actualización de la OLT de Metepec/);
      expect(mail.text).toContain(
        'Ventana cancelada: la noche del sábado 12 al domingo 13 de diciembre, de 00:00 a 02:00 (hora del centro de México)',
      );
      expect(mail.text).toContain('Quitar de su calendario');
      // The iMIP part: text/calendar with its method, as Gmail and Outlook send invitations.
      const source = raw.toString('utf8');
      expect(source).toMatch(
        /Content-Type: multipart\/alternative;[\s\S]*Content-Type: text\/calendar; charset=utf-8; method=PUBLISH/,
      );
      const ics = mail.attachments.find((a) => a.filename === 'mantenimiento.ics');
      expect(ics?.mimeType).toBe('application/ics');
      const inline = mail.attachments.find((a) => a.mimeType === 'text/calendar');
      const content = inline?.content ?? ics!.content;
      const text = typeof content === 'string' ? content : new TextDecoder().decode(content);
      const { root, event } = parseCalendar(text);
      expect(root.getFirstPropertyValue('method')).toBe('PUBLISH');
      expect(event.getFirstPropertyValue('status')).toBe('CANCELLED');
      expect(Number(event.getFirstPropertyValue('sequence'))).toBeGreaterThan(0);
      expect(event.getFirstPropertyValue('uid')).toBe(`maintenance-${maintenanceId}@estado.example.test`);
    }
  });
});
