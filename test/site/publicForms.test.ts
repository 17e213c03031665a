// The public pages' form modules (site/lib/feasibilityForm.ts, site/lib/preferencesForm.ts)
// called directly on a real database, as the pages call them: a Request in, what to render out.
// The pages themselves are tested through HTTP and Chromium (test/selfhelp, test/email).
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { eq } from 'drizzle-orm';
import { feasibilityFormAction, FEASIBILITY_RECEIVED } from '../../site/lib/feasibilityForm.ts';
import { preferencesPage } from '../../site/lib/preferencesForm.ts';
import { NOTHING_CHOSEN } from '../../site/lib/subscriptionForm.ts';
import { confirmPage, unsubscribePage } from '../../site/lib/subscriptionLinks.ts';
import { FEASIBILITY_LIMIT_PER_HOUR } from '#db/commands/feasibility.ts';
import { confirmSubscription, requestSubscription } from '#db/commands/subscribers.ts';
import { findComponent } from '#db/commands/catalog.ts';
import { listSubscribers } from '#db/queries/index.ts';
import { outboxMessages } from '#db/schema/index.ts';
import type { EmailPayload } from '#db/subscriptions/payload.ts';
import { freshDb } from '../support/db.ts';

const now = new Date('2026-11-26T16:00:00Z');
const post = (fields: Record<string, string | string[]>) => {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
  return new Request('http://status.test/form', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
};
const count = (db: ReturnType<typeof freshDb>, table: string) =>
  (db.$client.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('feasibility form (/cobertura)', () => {
  const fields = {
    company: 'Maquiladora del Valle',
    contact_name: 'Laura Pérez',
    email: 'laura@maquiladora.mx',
    phone: '722 123 4567',
    latitude: '19.2826',
    longitude: '-99.6557',
    address: 'Av. Industria 12, Lerma',
    service: 'fiber',
    bandwidth: '200 Mbps',
    notes: '',
  };

  it('a valid request is stored and answered with the see-other to the notice', async () => {
    const db = freshDb();
    expect(await feasibilityFormAction({ db, now, clientAddress: '203.0.113.7' }, post(fields))).toEqual({
      redirect: FEASIBILITY_RECEIVED,
    });
    expect(db.$client.prepare('SELECT company, latitude FROM feasibility_requests').all()).toEqual([
      { company: 'Maquiladora del Valle', latitude: 19.2826 },
    ]);
  });

  it("a refused one keeps what was typed, with the command's message per field, and stores nothing", async () => {
    const db = freshDb();
    const outcome = await feasibilityFormAction(
      { db, now, clientAddress: '203.0.113.7' },
      post({ ...fields, phone: '123', latitude: '', company: 'A' }),
    );
    expect(outcome).toMatchObject({
      status: 422,
      formError: 'Revise los campos marcados.',
      values: { phone: '123', company: 'A', email: 'laura@maquiladora.mx' },
      errors: {
        phone: 'Escriba un teléfono de 10 dígitos, p. ej. 722 123 4567.',
        latitude: 'Indique la latitud.',
        company: 'Escriba el nombre de su empresa.',
      },
    });
    expect(Object.keys((outcome as { errors: object }).errors).sort()).toEqual(['company', 'latitude', 'phone']);
    expect(count(db, 'feasibility_requests')).toBe(0);
  });

  it("the sender's hourly limit answers 429 above the form; another address is not affected", async () => {
    const db = freshDb();
    for (let i = 0; i < FEASIBILITY_LIMIT_PER_HOUR; i++)
      expect(await feasibilityFormAction({ db, now, clientAddress: '203.0.113.7' }, post(fields))).toHaveProperty(
        'redirect',
      );
    const refused = await feasibilityFormAction({ db, now, clientAddress: '203.0.113.7' }, post(fields));
    expect(refused).toMatchObject({
      status: 429,
      errors: {},
      formError: expect.stringContaining('varias solicitudes'),
    });
    expect(await feasibilityFormAction({ db, now, clientAddress: '203.0.113.8' }, post(fields))).toHaveProperty(
      'redirect',
    );
  });

  it('a body that is not a form answers 400, and a busy database 503, both with a message and nothing stored', async () => {
    const db = freshDb();
    const broken = new Request('http://status.test/cobertura', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      body: 'no es multipart',
    });
    expect(await feasibilityFormAction({ db, now, clientAddress: '203.0.113.7' }, broken)).toMatchObject({
      status: 400,
      formError: expect.stringContaining('No pudimos leer el formulario'),
    });
    const other = new Database(db.$client.name);
    other.exec('BEGIN IMMEDIATE');
    db.$client.pragma('busy_timeout = 0');
    try {
      expect(await feasibilityFormAction({ db, now, clientAddress: '203.0.113.7' }, post(fields))).toMatchObject({
        status: 503,
        formError: expect.stringContaining('ocupada'),
      });
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(count(db, 'feasibility_requests')).toBe(0);
  });
});

describe('subscription preferences (/suscripcion/preferencias)', () => {
  function confirmedSubscriber(db: ReturnType<typeof freshDb>, email: string): string {
    const ctx = { now, actor: { kind: 'user' as const, name: 'pruebas' } };
    requestSubscription(db, { email, ip: '203.0.113.7' }, ctx);
    const row = db.select().from(outboxMessages).where(eq(outboxMessages.recipient, email)).all().at(-1)!;
    const { confirmToken } = JSON.parse(row.payload) as Extract<EmailPayload, { template: 'confirm' }>;
    return confirmSubscription(db, confirmToken, ctx).manageToken;
  }

  it('a GET shows the subscriber; a valid link saves the chosen components and customer ID', async () => {
    const db = freshDb();
    const token = confirmedSubscriber(db, 'gerente@ferreteria.mx');
    const shown = await preferencesPage({ db, now }, token, null);
    expect(shown).toMatchObject({
      status: 200,
      saved: false,
      error: null,
      subscriber: { email: 'gerente@ferreteria.mx', allComponents: true },
    });
    const metepec = findComponent(db, 'metepec-fibra')!.id;
    const saved = await preferencesPage({ db, now }, token, post({ componentes: metepec, cliente: 'C-1029' }));
    expect(saved).toMatchObject({
      status: 200,
      saved: true,
      error: null,
      subscriber: { allComponents: false, componentIds: [metepec], customerId: 'C-1029' },
    });
    expect(listSubscribers(db, { email: 'gerente@ferreteria.mx' })[0]).toMatchObject({
      componentIds: [metepec],
      customerId: 'C-1029',
    });
  });

  it('nothing ticked asks, «Todas» means all of them; an unknown component is refused next to the chooser and changes nothing', async () => {
    const db = freshDb();
    const token = confirmedSubscriber(db, 'gerente@ferreteria.mx');
    const metepec = findComponent(db, 'metepec-fibra')!.id;
    expect(await preferencesPage({ db, now }, token, post({ componentes: metepec }))).toMatchObject({
      saved: true,
      subscriber: { allComponents: false },
    });
    const unknown = await preferencesPage({ db, now }, token, post({ componentes: 'no-existe' }));
    expect(unknown).toMatchObject({
      status: 422,
      saved: false,
      error: expect.any(String),
      componentError: expect.any(String),
    });
    expect(listSubscribers(db, { email: 'gerente@ferreteria.mx' })[0]).toMatchObject({
      allComponents: false,
      componentIds: [metepec],
    });
    expect(await preferencesPage({ db, now }, token, post({ cliente: '' }))).toMatchObject({
      status: 422,
      saved: false,
      componentError: NOTHING_CHOSEN,
      subscriber: { allComponents: false, componentIds: [metepec] },
    });
    expect(await preferencesPage({ db, now }, token, post({ cliente: '', todas: '1' }))).toMatchObject({
      status: 200,
      saved: true,
      subscriber: { allComponents: true, componentIds: [] },
    });
  });

  it('a broken or expired link answers 404 with no subscriber, and a POST with it changes nothing', async () => {
    const db = freshDb();
    confirmedSubscriber(db, 'gerente@ferreteria.mx');
    const bad = '999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    expect(await preferencesPage({ db, now }, bad, null)).toMatchObject({ status: 404, subscriber: null });
    expect(
      await preferencesPage({ db, now }, bad, post({ componentes: findComponent(db, 'metepec-fibra')!.id })),
    ).toMatchObject({ status: 404, subscriber: null, saved: false });
    expect(listSubscribers(db, { email: 'gerente@ferreteria.mx' })[0].allComponents).toBe(true);
  });
});

describe('email links (/suscripcion/confirmar, /suscripcion/baja)', () => {
  const ctx = { now, actor: { kind: 'user' as const, name: 'pruebas' } };
  function pending(db: ReturnType<typeof freshDb>, email: string) {
    requestSubscription(db, { email, ip: '203.0.113.7' }, ctx);
    const row = db.select().from(outboxMessages).where(eq(outboxMessages.recipient, email)).all().at(-1)!;
    return JSON.parse(row.payload) as Extract<EmailPayload, { template: 'confirm' }>;
  }
  function locked<T>(db: ReturnType<typeof freshDb>, run: () => T): T {
    const other = new Database(db.$client.name);
    other.exec('BEGIN IMMEDIATE');
    db.$client.pragma('busy_timeout = 0');
    try {
      return run();
    } finally {
      other.exec('ROLLBACK');
      other.close();
      db.$client.pragma('busy_timeout = 5000');
    }
  }

  it('opening the confirmation link confirms nothing; the button does, once; a busy database leaves the link working', async () => {
    const db = freshDb();
    const { confirmToken } = pending(db, 'gerente@ferreteria.mx');
    expect(confirmPage({ db, now }, confirmToken, false)).toMatchObject({ status: 200, valid: true, confirmed: null });
    expect(listSubscribers(db, { email: 'gerente@ferreteria.mx' })[0].confirmedAt).toBeNull();
    expect(locked(db, () => confirmPage({ db, now }, confirmToken, true))).toMatchObject({
      status: 503,
      valid: true,
      confirmed: null,
      unavailable: expect.stringContaining('ocupada'),
    });
    const done = confirmPage({ db, now }, confirmToken, true);
    expect(done).toMatchObject({
      status: 200,
      confirmed: { manageToken: expect.any(String) },
      subscriber: { email: 'gerente@ferreteria.mx' },
    });
    expect(listSubscribers(db, { email: 'gerente@ferreteria.mx' })[0].confirmedAt).not.toBeNull();
    expect(confirmPage({ db, now }, confirmToken, true)).toMatchObject({ status: 404, valid: false, confirmed: null });
    expect(confirmPage({ db, now }, 'x', false)).toMatchObject({ status: 404, valid: false });
  });

  it('the unsubscribe link asks first; the button removes; a busy database says so above the button and keeps the subscriber', async () => {
    const db = freshDb();
    const { manageToken } = pending(db, 'gerente@ferreteria.mx');
    expect(unsubscribePage({ db, now }, manageToken, false)).toMatchObject({
      status: 200,
      done: false,
      subscriber: { email: 'gerente@ferreteria.mx' },
      error: null,
    });
    expect(locked(db, () => unsubscribePage({ db, now }, manageToken, true))).toMatchObject({
      status: 503,
      done: false,
      subscriber: { email: 'gerente@ferreteria.mx' },
      error: expect.stringContaining('ocupada'),
    });
    expect(listSubscribers(db, { email: 'gerente@ferreteria.mx' })).toHaveLength(1);
    expect(unsubscribePage({ db, now }, manageToken, true)).toMatchObject({
      status: 200,
      done: true,
      subscriber: null,
    });
    expect(listSubscribers(db, { email: 'gerente@ferreteria.mx' })).toHaveLength(0);
    expect(unsubscribePage({ db, now }, manageToken, false)).toMatchObject({ done: false, subscriber: null });
  });
});
