import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.ts';
import { startAlertmanager, statusOnPage, waitUntil, type RunningAlertmanager } from '../support/alertmanager.ts';
import { clockWorker } from '../../api/workers/clock.ts';
import { alertDeliveries, alertDeliveryBodies } from '#db/schema/index.ts';
import { desc, eq } from 'drizzle-orm';

let server: Awaited<ReturnType<typeof startTestServer>>;
let am: RunningAlertmanager;

beforeAll(async () => {
  server = await startTestServer({ workers: [clockWorker()] });
  am = await startAlertmanager({ webhookUrl: `${server.url}/api/v1/alerts/alertmanager`, token: server.token });
});
afterAll(async () => {
  await am?.stop();
  await server?.close();
});

const page = async () => (await fetch(`${server.url}/`)).text();
const v2Status = async (slug: string) => {
  const doc = await (await fetch(`${server.url}/api/v2/components.json`)).json();
  return doc.components.find((c: { somnet?: { slug: string } }) => c.somnet?.slug === slug)?.status;
};

describe('Debian prometheus-alertmanager 0.25 → SOMNET', () => {
  it('an alert pushed into Alertmanager turns the component red on / and in v2, opens a draft; its resolution brings the component back', async () => {
    const labels = {
      alertname: 'OltPonSinLuz',
      component: 'metepec-fibra',
      severity: 'critical',
      instance: 'olt-metepec-1',
    };
    expect(statusOnPage(await page(), 'metepec', 'Fibra óptica')).toBe('operational');

    const pushedAt = Date.now();
    await am.push([{ labels, annotations: { summary: 'Sin luz en el puerto PON 3 de la OLT Metepec' } }]);
    await waitUntil(
      async () => statusOnPage(await page(), 'metepec', 'Fibra óptica') === 'major_outage',
      10_000,
      `Metepec · Fibra óptica en rojo en /\n${am.log()}`,
    );
    const visibleAt = Date.now();
    const delivery = server.db.select().from(alertDeliveries).orderBy(desc(alertDeliveries.id)).get()!;
    // Measured, not asserted (npm run bench:alerts measures it properly): the time from
    // Alertmanager's request reaching us to the page showing it, and from the push into Alertmanager.
    console.log(
      `Alertmanager → / : ${visibleAt - delivery.receivedAt.getTime()} ms tras recibir el webhook; ${visibleAt - pushedAt} ms desde el push a Alertmanager`,
    );
    expect(await v2Status('metepec-fibra')).toBe('major_outage');

    // Exactly the v4 payload, authenticated with http_config.authorization.credentials (Bearer).
    const stored = server.db
      .select()
      .from(alertDeliveryBodies)
      .where(eq(alertDeliveryBodies.deliveryId, delivery.id))
      .get()!;
    const body = JSON.parse(stored.body);
    expect(body).toMatchObject({ version: '4', receiver: 'somnet-estado', status: 'firing', truncatedAlerts: 0 });
    expect(body.alerts[0]).toMatchObject({
      status: 'firing',
      labels,
      endsAt: '0001-01-01T00:00:00Z',
      fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(delivery.tokenName).toMatch(/^tests-/);

    const list = await (await server.api('GET', '/api/v1/alerts')).json();
    expect(list.alerts).toEqual([
      expect.objectContaining({
        source: 'alertmanager',
        status: 'firing',
        fingerprint: body.alerts[0].fingerprint,
        components: [expect.objectContaining({ slug: 'metepec-fibra' })],
      }),
    ]);
    expect(list.drafts).toEqual([
      expect.objectContaining({
        state: 'open',
        name: 'Falla detectada en Metepec · Fibra óptica: pérdida de señal óptica',
        status: 'investigating',
        cause: null,
        components: { 'metepec-fibra': 'major_outage' },
      }),
    ]);
    expect(list.alerts[0].draft_incident_id).toBe(list.drafts[0].id);

    // Prometheus resolves an alert by sending it again with an end in the past.
    await am.push([
      {
        labels,
        annotations: { summary: 'Sin luz en el puerto PON 3 de la OLT Metepec' },
        endsAt: new Date().toISOString(),
      },
    ]);
    await waitUntil(
      async () => statusOnPage(await page(), 'metepec', 'Fibra óptica') === 'operational',
      10_000,
      `Metepec · Fibra óptica de vuelta en Operativo\n${am.log()}`,
    );
    expect(await v2Status('metepec-fibra')).toBe('operational');
    const after = await (await server.api('GET', '/api/v1/alerts')).json();
    expect(after.alerts).toEqual([expect.objectContaining({ status: 'resolved', ends_at: expect.any(String) })]);
    expect(after.drafts[0].state).toBe('open'); // a person decides what to publish
  });
});
