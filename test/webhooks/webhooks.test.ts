import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { drainOutbox } from '#db/outbox/worker.ts';
import { outboxMessages } from '#db/schema/index.ts';
import { webhookTransport } from '../../api/webhooks/transport.ts';
import { webhookWorker } from '../../api/workers/webhooks.ts';
import { testApp } from '../support/db.ts';

/** A subscriber's receiver: answers with the next scripted status (default 200). */
interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  path: string;
}
let receiver: Server;
let receiverUrl = '';
const received: Received[] = [];
let script: Array<number | 'hang'> = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), path: req.url ?? '' });
      const next = script.shift() ?? 200;
      if (next === 'hang') return; // never answers
      if (next === 429) return res.writeHead(429, { 'retry-after': '120' }).end('despacio');
      res.writeHead(next, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const address = receiver.address();
  receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise((r) => receiver.close(r));
});
beforeEach(() => {
  received.length = 0;
  script = [];
  process.env.WEBHOOK_ALLOW_PRIVATE_TARGETS = '1';
});

function verify(secret: string, r: Received): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(r.body).digest('hex')}`);
  const given = Buffer.from(String(r.headers['x-somnet-signature'] ?? ''));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function setup() {
  const t = testApp();
  const transport = (extra: Partial<Parameters<typeof webhookTransport>[1]> = {}) =>
    webhookTransport(t.db, {
      publicUrl: 'https://status.example.test',
      now: t.clock.now,
      allowPrivateTargets: true,
      timeoutMs: 2_000,
      ...extra,
    });
  const drain = (extra: Partial<Parameters<typeof webhookTransport>[1]> = {}) =>
    drainOutbox(t.db, transport(extra), { now: t.clock.now });
  const register = async (body: Record<string, unknown>) => {
    const res = await t.json('POST', '/api/v1/webhooks', body);
    return { res, data: await res.json() };
  };
  const rows = () => t.db.select().from(outboxMessages).where(eq(outboxMessages.channel, 'webhook')).all();
  return { ...t, drain, register, rows };
}

describe('NOC API', () => {
  const t = setup();

  it('registers an endpoint, returns the secret once, lists it without the secret', async () => {
    const { res, data } = await t.register({
      url: `${receiverUrl}/hook`,
      components: ['metepec'],
      description: 'Intranet de Acme',
    });
    expect(res.status).toBe(201);
    expect(data.secret).toMatch(/^whsec_/);
    expect(data.enabled).toBe(true);
    expect(data.components).toEqual([]);
    expect(data.groups).toHaveLength(1); // the group stands for its components, present and future
    const list = await (await t.json('GET', '/api/v1/webhooks')).json();
    expect(list.webhooks).toHaveLength(1);
    expect(list.webhooks[0].groups).toEqual(data.groups);
    expect(list.webhooks[0].secret).toBeUndefined();
    expect(JSON.stringify(list)).not.toContain(data.secret);
    expect(list.webhooks[0]).toMatchObject({
      id: data.id,
      url: `${receiverUrl}/hook`,
      enabled: true,
      consecutive_failures: 0,
      deliveries: { pending: 0, sent: 0, failed: 0 },
    });
  });

  it('refuses non-http(s) URLs, credentials, unknown components, short secrets, private targets', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ url: 'ftp://example.com/hook' }, 'url'],
      [{ url: 'file:///etc/passwd' }, 'url'],
      [{ url: 'no es url' }, 'url'],
      [{ url: 'https://user:pw@example.com/hook' }, 'url'],
      [{ url: 'https://example.com/hook', components: ['no-existe'] }, 'components.0'], // was 'components' before every list of references reported the bad entry's index
      [{ url: 'https://example.com/hook', secret: 'corto' }, 'secret'],
      [{ url: 'https://example.com/hook', extra: 1 }, ''],
    ];
    for (const [body, path] of cases) {
      const { res, data } = await t.register(body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      if (path) expect(data.error.fields.map((f: { path: string }) => f.path)).toContain(path);
    }
    process.env.WEBHOOK_ALLOW_PRIVATE_TARGETS = '0';
    for (const url of [
      'http://127.0.0.1:9/x',
      'http://localhost/x',
      'http://10.1.2.3/x',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/x',
      'http://[::ffff:192.168.0.1]/x',
    ]) {
      const { res, data } = await t.register({ url });
      expect(res.status, url).toBe(422);
      expect(data.error.fields[0].path).toBe('url');
    }
    expect((await t.register({ url: 'https://hooks.example.com/somnet' })).res.status).toBe(201);
  });

  it('401 without a token, 415 without JSON, 400 on malformed JSON, 404 for unknown ids', async () => {
    expect((await t.app.request('/api/v1/webhooks')).status).toBe(401);
    expect((await t.json('POST', '/api/v1/webhooks', { url: 'https://example.com' }, {})).status).toBe(401);
    expect(
      (
        await t.app.request('/api/v1/webhooks', {
          method: 'POST',
          headers: { ...t.auth, 'content-type': 'text/plain' },
          body: 'x',
        })
      ).status,
    ).toBe(415);
    expect((await t.json('POST', '/api/v1/webhooks', '{no')).status).toBe(400);
    expect((await t.json('GET', '/api/v1/webhooks/nada')).status).toBe(404);
    expect((await t.json('DELETE', '/api/v1/webhooks/nada')).status).toBe(404);
    expect((await t.json('POST', '/api/v1/webhooks/nada/enable')).status).toBe(404);
    const big = await t.json('POST', '/api/v1/webhooks', {
      url: 'https://example.com',
      description: 'x'.repeat(70_000),
    });
    expect(big.status).toBe(413);
    expect((await big.json()).error.code).toBe('payload_too_large');
  });
});

describe('delivery', () => {
  it('POSTs signed Statuspage payloads for incidents and component changes, filtered by component', async () => {
    const t = setup();
    const all = (await t.register({ url: `${receiverUrl}/all` })).data;
    const metepec = (await t.register({ url: `${receiverUrl}/metepec`, components: ['metepec-fibra'] })).data;
    await t.register({ url: `${receiverUrl}/lerma`, components: ['lerma'] });
    const created = await t.json('POST', '/api/v1/incidents', {
      name: 'Corte de fibra en Metepec',
      status: 'identified',
      impact: 'critical',
      body: 'Cuadrilla en camino.',
      cause: 'Obra civil',
      components: { 'metepec-fibra': 'major_outage' },
    });
    const incident = await created.json();
    expect(t.rows()).toHaveLength(4); // (incident + component change) × 2 endpoints; Lerma's follows nothing affected
    expect(await t.drain()).toBe(4);
    expect(received.map((r) => r.path).sort()).toEqual(['/all', '/all', '/metepec', '/metepec']);
    for (const r of received) {
      expect(verify(r.path === '/all' ? all.secret : metepec.secret, r)).toBe(true);
      expect(verify('otro-secreto-cualquiera', r)).toBe(false);
      expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    }
    const incidentHook = received.find((r) => r.path === '/all' && r.headers['x-somnet-event'] === 'incident.created')!;
    const payload = JSON.parse(incidentHook.body);
    expect(payload.page).toEqual({
      id: 'somnet',
      status_indicator: 'critical',
      status_description: 'Sin servicio en parte de la red',
    });
    expect(payload.meta.generated_at).toBe('2026-11-26T18:00:00.000Z');
    expect(payload.incident).toMatchObject({
      id: incident.id,
      name: 'Corte de fibra en Metepec',
      status: 'identified',
      impact: 'critical',
    });
    expect(payload.incident.incident_updates).toHaveLength(1);
    const componentHook = JSON.parse(
      received.find((r) => r.headers['x-somnet-event'] === 'component.status_changed')!.body,
    );
    expect(componentHook.component_update).toMatchObject({
      old_status: 'operational',
      new_status: 'major_outage',
      created_at: '2026-11-26T18:00:00.000Z',
    });
    expect(componentHook.component).toMatchObject({ name: 'Fibra óptica', status: 'major_outage' });
    // A component added to Lerma later is followed by the endpoint registered for the group.
    await t.json('POST', '/api/v1/components', { name: 'Fibra nueva', slug: 'lerma-fibra-2', group: 'lerma' });
    await t.json('POST', '/api/v1/incidents', {
      name: 'Lerma',
      status: 'investigating',
      body: 'x',
      components: { 'lerma-fibra-2': 'partial_outage' },
    });
    expect(
      t
        .rows()
        .filter((r) => r.status === 'pending')
        .map((r) => r.kind)
        .sort(),
    ).toEqual(['component.status_changed', 'component.status_changed', 'incident.created', 'incident.created']); // /all and /lerma
    const state = await (await t.json('GET', `/api/v1/webhooks/${all.id}`)).json();
    expect(state).toMatchObject({
      deliveries: { sent: 2, pending: 2, failed: 0 },
      last_success_at: '2026-11-26T18:00:00.000Z',
    });
  });

  it('renders the incident as of its update even when delivered after later updates; honours deliver_notifications', async () => {
    const t = setup();
    await t.register({ url: `${receiverUrl}/all` });
    const incident = await (
      await t.json('POST', '/api/v1/incidents', { name: 'Lentitud', status: 'investigating', body: 'Revisando.' })
    ).json();
    t.clock.advance(60_000);
    await t.json('POST', `/api/v1/incidents/${incident.id}/updates`, { status: 'resolved', body: 'Listo.' });
    await t.json('POST', `/api/v1/incidents/${incident.id}/updates`, {
      status: 'resolved',
      body: 'Nota interna.',
      deliver_notifications: false,
    });
    expect(await t.drain()).toBe(2);
    const bodies = received.map((r) => [r.headers['x-somnet-event'], JSON.parse(r.body).incident]);
    expect(bodies.map(([e]) => e)).toEqual(['incident.created', 'incident.resolved']);
    expect(bodies[0][1]).toMatchObject({ status: 'investigating', resolved_at: null });
    expect(bodies[0][1].incident_updates).toHaveLength(1);
    expect(bodies[1][1]).toMatchObject({ status: 'resolved', resolved_at: '2026-11-26T18:01:00.000Z' });
    expect(bodies[1][1].incident_updates).toHaveLength(2);
  });

  it('retries with backoff after a 5xx and a timeout, under the same delivery id, then delivers', async () => {
    const t = setup();
    const hook = (await t.register({ url: `${receiverUrl}/flaky` })).data;
    await t.json('POST', '/api/v1/incidents', { name: 'Prueba', status: 'investigating', body: 'x' });
    script = [503, 'hang'];
    expect(await t.drain({ timeoutMs: 300 })).toBe(1);
    let [row] = t.rows();
    expect(row).toMatchObject({ status: 'pending', attempts: 1, lastError: 'El receptor respondió HTTP 503.' });
    expect(row.nextAttemptAt.getTime() - t.clock.now().getTime()).toBe(10_000);
    expect(await t.drain({ timeoutMs: 300 })).toBe(0); // not due yet
    t.clock.advance(10_000);
    expect(await t.drain({ timeoutMs: 300 })).toBe(1);
    [row] = t.rows();
    expect(row).toMatchObject({ status: 'pending', attempts: 2 });
    expect(row.lastError).toMatch(/Sin respuesta/);
    expect(row.nextAttemptAt.getTime() - t.clock.now().getTime()).toBe(20_000);
    t.clock.advance(20_000);
    expect(await t.drain({ timeoutMs: 300 })).toBe(1);
    [row] = t.rows();
    expect(row).toMatchObject({ status: 'sent', attempts: 3 });
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => r.headers['x-somnet-delivery'])).size).toBe(1);
    expect(received.every((r) => verify(hook.secret, r))).toBe(true);
    const state = await (await t.json('GET', `/api/v1/webhooks/${hook.id}`)).json();
    expect(state).toMatchObject({
      enabled: true,
      consecutive_failures: 0,
      deliveries: { sent: 1, pending: 0, failed: 0 },
    });
  });

  it('waits as long as a 429 Retry-After asks', async () => {
    const t = setup();
    await t.register({ url: `${receiverUrl}/busy` });
    await t.json('POST', '/api/v1/incidents', { name: 'A', status: 'investigating', body: 'x' });
    script = [429];
    await t.drain();
    const [row] = t.rows();
    expect(row).toMatchObject({ status: 'pending', attempts: 1, lastError: 'El receptor respondió HTTP 429.' });
    expect(row.nextAttemptAt.getTime() - t.clock.now().getTime()).toBe(120_000);
  });

  it('does not retry a 4xx or a redirect', async () => {
    const t = setup();
    await t.register({ url: `${receiverUrl}/gone` });
    await t.json('POST', '/api/v1/incidents', { name: 'A', status: 'investigating', body: 'x' });
    await t.json('POST', '/api/v1/incidents', { name: 'B', status: 'investigating', body: 'x' });
    script = [410, 302];
    await t.drain();
    expect(t.rows().map((r) => [r.status, r.lastError])).toEqual([
      ['failed', 'El receptor respondió HTTP 410.'],
      ['failed', 'El receptor respondió HTTP 302.'],
    ]);
  });

  it('disables an endpoint after repeated failure, closes its queue, shows it to the NOC, and can re-enable it', async () => {
    const t = setup();
    const hook = (await t.register({ url: `${receiverUrl}/down` })).data;
    for (const name of ['A', 'B'])
      await t.json('POST', '/api/v1/incidents', { name, status: 'investigating', body: 'x' });
    script = Array(10).fill(500);
    const policy = { disablePolicy: { maxConsecutiveFailures: 3, minFailingMs: 30_000 } };
    await t.drain(policy); // A fails (1), B fails (2)
    t.clock.advance(10_000);
    await t.drain(policy); // A and B fail again: 4 in a row, but only 10 s of failing: forgiven for now
    expect((await (await t.json('GET', `/api/v1/webhooks/${hook.id}`)).json()).enabled).toBe(true);
    t.clock.advance(20_000);
    await t.drain(policy); // both fail again after 30 s of failing: the first answer disables it (5 in a row)
    const state = await (await t.json('GET', `/api/v1/webhooks/${hook.id}`)).json();
    expect(state).toMatchObject({
      enabled: false,
      disabled_at: '2026-11-26T18:00:30.000Z',
      consecutive_failures: 6,
      last_error: 'El receptor respondió HTTP 500.',
    });
    expect(state.disabled_reason).toContain('5 intentos fallidos');
    expect(state.deliveries).toEqual({ pending: 0, sent: 0, failed: 2 });
    const before = received.length;
    await t.json('POST', '/api/v1/incidents', { name: 'C', status: 'investigating', body: 'x' });
    expect(t.rows()).toHaveLength(2); // a disabled endpoint gets nothing new
    t.clock.advance(3_600_000);
    await t.drain(policy);
    expect(received.length).toBe(before);
    expect(received).toHaveLength(6);
    const enabled = await (await t.json('POST', `/api/v1/webhooks/${hook.id}/enable`)).json();
    expect(enabled).toMatchObject({ enabled: true, consecutive_failures: 0, disabled_reason: null });
  });

  it('deleting an endpoint closes its pending deliveries', async () => {
    const t = setup();
    const hook = (await t.register({ url: `${receiverUrl}/bye` })).data;
    await t.json('POST', '/api/v1/incidents', { name: 'A', status: 'investigating', body: 'x' });
    expect((await t.json('DELETE', `/api/v1/webhooks/${hook.id}`)).status).toBe(204);
    expect(t.rows().map((r) => [r.status, r.lastError])).toEqual([['failed', 'El webhook fue eliminado.']]);
    expect(await t.drain()).toBe(0);
    expect(received).toHaveLength(0);
  });

  it('refuses at delivery a name that resolves to a private address (SSRF, DNS rebinding)', async () => {
    const t = setup();
    const port = new URL(receiverUrl).port;
    await t.register({ url: `http://localhost:${port}/internal` }); // allowed while registering (env), refused at delivery
    await t.json('POST', '/api/v1/incidents', { name: 'A', status: 'investigating', body: 'x' });
    await t.drain({ allowPrivateTargets: false });
    expect(received).toHaveLength(0);
    expect(t.rows().map((r) => [r.status, r.lastError])).toEqual([
      ['failed', 'La dirección de destino es privada o reservada; no se entrega.'],
    ]);
  });

  it('the background worker delivers on its own and stops cleanly', async () => {
    const t = setup();
    await t.register({ url: `${receiverUrl}/worker` });
    const stop = webhookWorker({ intervalMs: 20, transport: { allowPrivateTargets: true } }).start(t.deps);
    await t.json('POST', '/api/v1/incidents', { name: 'A', status: 'investigating', body: 'x' });
    const deadline = Date.now() + 5_000;
    while (t.rows()[0].status === 'pending' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await stop();
    expect(received.map((r) => r.path)).toEqual(['/worker']);
    expect(t.rows()[0].status).toBe('sent');
  });

  it('stopping the worker cuts a hanging delivery short, keeps it queued and does not blame the receiver', async () => {
    const t = setup();
    const hook = (await t.register({ url: `${receiverUrl}/slow` })).data;
    script = ['hang'];
    const stop = webhookWorker({ intervalMs: 20, transport: { allowPrivateTargets: true } }).start(t.deps);
    await t.json('POST', '/api/v1/incidents', { name: 'A', status: 'investigating', body: 'x' });
    const deadline = Date.now() + 5_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    await stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(t.rows()[0]).toMatchObject({ status: 'pending', lastError: 'Entrega interrumpida al detener el servidor.' });
    expect((await (await t.json('GET', `/api/v1/webhooks/${hook.id}`)).json()).consecutive_failures).toBe(0);
  });
});
