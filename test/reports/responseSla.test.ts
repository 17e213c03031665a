// The response SLA of a month through the public page and the NOC dashboard: the start is the
// first alert that opened the incident when there is one, else started_at.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '#db/commands/audit.ts';
import { receiveGenericAlert } from '#db/commands/alerts/index.ts';
import { publishDraft } from '#db/commands/incidentDrafts.ts';
import { createIncident } from '#db/commands/incidents.ts';
import { monthResponses } from '#db/queries/index.ts';
import { freshDb, testClock } from '../support/db.ts';
import { startTestServer } from '../support/server.ts';
import { addUser, ConsoleClient } from '../console/support.ts';

const at = (s: string) => ({ now: new Date(s), actor: systemActor });
const clock = testClock('2026-11-26T18:00:00Z');
const db = freshDb({ now: new Date('2026-11-01T06:00:00Z') });
let s: Awaited<ReturnType<typeof startTestServer>>;
const ids: Record<string, string> = {};

beforeAll(async () => {
  // Alta, posted 10 minutes after it started: on time.
  ids.quick = createIncident(
    db,
    {
      name: 'Corte en Toluca',
      impact: 'critical',
      status: 'investigating',
      body: 'Revisamos.',
      startedAt: '2026-11-03T16:00:00Z',
      components: { 'toluca-fibra': 'major_outage' },
    },
    at('2026-11-03T16:10:00Z'),
  ).id;
  // Alta opened by an alert at 10:00 local; the NOC published it at 10:40 and typed 10:20 as its
  // start: measured from the alert, 40 minutes, late.
  const received = receiveGenericAlert(
    db,
    {
      source: 'zabbix',
      id: '4817',
      status: 'firing',
      component: 'metepec-fibra',
      severity: 'critical',
      summary: 'Nodo Metepec sin energía',
      startedAt: '2026-11-10T16:00:00Z',
    },
    '{}',
    { now: new Date('2026-11-10T16:00:30Z') },
  );
  const draftId = received.alerts[0].draftId!;
  ids.alerted = publishDraft(
    db,
    draftId,
    {
      name: 'Nodo Metepec sin energía',
      impact: 'critical',
      status: 'investigating',
      body: 'Sin energía en el nodo.',
      startedAt: '2026-11-10T16:20:00Z',
      components: { 'metepec-fibra': 'major_outage' },
    },
    at('2026-11-10T16:40:00Z'),
  ).id;
  // Baja on a Friday at 17:00 local, first word Monday 12:30 local: 4.5 business hours, late.
  ids.slow = createIncident(
    db,
    {
      name: 'Lentitud en el portal',
      impact: 'minor',
      status: 'investigating',
      body: 'Revisamos.',
      startedAt: '2026-11-13T23:00:00Z',
      components: { 'portal-clientes': 'degraded_performance' },
    },
    at('2026-11-16T18:30:00Z'),
  ).id;
  s = await startTestServer({ db, now: clock.now });
});
afterAll(async () => {
  await s?.close();
});

describe('response SLA of the month', () => {
  it('measures from the first alert when one opened the incident, else from started_at', () => {
    const month = monthResponses(db, '2026-11', clock.now());
    const byId = new Map(month.incidents.map((i) => [i.id, i]));
    expect(byId.get(ids.alerted)).toMatchObject({
      fromAlert: true,
      start: new Date('2026-11-10T16:00:00Z'),
      elapsedMs: 40 * 60_000,
      met: false,
    });
    expect(byId.get(ids.quick)).toMatchObject({ fromAlert: false, elapsedMs: 10 * 60_000, met: true });
    expect(byId.get(ids.slow)).toMatchObject({ met: false });
    expect(month.shares.find((x) => x.impact === 'critical')).toMatchObject({
      incidents: 2,
      onTime: 1,
      late: 1,
      percent: 50,
    });
    expect(month.shares.find((x) => x.impact === 'minor')).toMatchObject({ incidents: 1, onTime: 0, late: 1 });
    expect(month.late.map((i) => i.id)).toEqual([ids.alerted, ids.slow]);
    expect(monthResponses(db, '2026-10', clock.now()).incidents).toEqual([]);
  });

  it('/disponibilidad shows the share per criticality and lists the late ones', async () => {
    const html = await (await fetch(`${s.url}/disponibilidad/2026-11`)).text();
    expect(html).toContain('Tiempo de primera respuesta');
    expect(html).toMatch(/<tr data-impact="critical">[\s\S]*?1 \(50 %\)[\s\S]*?<\/tr>/);
    expect(html).toMatch(/<tr data-impact="major">[\s\S]*?<td[^>]*>—<\/td>/);
    const late = html.slice(html.indexOf('class="late-responses"'));
    expect(late).toContain(`<a href="/incidentes/${ids.alerted}">Nodo Metepec sin energía</a>`);
    expect(late).toContain('primer aviso a los 40 min (inicio');
    expect(late).toContain('primera alerta');
    expect(late).toContain(`<a href="/incidentes/${ids.slow}">Lentitud en el portal</a>`);
    expect(late).not.toContain(ids.quick);
  });

  it('the NOC dashboard shows the month so far, linking to the console', async () => {
    addUser(db, 'guardia@somnet.com.mx', 'noc', 'clave-de-la-guardia', { mustChange: false });
    const guardia = new ConsoleClient(s.url);
    expect((await guardia.login('guardia@somnet.com.mx', 'clave-de-la-guardia')).status).toBe(303);
    const html = await (await guardia.get('/noc')).text();
    expect(html).toContain('Primera respuesta en noviembre de 2026 (hasta ahora)');
    expect(html).toContain(`<a href="/noc/incidentes/${ids.alerted}">Nodo Metepec sin energía</a>`);
    expect(html).toMatch(/<tr data-impact="critical">[\s\S]*?1 \(50 %\)/);
  });
});
