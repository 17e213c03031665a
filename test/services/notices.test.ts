// Notices to the technical contacts of affected services: exactly those contacts, one email each
// naming their services, through the Resend stand-in; one-click unsubscribe remembered across
// re-imports; the 72 h rule measured when a contact's notice is queued; the NOC's counts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createApp } from '../../api/app.ts';
import { resendTransport } from '../../api/email/resend.ts';
import { createIncident } from '#db/commands/incidents.ts';
import { createMaintenance, updateMaintenance } from '#db/commands/maintenances.ts';
import { replaceServiceInventory } from '#db/commands/services.ts';
import { confirmSubscription, importSubscribers, requestSubscription } from '#db/commands/subscribers.ts';
import { findComponent } from '#db/commands/catalog.ts';
import { drainOutbox } from '#db/outbox/worker.ts';
import { affectedReach, reachSummary } from '../../site/console/affectedServices.ts';
import { CommandError } from '#db/commands/errors.ts';
import '#db/notifications/channels.ts';
import { freshDb, testClock, testConfig } from '../support/db.ts';
import { startResendStandin } from '../support/resend-standin.ts';
import { inventory } from './fixtures.ts';

const clock = testClock('2026-11-26T18:00:00Z');
const ctx = () => ({ now: clock.now(), actor: { kind: 'token' as const, name: 'pruebas' } });
const db = freshDb();
const config = { ...testConfig, publicUrl: 'https://estado.example.test' };
const { app } = createApp({ db, config, now: clock.now });
let standin: Awaited<ReturnType<typeof startResendStandin>>;
const drain = () =>
  drainOutbox(db, resendTransport(db, config, { apiKey: standin.apiKey, baseUrl: standin.url, requestsPerSecond: 0 }), {
    now: clock.now,
  });

/** Sends what is pending and returns what the stand-in received meanwhile. */
async function deliveredNow() {
  const before = standin.delivered.length;
  await drain();
  return standin.delivered.slice(before);
}
const recipients = (mails: Array<{ to: string }>) => mails.map((m) => m.to).sort();
const subscriberKinds = () =>
  db.all<{ email: string; kind: string; confirmed: number }>(
    sql`select address as email, kind, confirmed_at is not null as confirmed from subscribers order by address`,
  );

beforeAll(async () => {
  standin = await startResendStandin();
  // Someone who follows Metepec's fibre on the public page, and a stranger to the inventory.
  importSubscribers(db, [{ email: 'vecino@correo.mx', components: ['metepec-fibra'] }], ctx());
  replaceServiceInventory(db, inventory, ctx());
});
afterAll(async () => {
  await standin.close();
  db.$client.close();
});

