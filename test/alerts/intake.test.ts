import { beforeEach, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { testApp } from '../support/db.ts';
import { GROUP_SEEN_REFRESH_MS, settleAlerts } from '#db/commands/alerts/index.ts';
import { onCommit } from '#db/commands/transaction.ts';
import { discardDraft, publishDraft } from '#db/commands/incidentDrafts.ts';
import { createMaintenance, postMaintenanceUpdate } from '#db/commands/maintenances.ts';
import { findComponent } from '#db/commands/catalog.ts';
import { incidentAlertSummary, incidentFirstAlertStart, openDrafts } from '#db/queries/index.ts';
import {
  alertDeliveries,
  alertDeliveryBodies,
  alertGroups,
  alerts,
  auditLog,
  componentStatusEvents,
  incidentDrafts,
  incidents,
} from '#db/schema/index.ts';
import { alertmanagerPayload, grafanaPayload } from './payloads.ts';

type T = ReturnType<typeof testApp>;
let t: T;
beforeEach(() => {
  t = testApp();
});

/** Row counts of every table: a refused payload must leave them all unchanged. */
function counts(db: T['db']): Record<string, number> {
  const tables = db.all<{ name: string }>(
    sql`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%'`,
  );
  return Object.fromEntries(
    tables.map(({ name }) => [name, db.get<{ n: number }>(sql.raw(`SELECT count(*) AS n FROM "${name}"`))!.n]),
  );
}

const status = (slug: string) => findComponent(t.db, slug)!.status;
const nocCtx = () => ({ now: t.clock.now(), actor: { kind: 'user' as const, name: 'guardia@somnet.com.mx' } });

const oltDown = {
  labels: { alertname: 'OltPonSinLuz', component: 'metepec-fibra', severity: 'critical', instance: 'olt-metepec-1' },
  annotations: {
    summary: 'Sin luz en el puerto PON 3 de la OLT Metepec',
    description: 'Potencia óptica < -28 dBm en 64 ONU.',
  },
};

async function post(path: string, body: unknown) {
  const res = await t.json('POST', path, body);
  return { res, body: await res.json() };
}

async function v2Status(slug: string): Promise<string> {
  const doc = await (await t.app.request('/api/v2/components.json')).json();
  const id = findComponent(t.db, slug)!.id;
  return doc.components.find((c: { id: string }) => c.id === id).status;
}

describe('POST /api/v1/alerts/alertmanager', () => {
  it('turns the component red in the same transaction, as a status event caused by the alert, and opens a draft', async () => {
    const { res, body } = await post('/api/v1/alerts/alertmanager', alertmanagerPayload([oltDown]));
    expect(res.status).toBe(200);
    expect(body.alerts).toEqual([
      expect.objectContaining({
        status: 'firing',
        change: 'fired',
        effect: 'automatic',
        components: ['metepec-fibra'],
      }),
    ]);
    expect(status('metepec-fibra')).toBe('major_outage');
    expect(await v2Status('metepec-fibra')).toBe('major_outage');
    const [event] = t.db.select().from(componentStatusEvents).where(eq(componentStatusEvents.causeKind, 'alert')).all();
    expect(event).toMatchObject({ status: 'major_outage', previousStatus: 'operational', causeId: body.alerts[0].id });

    const drafts = openDrafts(t.db);
    expect(drafts).toHaveLength(1);
    // What monitoring saw, nothing more: no template is named, so no cause and «Investigando».
    expect(drafts[0]).toMatchObject({
      name: 'Falla detectada en Metepec · Fibra óptica: pérdida de señal óptica',
      impact: 'critical',
      status: 'investigating',
      cause: null,
      body: 'Sin luz en el puerto PON 3 de la OLT Metepec',
      startedAt: new Date('2026-11-26T17:58:31.774Z'),
    });
    expect(drafts[0].components.map((c) => [c.component.slug, c.status])).toEqual([['metepec-fibra', 'major_outage']]);
    expect(body.alerts[0].draft_incident_id).toBe(drafts[0].id);

    // Audited as the monitoring system, with the raw body kept.
    const audit = t.db.select().from(auditLog).where(eq(auditLog.actorKind, 'alert')).all();
    expect(audit.map((a) => a.action).sort()).toEqual(['alert.fire', 'incident_draft.create']);
    expect(new Set(audit.map((a) => a.actorName))).toEqual(new Set(['alertmanager/somnet-estado']));
    const [delivery] = t.db.select().from(alertDeliveries).all();
    const [stored] = t.db.select().from(alertDeliveryBodies).all();
    expect(stored.deliveryId).toBe(delivery.id);
    expect(JSON.parse(stored.body)).toEqual(alertmanagerPayload([oltDown]));
    expect(delivery).toMatchObject({
      format: 'alertmanager',
      sender: 'alertmanager/somnet-estado',
      tokenName: 'tests',
      timesReceived: 1,
    });
  });

  it('is idempotent: the same group resent every group_interval changes nothing, however often', async () => {
    const payload = alertmanagerPayload([oltDown]);
    await post('/api/v1/alerts/alertmanager', payload);
    const before = counts(t.db);
    // Nothing public changes, so nothing is re-rendered or re-published (no commit listener runs).
    let commits = 0;
    const stop = onCommit(t.db, () => {
      commits++;
    });
    const rowsNow = () => ({
      alerts: t.db.select().from(alerts).all(),
      deliveries: t.db.select().from(alertDeliveries).all(),
      groups: t.db.select().from(alertGroups).all(),
    });
    const stored = rowsNow();
    // An unchanged resend is one comparison: it writes nothing at all (not even a receipt time)…
    for (let i = 0; i < 3; i++) {
      t.clock.advance(60_000);
      const { res, body } = await post('/api/v1/alerts/alertmanager', payload);
      expect(res.status).toBe(200);
      expect(body).toMatchObject({ duplicate: true, alerts: [expect.objectContaining({ change: 'resent' })] });
    }
    expect(rowsNow()).toEqual(stored);
    // …except, at most every 10 minutes, the time its alerts were last received (never stale).
    t.clock.advance(GROUP_SEEN_REFRESH_MS);
    await post('/api/v1/alerts/alertmanager', payload);
    expect(t.db.select().from(alerts).get()!.lastReceivedAt).toEqual(t.clock.now());
    expect(counts(t.db)).toEqual(before);
    expect(commits).toBe(0);
    stop();
    // A new alert joining the group: Alertmanager resends the first one with it.
    const withRadio = alertmanagerPayload([
      oltDown,
      {
        labels: { alertname: 'OltPonSinLuz', component: 'metepec-inalambrico', severity: 'major' },
        annotations: { summary: 'Radio Metepec sin enlace' },
      },
    ]);
    const { body } = await post('/api/v1/alerts/alertmanager', withRadio);
    expect(body.alerts.map((a: { change: string }) => a.change)).toEqual(['resent', 'fired']);
    expect(status('metepec-inalambrico')).toBe('partial_outage');
    // Same outage, same area, minutes later: the second alert joins the first draft.
    const drafts = openDrafts(t.db);
    expect(drafts).toHaveLength(1);
    expect(drafts[0].components.map((c) => [c.component.slug, c.status])).toEqual([
      ['metepec-fibra', 'major_outage'],
      ['metepec-inalambrico', 'partial_outage'],
    ]);
    expect(drafts[0].name).toBe('Falla detectada en Metepec: pérdida de señal óptica');
  });

  it('a resolved alert brings the component back to operational', async () => {
    await post('/api/v1/alerts/alertmanager', alertmanagerPayload([oltDown]));
    t.clock.advance(20 * 60_000);
    const { body } = await post(
      '/api/v1/alerts/alertmanager',
      alertmanagerPayload([{ ...oltDown, status: 'resolved' }]),
    );
    expect(body.alerts[0]).toMatchObject({ status: 'resolved', change: 'resolved' });
    expect(status('metepec-fibra')).toBe('operational');
    const events = t.db.select().from(componentStatusEvents).where(eq(componentStatusEvents.causeKind, 'alert')).all();
    expect(events.map((e) => e.status)).toEqual(['major_outage', 'operational']);
    // The draft is still waiting for a person: alerts never publish or close anything by themselves.
    expect(openDrafts(t.db)).toHaveLength(1);
    // A late resend of the old firing notice (same startsAt) is recognised and ignored.
    const { body: late } = await post('/api/v1/alerts/alertmanager', alertmanagerPayload([oltDown]));
    expect(late.alerts[0].change).toBe('ignored');
    expect(status('metepec-fibra')).toBe('operational');
  });

  it('the worst firing alert wins, and the component follows its alerts down', async () => {
    const warning = {
      labels: { alertname: 'LatenciaAlta', component: 'toluca-fibra', severity: 'warning' },
      annotations: { summary: 'Latencia alta en Toluca' },
    };
    const critical = {
      labels: { alertname: 'NodoCaido', component: 'toluca-fibra', severity: 'critical' },
      annotations: { summary: 'Nodo Toluca sin respuesta' },
    };
    await post('/api/v1/alerts/alertmanager', alertmanagerPayload([warning]));
    expect(status('toluca-fibra')).toBe('degraded_performance');
    await post('/api/v1/alerts/alertmanager', alertmanagerPayload([critical]));
    expect(status('toluca-fibra')).toBe('major_outage');
    await post('/api/v1/alerts/alertmanager', alertmanagerPayload([{ ...critical, status: 'resolved' }]));
    expect(status('toluca-fibra')).toBe('degraded_performance');
    await post('/api/v1/alerts/alertmanager', alertmanagerPayload([{ ...warning, status: 'resolved' }]));
    expect(status('toluca-fibra')).toBe('operational');
  });

  it('an annotation status_page_status names the status explicitly; an area label stands for its components', async () => {
    await post(
      '/api/v1/alerts/alertmanager',
      alertmanagerPayload([
        {
          labels: { alertname: 'EnlaceTroncal', component: 'lerma', severity: 'warning' },
          annotations: { summary: 'Enlace troncal Lerma con pérdidas', status_page_status: 'partial_outage' },
        },
      ]),
    );
    expect([status('lerma-fibra'), status('lerma-inalambrico')]).toEqual(['partial_outage', 'partial_outage']);
    const { body } = await post(
      '/api/v1/alerts/alertmanager',
      alertmanagerPayload([
        {
          labels: { alertname: 'Otro', component: 'zinacantepec-fibra', severity: 'warning' },
          annotations: { summary: 'x', status_page_status: 'todo mal' },
        },
      ]),
    );
    expect(body.alerts[0].note).toContain('status_page_status «todo mal» no es un estado de falla');
    expect(status('zinacantepec-fibra')).toBe('degraded_performance');
  });

  it('records an alert naming an unknown component as unmatched, shown to the NOC, and changes nothing public', async () => {
    const before = counts(t.db);
    const { res, body } = await post(
      '/api/v1/alerts/alertmanager',
      alertmanagerPayload([
        {
          labels: { alertname: 'X', component: 'atlantida-fibra', severity: 'critical' },
          annotations: { summary: 'Nodo Atlántida caído' },
        },
      ]),
    );
    expect(res.status).toBe(200);
    expect(body.alerts[0]).toMatchObject({ effect: 'unmatched', components: [], draft_incident_id: null });
    expect(body.alerts[0].note).toContain('«atlantida-fibra»');
    const after = counts(t.db);
    expect(after.alerts).toBe(before.alerts + 1);
    expect(after.component_status_events).toBe(before.component_status_events);
    expect(after.incident_drafts).toBe(before.incident_drafts);
    const list = await (await t.json('GET', '/api/v1/alerts?effect=unmatched')).json();
    expect(list.alerts).toEqual([
      expect.objectContaining({
        effect: 'unmatched',
        unmatched_refs: ['atlantida-fibra'],
        labels: expect.objectContaining({ component: 'atlantida-fibra' }),
      }),
    ]);
    // No component label at all, and a severity that means no status: recorded too.
    const { body: bare } = await post(
      '/api/v1/alerts/alertmanager',
      alertmanagerPayload([
        { labels: { alertname: 'Watchdog', severity: 'none' } },
        { labels: { alertname: 'Info', component: 'toluca-fibra', severity: 'info' } },
      ]),
    );
    expect(bare.alerts.map((a: { effect: string }) => a.effect)).toEqual(['unmatched', 'no_status']);
    expect(status('toluca-fibra')).toBe('operational');
  });

  it('refuses a malformed payload as a whole with the usual error shape, and writes nothing', async () => {
    const before = counts(t.db);
    const good = alertmanagerPayload([oltDown]);
    const refuse = async (
      body: unknown,
      statusCode: number,
      code: string,
      path?: string,
      headers?: Record<string, string>,
    ) => {
      const res = headers
        ? await t.app.request('/api/v1/alerts/alertmanager', {
            method: 'POST',
            headers,
            body: typeof body === 'string' ? body : JSON.stringify(body),
          })
        : await t.json('POST', '/api/v1/alerts/alertmanager', body);
      expect(res.status).toBe(statusCode);
      const error = (await res.json()).error;
      expect(error.code).toBe(code);
      if (path) expect(error.fields.map((f: { path: string }) => f.path)).toContain(path);
      return error;
    };
    expect((await refuse({ ...good, version: '3' }, 422, 'validation_failed', 'version')).fields[0].message).toContain(
      'versión 4',
    );
    await refuse(
      { ...good, alerts: [good.alerts[0], { ...good.alerts[0], fingerprint: undefined }] },
      422,
      'validation_failed',
      'alerts.1.fingerprint',
    );
    await refuse(
      { ...good, alerts: [{ ...good.alerts[0], startsAt: 'ayer' }] },
      422,
      'validation_failed',
      'alerts.0.startsAt',
    );
    await refuse(
      { ...good, alerts: [{ ...good.alerts[0], status: 'pending' }] },
      422,
      'validation_failed',
      'alerts.0.status',
    );
    await refuse({ ...good, alerts: [] }, 422, 'validation_failed', 'alerts');
    await refuse(grafanaPayload([oltDown]), 422, 'validation_failed', 'version');
    await refuse('{"receiver": ', 400, 'invalid_json');
    await refuse('', 400, 'empty_body');
    await refuse(good, 415, 'unsupported_media_type', undefined, { ...t.auth, 'content-type': 'text/plain' });
    await refuse(good, 401, 'unauthorized', undefined, { 'content-type': 'application/json' });
    await refuse(good, 401, 'unauthorized', undefined, {
      'content-type': 'application/json',
      authorization: 'Bearer snt_otro',
    });
    const huge = alertmanagerPayload(
      Array.from({ length: 2 }, (_, i) => ({
        labels: { alertname: 'X', n: String(i) },
        annotations: { description: 'x'.repeat(19_000) },
      })),
    );
    huge.alerts = Array.from({ length: 230 }, (_, i) => ({ ...huge.alerts[0], fingerprint: `f${i}` }));
    await refuse(huge, 413, 'payload_too_large');
    expect(counts(t.db)).toEqual(before);
  });
});

describe('POST /api/v1/alerts/grafana', () => {
  it('takes Grafana’s contact-point payload; an area label moves each of its components', async () => {
    const radio = {
      labels: {
        alertname: 'RadioEnlaceDegradado',
        component: 'san-mateo-atenco',
        severity: 'warning',
        grafana_folder: 'Radios',
      },
      annotations: { summary: 'Señal baja en los radios de San Mateo Atenco' },
    };
    const { res, body } = await post('/api/v1/alerts/grafana', grafanaPayload([radio], { receiver: 'noc-grafana' }));
    expect(res.status).toBe(200);
    expect(body.alerts[0]).toMatchObject({
      effect: 'automatic',
      components: ['san-mateo-atenco-fibra', 'san-mateo-atenco-inalambrico'],
    });
    expect(status('san-mateo-atenco-inalambrico')).toBe('degraded_performance');
    expect(t.db.select().from(auditLog).where(eq(auditLog.action, 'alert.fire')).get()!.actorName).toBe(
      'grafana/noc-grafana',
    );
    await post(
      '/api/v1/alerts/grafana',
      grafanaPayload([{ ...radio, status: 'resolved' }], { receiver: 'noc-grafana' }),
    );
    expect(status('san-mateo-atenco-inalambrico')).toBe('operational');
    // An Alertmanager body sent here is refused with a hint.
    const wrong = await t.json('POST', '/api/v1/alerts/grafana', alertmanagerPayload([radio]));
    expect(wrong.status).toBe(422);
    expect((await wrong.json()).error.fields[0]).toMatchObject({ path: 'orgId' });
  });
});

describe('POST /api/v1/alerts (generic: Zabbix, LibreNMS, scripts)', () => {
  const zabbix = {
    source: 'zabbix',
    id: '4817',
    status: 'firing',
    components: ['toluca-fibra', 'toluca-inalambrico'],
    severity: 'High',
    summary: 'Nodo Toluca Centro sin energía',
  };

  it('accepts the documented shape, keyed by source + id', async () => {
    const { res, body } = await post('/api/v1/alerts', zabbix);
    expect(res.status).toBe(200);
    expect(body.alerts[0]).toMatchObject({
      status: 'firing',
      effect: 'automatic',
      components: ['toluca-fibra', 'toluca-inalambrico'],
    });
    expect([status('toluca-fibra'), status('toluca-inalambrico')]).toEqual(['partial_outage', 'partial_outage']);
    expect(openDrafts(t.db)[0]).toMatchObject({
      name: 'Falla detectada en Toluca: sin energía',
      status: 'investigating',
      cause: null,
      templateId: null,
    });
    expect((await post('/api/v1/alerts', zabbix)).body.alerts[0].change).toBe('resent');
    const { body: resolved } = await post('/api/v1/alerts', {
      ...zabbix,
      status: 'resolved',
      ended_at: '2026-11-26T12:10:00-06:00',
    });
    expect(resolved.alerts[0]).toMatchObject({ change: 'resolved' });
    expect(status('toluca-fibra')).toBe('operational');
    const list = await (await t.json('GET', '/api/v1/alerts')).json();
    expect(list.alerts[0]).toMatchObject({
      source: 'zabbix',
      fingerprint: '4817',
      status: 'resolved',
      ends_at: '2026-11-26T18:10:00.000Z',
      starts_at: '2026-11-26T18:00:00.000Z',
    });
    expect(t.db.select().from(auditLog).where(eq(auditLog.action, 'alert.resolve')).get()!.actorName).toBe('zabbix');
  });

  it('refuses bad fields by their public names and writes nothing', async () => {
    const before = counts(t.db);
    const refused = async (body: unknown, path: string) => {
      const res = await t.json('POST', '/api/v1/alerts', body);
      expect(res.status).toBe(422);
      const { error } = await res.json();
      expect(error.fields.map((f: { path: string }) => f.path)).toContain(path);
    };
    await refused({ ...zabbix, component: 'toluca-fibra' }, 'component');
    await refused({ ...zabbix, status: 'problem' }, 'status');
    await refused({ ...zabbix, summary: ' ' }, 'summary');
    await refused({ ...zabbix, started_at: '2026-11-26 12:00' }, 'started_at');
    await refused({ ...zabbix, startedAt: '2026-11-26T12:00:00Z' }, 'startedAt');
    await refused({ ...zabbix, severidad: 'alta' }, 'severidad');
    const { severity: _, ...noSeverity } = zabbix;
    await refused(noSeverity, 'severity');
    expect(counts(t.db)).toEqual(before);
  });

  it('cannot use a dedicated endpoint’s source: a generic "alertmanager" alert resolves nothing of Alertmanager’s', async () => {
    const payload = alertmanagerPayload([oltDown]);
    const { body } = await post('/api/v1/alerts/alertmanager', payload);
    const fingerprint = body.alerts[0].fingerprint as string;
    expect(status('metepec-fibra')).toBe('major_outage');
    const before = counts(t.db);
    for (const source of ['alertmanager', 'grafana', 'quality', 'Alertmanager']) {
      const res = await t.json('POST', '/api/v1/alerts', {
        ...zabbix,
        source,
        id: fingerprint,
        status: 'resolved',
        components: ['metepec-fibra'],
      });
      expect(res.status, source).toBe(422);
      const { error } = await res.json();
      expect(error.fields).toEqual([{ path: 'source', message: expect.stringContaining(`«${source}»`) }]);
    }
    expect(counts(t.db)).toEqual(before);
    expect(status('metepec-fibra')).toBe('major_outage');
  });
});

describe('damping', () => {
  const flap = {
    source: 'librenms',
    id: '77',
    status: 'firing',
    component: 'zinacantepec-inalambrico',
    severity: 'critical',
    summary: 'Radio Zinacantepec sin enlace',
  };

  it('an alert that resolves and fires again within the hold-down shows "Intermitencia" instead of flipping, until it settles', async () => {
    await post('/api/v1/alerts', flap);
    expect(status('zinacantepec-inalambrico')).toBe('major_outage');
    t.clock.advance(60_000);
    await post('/api/v1/alerts', { ...flap, status: 'resolved' });
    expect(status('zinacantepec-inalambrico')).toBe('operational');
    t.clock.advance(2 * 60_000);
    const { body } = await post('/api/v1/alerts', flap);
    expect(body.alerts[0].change).toBe('refired');
    expect(status('zinacantepec-inalambrico')).toBe('partial_outage'); // "Intermitencia"
    t.clock.advance(60_000);
    await post('/api/v1/alerts', { ...flap, status: 'resolved' });
    expect(status('zinacantepec-inalambrico')).toBe('partial_outage'); // held, not flipped back
    t.clock.advance(2 * 60_000);
    await post('/api/v1/alerts', flap);
    expect(status('zinacantepec-inalambrico')).toBe('partial_outage');
    t.clock.advance(60_000);
    await post('/api/v1/alerts', { ...flap, status: 'resolved' });
    t.clock.advance(4 * 60_000);
    expect(settleAlerts(t.db, t.clock.now())).toBe(0); // not yet: 4 of 5 minutes
    expect(status('zinacantepec-inalambrico')).toBe('partial_outage');
    t.clock.advance(60_000);
    expect(settleAlerts(t.db, t.clock.now())).toBeGreaterThan(0);
    expect(status('zinacantepec-inalambrico')).toBe('operational');
    expect(settleAlerts(t.db, t.clock.now())).toBe(0);
    const [row] = t.db.select().from(alerts).all();
    expect(row).toMatchObject({ flapping: false, flapCount: 2, status: 'resolved' });
    // One alert row for the whole flapping episode, one draft.
    expect(t.db.select().from(incidentDrafts).all()).toHaveLength(1);
  });

  it('a flapping alert that then stays down for the hold-down shows its own status again', async () => {
    await post('/api/v1/alerts', flap);
    await post('/api/v1/alerts', { ...flap, status: 'resolved' });
    t.clock.advance(60_000);
    await post('/api/v1/alerts', flap);
    expect(status('zinacantepec-inalambrico')).toBe('partial_outage');
    t.clock.advance(5 * 60_000);
    settleAlerts(t.db, t.clock.now());
    expect(status('zinacantepec-inalambrico')).toBe('major_outage');
  });

  it('fires again after the hold-down: a new episode, no damping', async () => {
    await post('/api/v1/alerts', flap);
    await post('/api/v1/alerts', { ...flap, status: 'resolved' });
    t.clock.advance(6 * 60_000);
    const { body } = await post('/api/v1/alerts', flap);
    expect(body.alerts[0].change).toBe('fired');
    expect(status('zinacantepec-inalambrico')).toBe('major_outage');
    expect(t.db.select().from(alerts).all()).toHaveLength(2);
  });
});

describe('maintenance', () => {
  it('alerts inside a window in progress are recorded and shown, change nothing public, and take effect if still firing when it ends', async () => {
    const { maintenance } = createMaintenance(
      t.db,
      {
        name: 'Cambio de tarjetas en el nodo Metepec',
        body: 'Cortes breves.',
        components: ['metepec'],
        scheduledFor: t.clock.now(),
        scheduledUntil: new Date(t.clock.now().getTime() + 2 * 3_600_000),
        emergency: true,
        emergencyReason: 'Tarjeta dañada.',
      },
      nocCtx(),
    );
    expect(status('metepec-fibra')).toBe('under_maintenance');
    const { body } = await post('/api/v1/alerts/alertmanager', alertmanagerPayload([oltDown]));
    expect(body.alerts[0]).toMatchObject({ effect: 'suppressed', draft_incident_id: null });
    expect(body.alerts[0].note).toContain('Cambio de tarjetas en el nodo Metepec');
    expect(status('metepec-fibra')).toBe('under_maintenance');
    expect(openDrafts(t.db)).toHaveLength(0);
    expect(settleAlerts(t.db, t.clock.now())).toBe(0);

    t.clock.advance(30 * 60_000);
    postMaintenanceUpdate(t.db, maintenance.id, { status: 'completed', body: 'Trabajo terminado.' }, nocCtx());
    expect(status('metepec-fibra')).toBe('operational');
    expect(settleAlerts(t.db, t.clock.now())).toBeGreaterThan(0);
    expect(status('metepec-fibra')).toBe('major_outage');
    expect(openDrafts(t.db)).toHaveLength(1);
    const list = await (await t.json('GET', '/api/v1/alerts')).json();
    expect(list.alerts[0]).toMatchObject({ effect: 'automatic', draft_incident_id: openDrafts(t.db)[0].id });
  });
});

describe('rules (GET|PUT /api/v1/alert-rules)', () => {
  it('match labels to components, say what each severity means and whether status changes or is only proposed', async () => {
    const empty = await (await t.json('GET', '/api/v1/alert-rules')).json();
    expect(empty).toMatchObject({
      default: {
        mode: 'automatic',
        hold_down_minutes: 5,
        severities: { critical: 'major_outage', high: 'partial_outage', warning: 'degraded_performance' },
      },
      rules: [],
    });
    const put = await t.json('PUT', '/api/v1/alert-rules', {
      default: { mode: 'propose', hold_down_minutes: 10 },
      rules: [
        {
          name: 'OLT Metepec',
          match: { job: 'olt' },
          match_re: { instance: 'olt-metepec-\\d+' },
          components: ['metepec-fibra'],
          mode: 'automatic',
          template: 'corte-fibra',
        },
        {
          name: 'Radios de Lerma',
          match: { site: 'lerma' },
          components: ['lerma'],
          severities: { warning: 'partial_outage' },
        },
      ],
    });
    expect(put.status).toBe(200);
    const saved = await put.json();
    expect(saved.rules[1]).toMatchObject({
      name: 'Radios de Lerma',
      components: ['lerma'],
      severities: { warning: 'partial_outage' },
    });
    expect(saved.updated_by).toBe('tests');

    // Rule 1: automatic, by regex on instance; the label component is not needed.
    await post(
      '/api/v1/alerts/alertmanager',
      alertmanagerPayload([
        { labels: { alertname: 'PonDown', job: 'olt', instance: 'olt-metepec-2', severity: 'critical' } },
      ]),
    );
    expect(status('metepec-fibra')).toBe('major_outage');
    // Rule 2 leaves the mode to the default (propose): the status is proposed in the draft only.
    const { body } = await post(
      '/api/v1/alerts/alertmanager',
      alertmanagerPayload([
        {
          labels: { alertname: 'RadioLento', site: 'lerma', severity: 'warning' },
          annotations: { summary: 'Radios Lerma con pérdida' },
        },
      ]),
    );
    expect(body.alerts[0]).toMatchObject({ effect: 'proposed', components: ['lerma-fibra', 'lerma-inalambrico'] });
    expect(status('lerma-fibra')).toBe('operational');
    const draft = openDrafts(t.db).find((d) => d.id === body.alerts[0].draft_incident_id)!;
    expect(draft.components.map((c) => c.status)).toEqual(['partial_outage', 'partial_outage']);
    // No rule and the default says propose: proposed, even with a component label.
    const { body: other } = await post(
      '/api/v1/alerts/alertmanager',
      alertmanagerPayload([{ labels: { alertname: 'Lento', component: 'toluca-fibra', severity: 'critical' } }]),
    );
    expect(other.alerts[0].effect).toBe('proposed');
    expect(status('toluca-fibra')).toBe('operational');
  });

  it('refuses a bad document with each field’s path and keeps the rules it had', async () => {
    await t.json('PUT', '/api/v1/alert-rules', {
      rules: [{ name: 'Una', match: { job: 'x' }, components: ['toluca'] }],
    });
    const before = counts(t.db);
    const res = await t.json('PUT', '/api/v1/alert-rules', {
      default: { hold_down_minutes: -1, severities: { critical: 'operational' } },
      rules: [
        { name: 'Mala', match_re: { instance: '(' }, components: ['atlantida'] },
        { name: 'Sin condición', components: ['toluca'] },
        { name: 'X', match: { 'no válida': 'y' }, mode: 'a veces', template: 'inventada' },
      ],
    });
    expect(res.status).toBe(422);
    const paths = (await res.json()).error.fields.map((f: { path: string }) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'default.hold_down_minutes',
        'default.severities.critical',
        'rules.0.match_re.instance',
        'rules.1.match',
        'rules.2.match.no válida',
        'rules.2.mode',
        'rules.2.template',
      ]),
    );
    const unknown = await t.json('PUT', '/api/v1/alert-rules', {
      rules: [{ name: 'Mala', match: { a: 'b' }, components: ['toluca', 'atlantida'] }],
    });
    expect(unknown.status).toBe(422);
    expect((await unknown.json()).error).toMatchObject({
      code: 'unknown_component',
      fields: [{ path: 'rules.0.components.1' }],
    });
    const dup = await t.json('PUT', '/api/v1/alert-rules', {
      rules: [
        { name: 'A', match: { a: 'b' } },
        { name: 'a', match: { a: 'c' } },
      ],
    });
    expect((await dup.json()).error.fields).toEqual([expect.objectContaining({ path: 'rules.1.name' })]);
    expect(counts(t.db)).toEqual(before);
    expect(
      (await (await t.json('GET', '/api/v1/alert-rules')).json()).rules.map((r: { name: string }) => r.name),
    ).toEqual(['Una']);
  });
});

