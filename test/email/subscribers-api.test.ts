import { afterAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { testApp } from '../support/db.ts';
import { outboxMessages, subscribers, subscriberTokens } from '#db/schema/index.ts';
import { confirmSubscription, purgeExpiredSubscriptions } from '#db/commands/subscribers.ts';
import { onCommit } from '#db/commands/transaction.ts';
import { countConfirmedSubscribersFor, listSubscribers } from '#db/queries/index.ts';
import { findComponent } from '#db/commands/catalog.ts';
import type { EmailPayload } from '#db/subscriptions/payload.ts';
import { hashSecret, TOKEN_PATTERN } from '#db/subscriptions/tokens.ts';

const t = testApp();
const { db, json, clock } = t;
const publicPost = (body: unknown, ip = '203.0.113.1') =>
  t.app.request(
    '/api/v1/subscribers',
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
    { incoming: { socket: { remoteAddress: ip } } },
  );

function emailRows(recipient?: string) {
  return db
    .select()
    .from(outboxMessages)
    .where(eq(outboxMessages.channel, 'email'))
    .all()
    .filter((r) => recipient === undefined || r.recipient === recipient)
    .map((r) => ({ ...r, payload: JSON.parse(r.payload) as EmailPayload }));
}
const ctx = () => ({ now: clock.now(), actor: { kind: 'user' as const, name: 'prueba' } });

afterAll(() => db.$client.close());

describe('POST /api/v1/subscribers (public, double opt-in)', () => {
  it('accepts without a token, answers 202 and queues a confirmation email with hashed tokens', async () => {
    const res = await publicPost({
      email: ' NOC@Cliente-Uno.com.mx ',
      components: ['metepec-fibra'],
      customer_id: 'SOM-1234',
    });
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body.status).toBe('pending_confirmation');
    const rows = emailRows('noc@cliente-uno.com.mx');
    expect(rows).toHaveLength(1);
    expect(rows[0].kind).toBe('subscription.confirm');
    const payload = rows[0].payload as Extract<EmailPayload, { template: 'confirm' }>;
    expect(payload.confirmToken).toMatch(TOKEN_PATTERN);
    // Only the secret's hash is stored in the tokens table, never the secret itself.
    const [id, secret] = payload.confirmToken.split('.');
    const row = db
      .select()
      .from(subscriberTokens)
      .where(eq(subscriberTokens.id, Number(id)))
      .get()!;
    expect(row.secretHash).toBe(hashSecret(secret));
    expect(JSON.stringify(db.select().from(subscriberTokens).all())).not.toContain(secret);
    const [sub] = listSubscribers(db, { email: 'noc@cliente-uno.com.mx' });
    expect(sub.confirmedAt).toBeNull();
    expect(sub.customerId).toBe('SOM-1234');
    expect(sub.componentIds).toEqual([findComponent(db, 'metepec-fibra')!.id]);
  });

  it('gives the same answer for a confirmed address, without changing its choices', async () => {
    const first = emailRows('noc@cliente-uno.com.mx')[0].payload as Extract<EmailPayload, { template: 'confirm' }>;
    confirmSubscription(db, first.confirmToken, ctx());
    const res = await publicPost({ email: 'noc@cliente-uno.com.mx' }, '203.0.113.2');
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual(
      await (await publicPost({ email: 'otra.persona@cliente-dos.mx' }, '203.0.113.2')).json(),
    );
    const rows = emailRows('noc@cliente-uno.com.mx');
    expect(rows.map((r) => r.kind)).toEqual(['subscription.confirm', 'subscription.already_subscribed']);
    const [sub] = listSubscribers(db, { email: 'noc@cliente-uno.com.mx' });
    expect(sub.allComponents).toBe(false);
    expect(sub.confirmedAt).not.toBeNull();
  });

  it('refuses a bad address, unknown components and unknown fields with 422 and the field path', async () => {
    let res = await publicPost({ email: 'no-es-correo' }, '198.51.100.9');
    expect(res.status).toBe(422);
    expect((await res.json()).error.fields[0].path).toBe('email');
    res = await publicPost({ email: 'a@empresa.mx', components: ['metepec-fibra', 'no-existe'] }, '198.51.100.9');
    expect(res.status).toBe(422);
    expect((await res.json()).error).toMatchObject({ code: 'unknown_component', fields: [{ path: 'components.1' }] });
    res = await publicPost({ email: 'a@empresa.mx', admin: true }, '198.51.100.9');
    expect(res.status).toBe(422);
    res = await publicPost({ email: 'x@empresa.mx', customer_id: '<script>' }, '198.51.100.9');
    expect(res.status).toBe(422);
    expect(emailRows('a@empresa.mx')).toHaveLength(0);
  });

  it('limits attempts per address with a Spanish 429', async () => {
    for (let i = 0; i < 3; i++)
      expect((await publicPost({ email: 'limite@empresa.mx' }, `192.0.2.${i + 10}`)).status).toBe(202);
    const res = await publicPost({ email: 'limite@empresa.mx' }, '192.0.2.50');
    expect(res.status).toBe(429);
    expect((await res.json()).error.message).toMatch(/varios correos de confirmación/);
    expect(emailRows('limite@empresa.mx')).toHaveLength(3);
    clock.advance(61 * 60_000);
    expect((await publicPost({ email: 'limite@empresa.mx' }, '192.0.2.51')).status).toBe(202);
  });

  it('limits attempts per IP with a Spanish 429', async () => {
    for (let i = 0; i < 10; i++)
      expect((await publicPost({ email: `persona${i}@empresa.mx` }, '192.0.2.99')).status).toBe(202);
    const res = await publicPost({ email: 'persona-extra@empresa.mx' }, '192.0.2.99');
    expect(res.status).toBe(429);
    expect((await res.json()).error.message).toMatch(/desde su conexión/);
    expect((await publicPost({ email: 'persona-extra@empresa.mx' }, '192.0.2.100')).status).toBe(202);
  });

  it('behind the local proxy, limits per customer address (X-Forwarded-For), not per proxy', async () => {
    const viaProxy = (email: string, headers: Record<string, string>, peer = '127.0.0.1') =>
      t.app.request(
        '/api/v1/subscribers',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', host: 'status.example.test', ...headers },
          body: JSON.stringify({ email }),
        },
        { incoming: { socket: { remoteAddress: peer } } },
      );
    // Ten sign-ups from one customer behind nginx fill that customer's bucket only.
    for (let i = 0; i < 10; i++)
      expect((await viaProxy(`cliente-a${i}@empresa.mx`, { 'x-forwarded-for': '198.51.100.70' })).status).toBe(202);
    expect((await viaProxy('cliente-a10@empresa.mx', { 'x-forwarded-for': '198.51.100.70' })).status).toBe(429);
    // A forged first entry does not dodge it: the proxy appends the address it saw, and that one counts.
    expect((await viaProxy('cliente-a11@empresa.mx', { 'x-forwarded-for': '10.9.9.9, 198.51.100.70' })).status).toBe(
      429,
    );
    // Another customer through the same proxy is not affected.
    expect((await viaProxy('cliente-b@empresa.mx', { 'x-forwarded-for': '198.51.100.71' })).status).toBe(202);
    // Only a trusted proxy (loopback by default) is believed: from any other peer the header is
    // ignored and the socket address counts (all the requests below share the peer's bucket).
    for (let i = 0; i < 10; i++)
      expect(
        (await viaProxy(`directo${i}@empresa.mx`, { 'x-forwarded-for': `203.0.113.${100 + i}` }, '192.0.2.77')).status,
      ).toBe(202);
    expect((await viaProxy('directo10@empresa.mx', { 'x-forwarded-for': '203.0.113.120' }, '192.0.2.77')).status).toBe(
      429,
    );
    // Who sent the header decides, not the Host it asked for: a loopback proxy is believed for any host.
    expect(
      (
        await viaProxy(
          'otro-host@empresa.mx',
          { 'x-forwarded-for': '203.0.113.130', host: 'otro.example' },
          '127.0.0.2',
        )
      ).status,
    ).toBe(202);
    // A dual-stack socket reports the proxy as ::ffff:127.0.0.1: still loopback, still believed.
    for (let i = 0; i < 10; i++)
      expect(
        (await viaProxy(`mapeado${i}@empresa.mx`, { 'x-forwarded-for': '198.51.100.80' }, '::ffff:127.0.0.1')).status,
      ).toBe(202);
    expect(
      (await viaProxy('mapeado10@empresa.mx', { 'x-forwarded-for': '198.51.100.80' }, '::ffff:127.0.0.1')).status,
    ).toBe(429);
  });

  it('expires unconfirmed sign-ups after 48 hours; their link stops working', async () => {
    await publicPost({ email: 'olvidadizo@empresa.mx' }, '192.0.2.200');
    const payload = emailRows('olvidadizo@empresa.mx')[0].payload as Extract<EmailPayload, { template: 'confirm' }>;
    clock.advance(49 * 3_600_000);
    await publicPost({ email: 'otro-mas@empresa.mx' }, '192.0.2.201'); // any sign-up purges
    expect(listSubscribers(db, { email: 'olvidadizo@empresa.mx' })).toHaveLength(0);
    expect(() => confirmSubscription(db, payload.confirmToken, ctx())).toThrow(/no es válido o ya expiró/);
  });

  it('the periodic purge deletes expired sign-ups, and never drops the public page cache', async () => {
    await publicPost({ email: 'tardio@empresa.mx' }, '192.0.2.210');
    let commits = 0;
    const off = onCommit(db, () => commits++);
    expect(purgeExpiredSubscriptions(db, clock.now())).toEqual({ subscribers: 0 });
    expect(commits).toBe(0);
    clock.advance(49 * 3_600_000);
    expect(purgeExpiredSubscriptions(db, clock.now()).subscribers).toBeGreaterThanOrEqual(1);
    // Subscriptions are on no public page: the commit listeners (the page cache) are not told.
    expect(commits).toBe(0);
    expect(listSubscribers(db, { email: 'tardio@empresa.mx' })).toHaveLength(0);
    off();
  });
});

