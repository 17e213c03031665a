import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordWebhookAttempt } from '#db/commands/webhooks.ts';
import { startTestServer } from '../support/server.ts';
import { testClock } from '../support/db.ts';
import { addUser, ConsoleClient } from '../console/support.ts';

// A webhook receiver that stopped answering must not go unnoticed: an endpoint disabled after repeated failure is shown to the NOC, in the console too.
const clock = testClock('2026-11-26T18:00:00Z');
let server: Awaited<ReturnType<typeof startTestServer>>;
let guardia: ConsoleClient;

beforeAll(async () => {
  server = await startTestServer({ now: clock.now, publicUrl: 'http://127.0.0.1' });
  addUser(server.db, 'guardia@somnet.com.mx', 'noc', 'clave-de-la-guardia', { mustChange: false });
  guardia = new ConsoleClient(server.url);
  await guardia.login('guardia@somnet.com.mx', 'clave-de-la-guardia');
});
afterAll(async () => {
  await server?.close();
});

describe('NOC dashboard and webhook health', () => {
  it('lists a disabled endpoint with its reason and how to re-enable it, and drops it once re-enabled', async () => {
    const res = await server.api('POST', '/api/v1/webhooks', {
      url: 'https://intranet.ejemplo.mx/somnet',
      description: 'Acme',
    });
    expect(res.status).toBe(201);
    const hook = await res.json();
    const dashboard = async () => (await guardia.get('/noc')).text();
    expect(await dashboard()).not.toContain('Webhooks desactivados');

    // The delivery bookkeeping the webhook worker runs after each failed attempt.
    recordWebhookAttempt(server.db, hook.id, { ok: false, error: 'El receptor respondió HTTP 500.' }, clock.now(), {
      maxConsecutiveFailures: 1,
      minFailingMs: 0,
    });
    const html = await dashboard();
    expect(html).toContain('Webhooks desactivados (1)');
    const item = html.slice(html.indexOf(`data-webhook="${hook.id}"`));
    expect(item).toContain('<code>https://intranet.ejemplo.mx/somnet</code> (Acme)');
    expect(item).toContain('1 intentos fallidos seguidos; último error: El receptor respondió HTTP 500.');
    expect(item).toContain(`POST /api/v1/webhooks/${hook.id}/enable`);

    expect((await server.api('POST', `/api/v1/webhooks/${hook.id}/enable`)).status).toBe(200);
    expect(await dashboard()).not.toContain('Webhooks desactivados');
  });
});