describe('drafts and incidents', () => {
  it('are never public: no v2 incident, no feed item, no email or webhook row until a person publishes', async () => {
    await post('/api/v1/alerts/alertmanager', alertmanagerPayload([oltDown]));
    for (const path of ['/api/v2/incidents.json', '/api/v2/incidents/unresolved.json', '/api/v2/summary.json']) {
      expect((await (await t.app.request(path)).json()).incidents).toEqual([]);
    }
    const feed = await (await t.app.request('/feed.json')).json();
    expect(feed.items).toEqual([]);
    expect(counts(t.db).outbox_messages).toBe(0);
  });

  it('publishing creates the incident from the first alert’s start and links its alerts; when they all resolve the incident keeps the component until the NOC says so', async () => {
    await post('/api/v1/alerts/alertmanager', alertmanagerPayload([oltDown]));
    const [draft] = openDrafts(t.db);
    t.clock.advance(10 * 60_000);
    const incident = publishDraft(
      t.db,
      draft.id,
      {
        name: draft.name,
        impact: draft.impact,
        status: draft.status,
        body: 'Detectamos un corte de fibra en Metepec; la cuadrilla va en camino.',
        cause: draft.cause,
        components: { 'metepec-fibra': 'major_outage' },
      },
      nocCtx(),
    );
    expect(incident.startedAt).toEqual(new Date('2026-11-26T17:58:31.774Z'));
    expect(incidentFirstAlertStart(t.db, incident.id)).toEqual(new Date('2026-11-26T17:58:31.774Z'));
    expect(t.db.select().from(incidentDrafts).get()).toMatchObject({
      state: 'published',
      incidentId: incident.id,
      closedBy: 'guardia@somnet.com.mx',
    });
    expect(
      (await (await t.app.request('/api/v2/incidents/unresolved.json')).json()).incidents.map(
        (i: { id: string }) => i.id,
      ),
    ).toEqual([incident.id]);
    expect(() =>
      publishDraft(t.db, draft.id, { name: 'otra vez', status: 'investigating', body: 'x' }, nocCtx()),
    ).toThrow(/ya se publicó/);

    // A later alert on the same component joins the open incident, not a new draft.
    const { body } = await post(
      '/api/v1/alerts/alertmanager',
      alertmanagerPayload([{ labels: { alertname: 'OnuSinSenal', component: 'metepec-fibra', severity: 'major' } }]),
    );
    expect(body.alerts[0]).toMatchObject({ incident_id: incident.id, draft_incident_id: null });
    expect(incidentAlertSummary(t.db, incident.id)).toMatchObject({ total: 2, firing: 2, allResolvedAt: null });

    t.clock.advance(30 * 60_000);
    await post(
      '/api/v1/alerts/alertmanager',
      alertmanagerPayload([
        { ...oltDown, status: 'resolved' },
        { labels: { alertname: 'OnuSinSenal', component: 'metepec-fibra', severity: 'major' }, status: 'resolved' },
      ]),
    );
    expect(status('metepec-fibra')).toBe('major_outage'); // the open incident holds it
    expect(incidentAlertSummary(t.db, incident.id)).toMatchObject({
      total: 2,
      firing: 0,
      allResolvedAt: t.clock.now(),
    });
    expect(t.db.select().from(incidents).get()!.status).toBe('investigating'); // nothing posted by itself
  });

  it('a status someone set by hand after the alert holds when it resolves', async () => {
    await post('/api/v1/alerts/alertmanager', alertmanagerPayload([oltDown]));
    t.clock.advance(60_000);
    await t.json('PATCH', '/api/v1/components/metepec-fibra', { status: 'degraded_performance' });
    t.clock.advance(60_000);
    await post('/api/v1/alerts/alertmanager', alertmanagerPayload([{ ...oltDown, status: 'resolved' }]));
    expect(status('metepec-fibra')).toBe('degraded_performance');
    expect(settleAlerts(t.db, t.clock.now())).toBe(0);
  });

  it('an open incident takes a new alert on its components directly', async () => {
    await t.json('POST', '/api/v1/incidents', {
      name: 'Corte en Toluca',
      status: 'identified',
      body: 'Cuadrilla en camino.',
      components: { 'toluca-fibra': 'partial_outage' },
    });
    const { body } = await post('/api/v1/alerts', {
      source: 'script',
      id: 'a1',
      status: 'firing',
      component: 'toluca-fibra',
      severity: 'critical',
      summary: 'Toluca caído',
    });
    expect(body.alerts[0]).toMatchObject({ draft_incident_id: null, incident_id: expect.any(String) });
    expect(status('toluca-fibra')).toBe('major_outage'); // worse news than the incident's: shown
    expect(openDrafts(t.db)).toHaveLength(0);
  });

  it('a draft is discarded with a reason', async () => {
    await post('/api/v1/alerts/alertmanager', alertmanagerPayload([oltDown]));
    const [draft] = openDrafts(t.db);
    expect(() => discardDraft(t.db, draft.id, { reason: '  ' }, nocCtx())).toThrow(
      expect.objectContaining({
        status: 422,
        fields: [expect.objectContaining({ path: 'reason', message: expect.stringContaining('por qué se descarta') })],
      }),
    );
    discardDraft(t.db, draft.id, { reason: 'Falsa alarma: OLT en pruebas.' }, nocCtx());
    expect(openDrafts(t.db)).toHaveLength(0);
    const list = await (await t.json('GET', '/api/v1/alerts')).json();
    expect(list.drafts[0]).toMatchObject({
      id: draft.id,
      state: 'discarded',
      discard_reason: 'Falsa alarma: OLT en pruebas.',
      alert_ids: [list.alerts[0].id],
    });
    expect(t.db.select().from(auditLog).where(eq(auditLog.action, 'incident_draft.discard')).get()).toMatchObject({
      actorKind: 'user',
      actorName: 'guardia@somnet.com.mx',
    });
  });
});

