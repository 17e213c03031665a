// Drafts an alert opens state what monitoring saw, nothing more — a guessed cause one click from
// every subscriber's inbox is the worst thing a status page can publish — through the real API on
// a real database; and `receive`, the intake's transaction, driven directly.
import { beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { testApp } from '../support/db.ts';
import { receive } from '#db/commands/alerts/receive.ts';
import type { IncomingAlert } from '#db/commands/alerts/index.ts';
import { findComponent } from '#db/commands/catalog.ts';
import { incidentTemplate } from '#db/domain/incidentTemplates.ts';
import { openDrafts } from '#db/queries/index.ts';
import { alertDeliveries, alerts, auditLog } from '#db/schema/index.ts';
import { alertmanagerPayload } from './payloads.ts';

type T = ReturnType<typeof testApp>;
let t: T;
beforeEach(() => {
  t = testApp();
});

async function post(path: string, body: unknown) {
  const res = await t.json('POST', path, body);
  expect(res.status).toBe(200);
  return res.json();
}

/** The words that once made a warning a «Corte de fibra óptica… Identificado» with a cause. */
const packetLoss = {
  labels: { alertname: 'OltPacketLoss', component: 'san-mateo-atenco-fibra', severity: 'warning', job: 'olt' },
  annotations: {
    summary: 'Pérdida de paquetes de 8 % en la OLT OLT-SMA-01',
    description: 'PON 2: pérdida sostenida en la fibra hacia San Mateo Atenco.',
  },
};

describe('a draft opened by an alert', () => {
  it('from a hostile keyword warning: «Investigando», titled by where and what was measured, no cause, Media', async () => {
    await post('/api/v1/alerts/alertmanager', alertmanagerPayload([packetLoss]));
    const [draft] = openDrafts(t.db);
    expect(draft).toMatchObject({
      name: 'Falla detectada en San Mateo Atenco · Fibra óptica: pérdida de paquetes',
      status: 'investigating',
      cause: null,
      templateId: null,
      // «Baja velocidad» is a degradation of the service: Media (manual 1.3), not Baja.
      impact: 'major',
      body: 'Pérdida de paquetes de 8 % en la OLT OLT-SMA-01',
    });
    expect(draft.components.map((c) => c.status)).toEqual(['degraded_performance']);
    expect(draft.name).not.toContain('Corte');
    // The API says the same.
    const list = await (await t.json('GET', '/api/v1/alerts')).json();
    expect(list.drafts[0]).toMatchObject({ status: 'investigating', cause: null, template: null, impact: 'major' });
  });

  it('with a template its alert rule names: the template’s title, status and cause', async () => {
    const put = await t.json('PUT', '/api/v1/alert-rules', {
      rules: [{ name: 'OLT', match: { job: 'olt' }, template: 'corte-fibra' }],
    });
    expect(put.status).toBe(200);
    await post('/api/v1/alerts/alertmanager', alertmanagerPayload([packetLoss]));
    const corte = incidentTemplate('corte-fibra')!;
    expect(openDrafts(t.db)[0]).toMatchObject({
      name: 'Corte de fibra óptica en San Mateo Atenco · Fibra óptica',
      status: corte.status,
      cause: corte.cause,
      templateId: 'corte-fibra',
      // The criticality still follows what the components show.
      impact: 'major',
    });
  });

  it('with a template its status_page_template annotation names', async () => {
    await post(
      '/api/v1/alerts/alertmanager',
      alertmanagerPayload([
        {
          labels: { alertname: 'NodoSinEnergia', component: 'lerma-fibra', severity: 'critical' },
          annotations: { summary: 'Nodo Lerma en baterías', status_page_template: 'falla-electrica' },
        },
      ]),
    );
    const electrica = incidentTemplate('falla-electrica')!;
    expect(openDrafts(t.db)[0]).toMatchObject({
      name: 'Falla eléctrica en nodo en Lerma · Fibra óptica',
      status: electrica.status,
      cause: electrica.cause,
      templateId: 'falla-electrica',
      impact: 'critical',
    });
  });

  it('a later alert joining the draft: the title names both measurements, still no cause', async () => {
    await post('/api/v1/alerts/alertmanager', alertmanagerPayload([packetLoss]));
    t.clock.advance(60_000);
    await post(
      '/api/v1/alerts/alertmanager',
      alertmanagerPayload([
        {
          labels: { alertname: 'RadioLatencia', component: 'san-mateo-atenco-inalambrico', severity: 'major' },
          annotations: { summary: 'Latencia de 180 ms en el radio de San Mateo' },
        },
      ]),
    );
    const drafts = openDrafts(t.db);
    expect(drafts).toHaveLength(1);
    expect(drafts[0]).toMatchObject({
      name: 'Falla detectada en San Mateo Atenco: pérdida de paquetes y latencia alta',
      status: 'investigating',
      cause: null,
      impact: 'major',
    });
  });
});

describe('receive (the intake transaction)', () => {
  const incoming = (over: Partial<IncomingAlert> = {}): IncomingAlert => ({
    fingerprint: 'f-1',
    status: 'firing',
    labels: { alertname: 'NodoCaido', severity: 'critical' },
    annotations: { summary: 'Nodo Metepec sin respuesta' },
    startsAt: new Date('2026-11-26T17:50:00Z'),
    endsAt: null,
    url: null,
    severity: 'critical',
    summary: 'Nodo Metepec sin respuesta',
    description: null,
    refs: ['metepec-fibra'],
    ...over,
  });
  const delivery = (alerts: IncomingAlert[], rawBody = JSON.stringify(alerts)) => ({
    format: 'generic' as const,
    source: 'script',
    receiver: null,
    rawBody,
    alerts,
  });

  it('applies each alert as its transition says, records the delivery and its outcome, audits as the sender', () => {
    const now = t.clock.now();
    const first = receive(t.db, delivery([incoming(), incoming({ fingerprint: 'f-2', refs: ['atlantida'] })]), {
      now,
      tokenName: 'pruebas',
    });
    expect(first.duplicate).toBe(false);
    expect(first.alerts.map((a) => [a.fingerprint, a.change, a.effect])).toEqual([
      ['f-1', 'fired', 'automatic'],
      ['f-2', 'fired', 'unmatched'],
    ]);
    expect(findComponent(t.db, 'metepec-fibra')!.status).toBe('major_outage');
    expect(first.alerts[0].draftId).toBe(openDrafts(t.db)[0].id);
    expect(openDrafts(t.db)[0].name).toBe('Falla detectada en Metepec · Fibra óptica: sin respuesta');
    const row = t.db.select().from(alertDeliveries).where(eq(alertDeliveries.id, first.deliveryId)).get()!;
    expect(row).toMatchObject({ sender: 'script', tokenName: 'pruebas', alertCount: 2 });
    expect(JSON.parse(row.outcome)).toEqual({ fired: 2 });
    expect(
      t.db
        .select()
        .from(auditLog)
        .where(eq(auditLog.action, 'alert.fire'))
        .all()
        .map((a) => [a.actorKind, a.actorName]),
    ).toEqual([
      ['alert', 'script'],
      ['alert', 'script'],
    ]);

    // The same body again: a duplicate delivery, each alert resent, nothing written for them.
    t.clock.advance(60_000);
    const again = receive(t.db, delivery([incoming(), incoming({ fingerprint: 'f-2', refs: ['atlantida'] })]), {
      now: t.clock.now(),
    });
    expect(again).toMatchObject({ deliveryId: first.deliveryId, duplicate: true });
    expect(again.alerts.map((a) => a.change)).toEqual(['resent', 'resent']);

    // Two notices for one alert in one payload: the last is what the sender means.
    t.clock.advance(60_000);
    const last = receive(
      t.db,
      delivery([incoming(), incoming({ status: 'resolved', endsAt: new Date('2026-11-26T18:01:00Z') })]),
      { now: t.clock.now() },
    );
    expect(last.alerts).toEqual([expect.objectContaining({ fingerprint: 'f-1', change: 'resolved' })]);
    expect(findComponent(t.db, 'metepec-fibra')!.status).toBe('operational');
    const episode = t.db.select().from(alerts).where(eq(alerts.fingerprint, 'f-1')).get()!;
    expect(episode).toMatchObject({ status: 'resolved', endsAt: new Date('2026-11-26T18:01:00Z') });
  });

  it('a refused change writes nothing: an exception inside rolls the whole delivery back', () => {
    const bad = incoming({ labels: { alertname: 'X', severity: 'critical' }, refs: ['metepec-fibra'] });
    // A label value that cannot be stored as JSON text makes the transaction throw midway.
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() =>
      receive(t.db, delivery([bad, incoming({ fingerprint: 'f-3', labels: circular as never })], 'x'), {
        now: t.clock.now(),
      }),
    ).toThrow();
    expect(t.db.select().from(alertDeliveries).all()).toEqual([]);
    expect(t.db.select().from(alerts).all()).toEqual([]);
    expect(findComponent(t.db, 'metepec-fibra')!.status).toBe('operational');
  });
});
