import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drainOutbox } from '#db/outbox/worker.ts';
import { webhookTransport } from '../../api/webhooks/transport.ts';
import { testApp } from '../support/db.ts';

// The page state in webhook payloads follows the same maintenance rule as v2's status.json.
let receiver: Server;
let receiverUrl = '';
const bodies: string[] = [];
beforeAll(async () => {
  // The receiver listens on loopback, which registration refuses unless allowed.
  process.env.WEBHOOK_ALLOW_PRIVATE_TARGETS = '1';
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200).end('ok');
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

describe('webhook page state during maintenance', () => {
  it('says "maintenance" like status.json while a window without auto_transition is open, and worse news wins', async () => {
    const t = testApp();
    const drain = () =>
      drainOutbox(
        t.db,
        webhookTransport(t.db, {
          publicUrl: 'https://status.example.test',
          now: t.clock.now,
          allowPrivateTargets: true,
          timeoutMs: 2_000,
        }),
        { now: t.clock.now },
      );
    expect((await t.json('POST', '/api/v1/webhooks', { url: `${receiverUrl}/hook` })).status).toBe(201);
    const window = await t.json('POST', '/api/v1/maintenances', {
      name: 'Reinicio de OLT',
      body: 'x',
      emergency: true,
      emergency_reason: 'Falla de memoria.',
      auto_transition: false,
      scheduled_for: '2026-11-26T18:00:00Z',
      scheduled_until: '2026-11-26T19:00:00Z',
      components: ['metepec'],
    });
    expect(window.status).toBe(201);
    expect(
      (
        await t.json('POST', '/api/v1/incidents', {
          name: 'Aviso',
          status: 'investigating',
          impact: 'none',
          body: 'Revisando un reporte.',
        })
      ).status,
    ).toBe(201);
    expect(await drain()).toBe(1);
    const status = (await (await t.app.request('/api/v2/status.json')).json()).status;
    expect(JSON.parse(bodies.at(-1)!).page).toEqual({
      id: 'somnet',
      status_indicator: status.indicator,
      status_description: status.description,
    });
    expect(status.indicator).toBe('maintenance');

    expect(
      (
        await t.json('POST', '/api/v1/incidents', {
          name: 'Lentitud',
          status: 'investigating',
          body: 'x',
          components: { 'lerma-fibra': 'degraded_performance' },
        })
      ).status,
    ).toBe(201);
    expect(await drain()).toBe(2);
    for (const body of bodies.slice(-2))
      expect(JSON.parse(body).page).toEqual({
        id: 'somnet',
        status_indicator: 'minor',
        status_description: 'Rendimiento degradado en parte de la red',
      });
  });
});