describe('GET /api/v1/alerts', () => {
  it('lists alerts newest first with the contract fields, and refuses unknown parameters', async () => {
    await post('/api/v1/alerts/alertmanager', alertmanagerPayload([oltDown]));
    t.clock.advance(1000);
    await post('/api/v1/alerts', {
      source: 'zabbix',
      id: '9',
      status: 'firing',
      component: 'lerma-fibra',
      severity: 'warning',
      summary: 'Lerma lento',
    });
    const res = await t.json('GET', '/api/v1/alerts');
    const { alerts: list, drafts } = await res.json();
    expect(list.map((a: { source: string }) => a.source)).toEqual(['zabbix', 'alertmanager']);
    for (const key of [
      'id',
      'source',
      'fingerprint',
      'status',
      'labels',
      'components',
      'starts_at',
      'ends_at',
      'draft_incident_id',
      'incident_id',
    ])
      expect(list[1]).toHaveProperty(key);
    expect(list[1]).toMatchObject({
      status: 'firing',
      ends_at: null,
      starts_at: '2026-11-26T17:58:31.774Z',
      components: [expect.objectContaining({ slug: 'metepec-fibra', name: 'Metepec · Fibra óptica' })],
    });
    expect(drafts).toHaveLength(2);
    expect((await (await t.json('GET', '/api/v1/alerts?status=resolved')).json()).alerts).toEqual([]);
    expect((await t.json('GET', '/api/v1/alerts?estado=x')).status).toBe(422);
    expect((await t.json('GET', '/api/v1/alerts?limit=0')).status).toBe(422);
    expect((await t.json('GET', '/api/v1/alerts', undefined, {})).status).toBe(401);
  });
});