describe('NOC subscriber API', () => {
  it('asks for the bearer token', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/subscribers'],
      ['GET', '/api/v1/subscribers.csv'],
      ['DELETE', '/api/v1/subscribers/abc'],
      ['POST', '/api/v1/subscribers/import'],
    ]) {
      const res = await t.app.request(path, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'POST' ? '{}' : undefined,
      });
      expect(res.status, `${method} ${path}`).toBe(401);
    }
  });

  it('imports technical contacts in one transaction, all or nothing, reporting bad rows by index', async () => {
    let res = await json('POST', '/api/v1/subscribers/import', {
      confirmed: true,
      subscribers: [
        { email: 'bueno@cliente.mx', components: ['toluca-fibra'] },
        { email: 'malo@' },
        { email: 'tres@cliente.mx', components: ['inexistente'] },
        { email: 'BUENO@cliente.mx' },
      ],
    });
    expect(res.status).toBe(422);
    const { error } = await res.json();
    expect(error.fields.map((f: { path: string }) => f.path)).toEqual([
      'subscribers.1.email',
      'subscribers.2.components.0',
      'subscribers.3.email',
    ]);
    expect(listSubscribers(db, { email: 'bueno@cliente.mx' })).toHaveLength(0);

    res = await json('POST', '/api/v1/subscribers/import', {
      confirmed: false,
      subscribers: [{ email: 'x@cliente.mx' }],
    });
    expect(res.status).toBe(422);

    res = await json('POST', '/api/v1/subscribers/import', {
      confirmed: true,
      subscribers: [
        { email: 'bueno@cliente.mx', components: ['toluca-fibra'], customer_id: 'SOM-9' },
        { email: 'noc@cliente-uno.com.mx' },
      ],
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ created: 1, updated: 1 });
    const list = await (await json('GET', '/api/v1/subscribers?email=bueno@cliente.mx')).json();
    expect(list.subscribers).toHaveLength(1);
    expect(list.subscribers[0]).toMatchObject({
      email: 'bueno@cliente.mx',
      kind: 'technical_contact',
      customer_id: 'SOM-9',
      all_components: false,
      component_slugs: ['toluca-fibra'],
    });
    expect(list.subscribers[0].confirmed_at).not.toBeNull();
    // A known address becomes a technical contact with the imported choice (every component).
    const known = (await (await json('GET', '/api/v1/subscribers?email=noc@cliente-uno.com.mx')).json()).subscribers[0];
    expect(known).toMatchObject({ kind: 'technical_contact', all_components: true, components: [] });
  });

  it('refuses more than 10,000 rows', async () => {
    const many = Array.from({ length: 10_001 }, (_, i) => ({ email: `c${i}@x.mx` }));
    const res = await json('POST', '/api/v1/subscribers/import', { confirmed: true, subscribers: many });
    expect(res.status).toBe(422);
    expect(listSubscribers(db, { email: 'c0@x.mx' })).toHaveLength(0);
  });

  it('imports 10,000 rows in one call', async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ({
      email: `contacto${i}@empresa${i % 50}.mx`,
      components: [i % 2 ? 'lerma-fibra' : 'lerma-inalambrico'],
    }));
    const res = await json('POST', '/api/v1/subscribers/import', { confirmed: true, subscribers: many });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ created: 10_000, updated: 0 });
    expect(countConfirmedSubscribersFor(db, [findComponent(db, 'lerma-fibra')!.id])).toBe(
      5_000 + countConfirmedSubscribersFor(db, []),
    );
  });

  it('exports CSV with escaping and spreadsheet-formula protection', async () => {
    await json('POST', '/api/v1/subscribers/import', {
      confirmed: true,
      subscribers: [{ email: 'csv@cliente.mx', customer_id: '-SOM 1' }],
    });
    const res = await json('GET', '/api/v1/subscribers.csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await res.text();
    const lines = text.trim().split('\r\n');
    expect(lines[0]).toBe('id,email,kind,customer_id,confirmed_at,created_at,components,channel,address');
    expect(lines.find((l) => l.includes('csv@cliente.mx'))).toMatch(/,technical_contact,'-SOM 1,/);
    expect(lines.find((l) => l.includes('bueno@cliente.mx'))).toMatch(/,toluca-fibra,email,bueno@cliente.mx$/);
  });

  it('deletes by id (204), then 404', async () => {
    const [sub] = listSubscribers(db, { email: 'csv@cliente.mx' });
    expect((await json('DELETE', `/api/v1/subscribers/${sub.id}`)).status).toBe(204);
    expect(db.select().from(subscribers).where(eq(subscribers.id, sub.id)).get()).toBeUndefined();
    const res = await json('DELETE', `/api/v1/subscribers/${sub.id}`);
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('not_found');
  });
});

describe('one-click unsubscribe (RFC 8058)', () => {
  it('POST with List-Unsubscribe=One-Click removes the subscription without login; repeating is harmless', async () => {
    await publicPost({ email: 'baja@cliente.mx' }, '192.0.2.250');
    const payload = emailRows('baja@cliente.mx')[0].payload as Extract<EmailPayload, { template: 'confirm' }>;
    confirmSubscription(db, payload.confirmToken, ctx());
    const post = () =>
      t.app.request(`/api/v1/subscribers/unsubscribe?token=${payload.manageToken}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
    let res = await post();
    expect(res.status).toBe(200);
    expect((await res.json()).removed).toBe(true);
    expect(listSubscribers(db, { email: 'baja@cliente.mx' })).toHaveLength(0);
    res = await post();
    expect(res.status).toBe(200);
    expect((await res.json()).removed).toBe(false);
  });

  it('refuses a truncated token with 400', async () => {
    const res = await t.app.request('/api/v1/subscribers/unsubscribe?token=abc', {
      method: 'POST',
      body: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('invalid_token');
  });
});