describe('notices to the technical contacts of affected services', () => {
  it('the import registers each contact address once, confirmed, without sending anything', async () => {
    expect(subscriberKinds()).toEqual([
      { email: 'laura@esperanza.mx', kind: 'technical_contact', confirmed: 1 },
      { email: 'noc@esperanza.mx', kind: 'technical_contact', confirmed: 1 },
      { email: 'pedro@tvalle.mx', kind: 'technical_contact', confirmed: 1 },
      { email: 'sistemas@clinicasj.mx', kind: 'technical_contact', confirmed: 1 },
      { email: 'vecino@correo.mx', kind: 'technical_contact', confirmed: 1 },
    ]);
    expect(await deliveredNow()).toEqual([]);
  });

  it('an incident on a component reaches its services’ contacts and its subscribers, one email each, naming their services', async () => {
    clock.advance(60_000);
    createIncident(
      db,
      {
        name: 'Corte de fibra en Metepec',
        status: 'identified',
        impact: 'critical',
        body: 'Cuadrilla en camino.',
        cause: 'Obra civil',
        components: { 'metepec-fibra': 'major_outage' },
      },
      ctx(),
    );
    const mails = await deliveredNow();
    expect(recipients(mails)).toEqual(['laura@esperanza.mx', 'noc@esperanza.mx', 'vecino@correo.mx']);
    const laura = mails.find((m) => m.to === 'laura@esperanza.mx')!;
    expect(laura.text).toContain(
      'Sus servicios SOM-12345, Sucursal Centro y SOM-12346, Bodega Norte se ven afectados.',
    );
    expect(laura.html).toContain(
      'Sus servicios SOM-12345, Sucursal Centro y SOM-12346, Bodega Norte se ven afectados.',
    );
    expect(laura.subject).toContain('Corte de fibra en Metepec');
    expect(mails.find((m) => m.to === 'noc@esperanza.mx')!.text).toContain(
      'Su servicio SOM-12345, Sucursal Centro se ve afectado.',
    );
    const neighbour = mails.find((m) => m.to === 'vecino@correo.mx')!;
    expect(neighbour.text).not.toContain('SOM-');
    // The same template: RFC 8058 headers for everyone.
    for (const m of mails) expect(m.headers!['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
  });

  it('an incident naming only a network element reaches only the contacts of the services that traverse it', async () => {
    clock.advance(60_000);
    createIncident(
      db,
      {
        name: 'Falla de la OLT de Toluca',
        status: 'investigating',
        body: 'Revisamos la OLT.',
        elements: ['olt-tol-03'],
      },
      ctx(),
    );
    const mails = await deliveredNow();
    expect(recipients(mails)).toEqual(['sistemas@clinicasj.mx']);
    expect(mails[0].text).toContain('Su servicio SOM-30001, Matriz se ve afectado.');
  });

  it('a public subscriber of a service ID hears about it too, by ID only, in the same single email per address', async () => {
    requestSubscription(db, { email: 'dueno@tvalle.mx', services: ['som-20001'], ip: '192.0.2.10' }, ctx());
    const confirmation = db.get<{ payload: string }>(
      sql`select payload from outbox_messages where recipient = 'dueno@tvalle.mx' and kind = 'subscription.confirm'`,
    );
    confirmSubscription(db, JSON.parse(confirmation.payload).confirmToken, ctx());
    await deliveredNow();
    clock.advance(60_000);
    createIncident(
      db,
      {
        name: 'Punto de acceso caído en Lerma',
        status: 'identified',
        body: 'Sustituimos el radio.',
        elements: ['TORRE-LERMA-AP2'],
      },
      ctx(),
    );
    const mails = await deliveredNow();
    expect(recipients(mails)).toEqual(['dueno@tvalle.mx', 'pedro@tvalle.mx']);
    expect(mails.find((m) => m.to === 'pedro@tvalle.mx')!.text).toContain(
      'Su servicio SOM-20001, Patio Lerma se ve afectado.',
    );
    const owner = mails.find((m) => m.to === 'dueno@tvalle.mx')!.text!;
    expect(owner).toContain('Su servicio SOM-20001 se ve afectado.');
    expect(owner).not.toContain('Patio Lerma');
  });

  it('one-click unsubscribe (RFC 8058) of a contact is remembered when the CRM re-imports the inventory', async () => {
    clock.advance(60_000);
    createIncident(
      db,
      { name: 'Bodega sin servicio', status: 'investigating', body: 'Revisamos.', elements: ['PON-MET-01/2'] },
      ctx(),
    );
    const [mail] = await deliveredNow();
    expect(mail.to).toBe('laura@esperanza.mx');
    const url = /^<(.+)>$/.exec(mail.headers!['List-Unsubscribe'])![1];
    const res = await app.request(url.replace(config.publicUrl, ''), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(res.status).toBe(200);
    expect((await res.json()).removed).toBe(true);

    replaceServiceInventory(db, inventory, ctx());
    expect(subscriberKinds().map((s) => s.email)).not.toContain('laura@esperanza.mx');
    clock.advance(60_000);
    createIncident(
      db,
      { name: 'Otra falla en Metepec', status: 'investigating', body: 'Revisamos.', elements: ['OLT-MET-01'] },
      ctx(),
    );
    expect(recipients(await deliveredNow())).toEqual(['noc@esperanza.mx']);
  });

  it('a contact removed from the inventory is no longer told; a subscriber with choices of its own stays', async () => {
    replaceServiceInventory(db, { services: inventory.services.filter((s) => s.service_id !== 'SOM-30001') }, ctx());
    expect(subscriberKinds().map((s) => s.email)).not.toContain('sistemas@clinicasj.mx');
    expect(subscriberKinds().map((s) => s.email)).toContain('vecino@correo.mx');
    replaceServiceInventory(db, inventory, ctx());
    expect(subscriberKinds().map((s) => s.email)).toContain('sistemas@clinicasj.mx');
  });
});

describe('maintenance: the 72 h rule measured when the contacts’ notice is queued', () => {
  const window = (hoursFromNow: number) => ({
    scheduledFor: new Date(clock.now().getTime() + hoursFromNow * 3_600_000),
    scheduledUntil: new Date(clock.now().getTime() + (hoursFromNow + 1) * 3_600_000),
  });

  it('a window that grows to reach new services tells only the newly reached, and refuses when they would get less than 72 h', async () => {
    clock.advance(60_000);
    const { maintenance } = createMaintenance(
      db,
      {
        name: 'Cambio de tarjetas en Zinacantepec',
        body: 'Cortes breves.',
        ...window(80),
        components: ['zinacantepec-fibra'],
      },
      ctx(),
    );
    expect(recipients(await deliveredNow())).toEqual([]);

    // 9 hours later, 71 h before the start: adding the Toluca OLT would tell its contact too late.
    clock.advance(9 * 3_600_000);
    const outboxBefore = db.get<{ n: number }>(sql`select count(*) as n from outbox_messages`).n;
    let refusal: CommandError | undefined;
    try {
      updateMaintenance(db, maintenance.id, { elements: ['OLT-TOL-03'] }, ctx());
    } catch (err) {
      refusal = err as CommandError;
    }
    expect(refusal?.code).toBe('notice_too_short');
    expect(refusal?.fields?.[0].path).toBe('elements');
    expect(refusal?.message).toMatch(/1 contacto\(s\) técnico\(s\)/);
    expect(db.get<{ n: number }>(sql`select count(*) as n from outbox_messages`).n).toBe(outboxBefore);
    expect(db.get<{ n: number }>(sql`select count(*) as n from maintenance_elements`).n).toBe(0);

    // Moved to give 72 h from now, the same change is accepted and queued now, for that contact alone.
    const later = window(73);
    updateMaintenance(db, maintenance.id, { ...later, elements: ['OLT-TOL-03'] }, ctx());
    const announced = db.all<{ recipient: string; kind: string; created_at: number }>(
      sql`select recipient, kind, created_at from outbox_messages where kind = 'maintenance.announced' and recipient = 'sistemas@clinicasj.mx'`,
    );
    expect(announced).toEqual([
      { recipient: 'sistemas@clinicasj.mx', kind: 'maintenance.announced', created_at: clock.now().getTime() },
    ]);
    expect(later.scheduledFor.getTime() - announced[0].created_at).toBeGreaterThanOrEqual(72 * 3_600_000);
    const mails = await deliveredNow();
    const toContact = mails.filter((m) => m.to === 'sistemas@clinicasj.mx');
    expect(toContact.map((m) => m.subject.replace(/\].*/, ']'))).toEqual(['[Mantenimiento programado]']);
    // Read days ahead: the window is future, not now.
    expect(toContact[0].text).toMatch(
      /^Su servicio SOM-30001, Matriz se verá afectado el domingo 29 de noviembre, de \d\d:\d\d a \d\d:\d\d \(hora del centro de México\)\./,
    );
    expect(toContact[0].text).toContain('figura como contacto técnico del servicio SOM-30001');
  });

  it('an emergency window may reach contacts with less notice (its reason is on record)', () => {
    clock.advance(60_000);
    const { maintenance } = createMaintenance(
      db,
      {
        name: 'Emergencia en Lerma',
        body: 'Cambio urgente de radio.',
        ...window(2),
        components: ['lerma-fibra'],
        emergency: true,
        emergencyReason: 'Radio dañado por tormenta',
      },
      ctx(),
    );
    updateMaintenance(db, maintenance.id, { elements: ['TORRE-LERMA-AP2'] }, ctx());
    const told = db
      .all<{ recipient: string }>(
        sql`select recipient from outbox_messages where kind = 'maintenance.announced' and dedupe_key like ${`maintenance.announced:${maintenance.id}:%`} order by recipient`,
      )
      .map((r) => r.recipient);
    expect(told).toEqual(['dueno@tvalle.mx', 'pedro@tvalle.mx']);
  });
});

describe('what the NOC sees before publishing', () => {
  it('counts services, customers and contacts to be told, and lists them', () => {
    const metepec = findComponent(db, 'metepec-fibra')!.id;
    const reach = affectedReach(db, { componentIds: [metepec] });
    // laura@ unsubscribed: the two services remain, one contact is left to tell.
    expect({ services: reach.services, customers: reach.customers, contacts: reach.contacts }).toEqual({
      services: 2,
      customers: 1,
      contacts: 1,
    });
    expect(reach.list.map((s) => [s.serviceId, s.company, s.why])).toEqual([
      ['SOM-12345', 'Abarrotes La Esperanza SA de CV', 'componente'],
      ['SOM-12346', 'Abarrotes La Esperanza SA de CV', 'componente'],
    ]);
    expect(reachSummary(reach)).toBe('Afecta a 2 servicios de 1 cliente; se avisará a 1 contacto técnico.');
    const byElement = affectedReach(db, { componentIds: [], elements: ['OLT-TOL-03'] });
    expect(byElement.list).toEqual([
      {
        serviceId: 'SOM-30001',
        customerId: 'C-300',
        company: 'Clínica San José',
        label: 'Matriz',
        why: 'elemento de red OLT-TOL-03',
      },
    ]);
    expect(reachSummary(affectedReach(db, { componentIds: [findComponent(db, 'san-mateo-atenco-fibra')!.id] }))).toBe(
      'No afecta a ningún servicio del inventario de clientes.',
    );
  });
});
