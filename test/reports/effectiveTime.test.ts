// The outage's clock starts when the outage started. A scripted day in December 2026, through
// the real server and API: a fibre cut in Metepec that began at 00:48 and was posted at 01:56,
// resolved at 03:00 saying service came back at 02:08; an Alertmanager alert on Lerma's microwave
// delivered 20 minutes after its `startsAt`; an incident in Toluca whose start is corrected
// afterwards with PATCH. Every figure — the bar's per-day detail on `/`, /disponibilidad (page,
// CSV, token JSON), the per-service statement and its NOM-184 estimate, the billing report, the
// first-response clock — must give the minutes this file computes itself from the declared times.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { eq } from 'drizzle-orm';
import { replaceServiceInventory } from '#db/commands/services.ts';
import { systemActor } from '#db/commands/audit.ts';
import { settleAlerts } from '#db/commands/alerts/index.ts';
import { auditLog } from '#db/schema/index.ts';
import { freshDb, testClock } from '../support/db.ts';
import { startTestServer } from '../support/server.ts';
import { inventory } from '../services/fixtures.ts';
import { alertmanagerPayload } from '../alerts/payloads.ts';

const MINUTE = 60_000;
const minutesBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / MINUTE;

// What the NOC and monitoring declared, as they declared it.
const METEPEC = {
  started: '2026-12-07T00:48:00-06:00',
  posted: '2026-12-07T07:56:00Z',
  resolved: '2026-12-07T02:08:00-06:00',
  resolvedPosted: '2026-12-07T09:00:00Z',
};
const LERMA = {
  startsAt: '2026-12-07T11:40:00Z',
  received: '2026-12-07T12:00:00Z',
  endsAt: '2026-12-07T12:25:00Z',
  resolvedReceived: '2026-12-07T12:30:00Z',
};
const TOLUCA = {
  posted: '2026-12-07T15:00:00Z',
  corrected: '2026-12-07T08:30:00-06:00',
  correctedAt: '2026-12-07T15:10:00Z',
  resolvedPosted: '2026-12-07T16:00:00Z',
};
// Read at 14:05:30 in Mexico City: figures count up to the last quarter hour (the last status
// change was earlier), 14:00, and say so.
const READ_AT = '2026-12-07T20:05:30Z';

const metepecMinutes = minutesBetween(METEPEC.started, METEPEC.resolved); // 80
const lermaMinutes = minutesBetween(LERMA.startsAt, LERMA.endsAt); // 45
const tolucaMinutes = minutesBetween(TOLUCA.corrected, TOLUCA.resolvedPosted); // 90, «Intermitencia»
const DECEMBER_MINUTES = 31 * 1440;
const SOM_12345_PRICE = inventory.services.find((s) => s.service_id === 'SOM-12345')!.monthly_price_mxn!;

/** "1 h 20 min" as the pages write a number of minutes. */
function durationText(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = Math.round(minutes % 60);
  return [h ? `${h} h` : '', m || !h ? `${m} min` : ''].filter(Boolean).join(' ');
}
const money = (n: number) => new Intl.NumberFormat('es-MX', { style: 'currency', currency: 'MXN' }).format(n);
const cents = (n: number) => Math.round(n * 100) / 100;

const clock = testClock(METEPEC.posted);
const db = freshDb({ now: new Date('2026-12-01T06:00:00Z') });
let s: Awaited<ReturnType<typeof startTestServer>>;
let metepecId = '';
let tolucaId = '';

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${s.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}
const page = async (path: string) => (await fetch(`${s.url}${path}`)).text();

beforeAll(async () => {
  replaceServiceInventory(db, inventory, { now: new Date('2026-12-01T12:00:00Z'), actor: systemActor });
  s = await startTestServer({ db, now: clock.now });

  // Metepec: posted at 01:56, declared from 00:48.
  const created = await call('POST', '/api/v1/incidents', {
    name: 'Corte de fibra en Metepec',
    status: 'identified',
    body: 'Un corte de fibra deja sin servicio a Metepec desde las 00:48.',
    started_at: METEPEC.started,
    components: { 'metepec-fibra': 'major_outage' },
  });
  expect(created.status).toBe(201);
  metepecId = created.body.id;
  clock.set(METEPEC.resolvedPosted);
  const resolved = await call('POST', `/api/v1/incidents/${metepecId}/updates`, {
    status: 'resolved',
    body: 'El servicio volvió a las 02:08.',
    resolved_at: METEPEC.resolved,
  });
  expect(resolved.status).toBe(201);

  // Lerma microwave: an alert delivered 20 minutes after it began, resolved 5 minutes after it ended.
  const labels = { alertname: 'EnlaceCaido', component: 'lerma-inalambrico', severity: 'critical' };
  clock.set(LERMA.received);
  expect(
    (await call('POST', '/api/v1/alerts/alertmanager', alertmanagerPayload([{ labels, startsAt: LERMA.startsAt }])))
      .status,
  ).toBe(200);
  clock.set(LERMA.resolvedReceived);
  expect(
    (
      await call(
        'POST',
        '/api/v1/alerts/alertmanager',
        alertmanagerPayload([{ labels, startsAt: LERMA.startsAt, status: 'resolved', endsAt: LERMA.endsAt }]),
      )
    ).status,
  ).toBe(200);
  // Whatever hold-down the rules keep, the return is settled long before the reading.
  settleAlerts(db, new Date('2026-12-07T14:00:00Z'));

  // Toluca: posted at 09:00 without a start, corrected at 09:10 to 08:30, resolved at 10:00.
  clock.set(TOLUCA.posted);
  tolucaId = (
    await call('POST', '/api/v1/incidents', {
      name: 'Intermitencia en Toluca',
      status: 'investigating',
      body: 'Revisamos cortes breves en la fibra de Toluca.',
      components: { 'toluca-fibra': 'partial_outage' },
    })
  ).body.id;
  clock.set(TOLUCA.correctedAt);
  const patched = await call('PATCH', `/api/v1/incidents/${tolucaId}`, { started_at: TOLUCA.corrected });
  expect(patched.status).toBe(200);
  clock.set(TOLUCA.resolvedPosted);
  await call('POST', `/api/v1/incidents/${tolucaId}/updates`, { status: 'resolved', body: 'Estable.' });

  clock.set(READ_AT);
});
afterAll(async () => {
  await s?.close();
});

/** The per-day detail line of one component's bar on a page (its `<details>` follows the bar's label). */
function dayDetail(html: string, fullName: string): string {
  const at = html.indexOf(`aria-label="Disponibilidad de ${fullName} en los últimos 90 días`);
  expect(at, fullName).toBeGreaterThan(-1);
  const end = html.indexOf('</details>', at);
  const block = html.slice(at, end);
  const item = /<li>\s*<time datetime="2026-12-07">([\s\S]*?)<\/li>/.exec(block);
  return (item?.[1] ?? '')
    .replace(/<[^>]+>/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

describe('effective time: the same minutes everywhere', () => {
  it('the incident page says when the cut began and when service came back', async () => {
    const html = await page(`/incidentes/${metepecId}`);
    expect(html).toContain('7 dic 2026, 00:48');
    expect(html).toContain('7 dic 2026, 02:08');
    expect(html).toContain(durationText(metepecMinutes));
  });

  it('the 90-day bars: each day’s detail counts from the declared start, the alert’s startsAt and the corrected start', async () => {
    const html = await page('/');
    const until = '(hasta las 14:00, hora del centro de México)';
    expect(dayDetail(html, 'Metepec · Fibra óptica')).toContain(
      `7 de diciembre de 2026 ${until}: ${durationText(metepecMinutes)} sin servicio`,
    );
    expect(dayDetail(html, 'Lerma · Inalámbrico (microondas)')).toContain(`${durationText(lermaMinutes)} sin servicio`);
    expect(dayDetail(html, 'Toluca · Fibra óptica')).toContain(`${durationText(tolucaMinutes)} con intermitencia`);
  });

  it('/disponibilidad, its CSV and the token JSON: the same minutes, counted up to the time they say', async () => {
    const html = await page('/disponibilidad/2026-12');
    expect(html).toContain('al 7 dic 2026, 14:00, hora del centro de México');
    const metepecRow = html.slice(html.indexOf('id="zona-metepec"'));
    expect(metepecRow).toMatch(
      new RegExp(
        `<th scope="row">Fibra óptica</th>[\\s\\S]*?data-label="Sin servicio">\\s*${durationText(metepecMinutes)}\\s*<`,
      ),
    );

    const csv = parse(await page('/disponibilidad/2026-12.csv'), { columns: true, bom: true }) as Array<
      Record<string, string>
    >;
    const row = (slug: string) => csv.find((r) => r.slug === slug)!;
    expect(Number(row('metepec-fibra').minutos_sin_servicio)).toBe(metepecMinutes);
    expect(Number(row('lerma-inalambrico').minutos_sin_servicio)).toBe(lermaMinutes);
    expect(Number(row('toluca-fibra').minutos_intermitencia)).toBe(tolucaMinutes);
    expect(Number(row('toluca-fibra').minutos_indisponibles)).toBeCloseTo(tolucaMinutes * 0.3, 6);
    expect(row('metepec-fibra').cifras_hasta).toBe('2026-12-07T14:00:00-06:00');
    // The month so far: 6 days and 14 hours.
    expect(Number(row('metepec-fibra').minutos_medidos)).toBe(6 * 1440 + 14 * 60);

    const json = await call('GET', '/api/v1/reports/availability?month=2026-12');
    const component = (slug: string) =>
      json.body.groups
        .flatMap((g: { components: unknown[] }) => g.components)
        .find((c: { slug: string }) => c.slug === slug);
    expect(component('metepec-fibra').minutes.without_service).toBe(metepecMinutes);
    expect(component('lerma-inalambrico').minutes.without_service).toBe(lermaMinutes);
    expect(component('toluca-fibra').minutes.intermittent).toBe(tolucaMinutes);
    expect(json.body.to).toBe('2026-12-07T20:00:00.000Z');
  });

  it('the per-service statement, its NOM-184 estimate and the billing report', async () => {
    const proportional = (SOM_12345_PRICE * metepecMinutes) / DECEMBER_MINUTES;
    const total = cents(cents(proportional) + cents(proportional * 0.2));
    const html = await page('/mi-servicio/SOM-12345/reporte/2026-12');
    expect(html).toContain(`Sin servicio: ${durationText(metepecMinutes)}`);
    // The statement's URL is public: it states the minutes and that the bonus is applied, never an
    // amount; the estimate is in the token API below.
    expect(html).toContain('sin que tenga que reclamarla');
    expect(html).not.toContain(money(total));
    expect(html).not.toMatch(/\$\s?\d/);
    expect(html).toContain('al 7 dic 2026, 14:00, hora del centro de México');
    const lerma = await page('/mi-servicio/SOM-20001/reporte/2026-12');
    expect(lerma).toContain(`Sin servicio: ${durationText(lermaMinutes)}`);

    const billing = await call('GET', '/api/v1/reports/services?month=2026-12');
    const byId = new Map(billing.body.services.map((x: { service_id: string }) => [x.service_id, x]));
    expect(byId.get('SOM-12345')).toMatchObject({
      minutes: { without_service: metepecMinutes, unavailable: metepecMinutes },
      compensation_estimate_mxn: { total },
    });
    expect(byId.get('SOM-20001')).toMatchObject({ minutes: { without_service: lermaMinutes } });
  });

  it('the first-response clock runs from the declared start: 00:48 to 01:56 is late for Alta', async () => {
    const html = await page('/disponibilidad/2026-12');
    const late = html.slice(html.indexOf(`data-incident="${metepecId}"`));
    expect(late).toContain(`primer aviso a los ${durationText(minutesBetween(METEPEC.started, METEPEC.posted))}`);
    expect(late).toContain('inicio <time datetime="2026-12-07T06:48:00.000Z"');
  });

  it('the corrected start is audited with the start it replaced', () => {
    const edits = db.select().from(auditLog).where(eq(auditLog.action, 'incident.edit')).all();
    const edit = edits.find((e) => e.subjectId === tolucaId)!;
    expect(JSON.parse(edit.details!)).toEqual({
      startedAt: new Date(TOLUCA.corrected).toISOString(),
      before: { startedAt: new Date(TOLUCA.posted).toISOString() },
    });
  });
});

describe('effective time: what the API refuses', () => {
  it('refuses a resolved_at in the future, before the start, or on an update that does not resolve', async () => {
    const id = (
      await call('POST', '/api/v1/incidents', {
        name: 'Prueba',
        status: 'investigating',
        body: 'x',
        started_at: '2026-12-07T13:00:00-06:00',
      })
    ).body.id;
    const future = await call('POST', `/api/v1/incidents/${id}/updates`, {
      status: 'resolved',
      body: 'x',
      resolved_at: '2026-12-07T15:00:00-06:00',
    });
    expect(future.status).toBe(422);
    expect(future.body.error.fields).toEqual([{ path: 'resolved_at', message: 'Indique una hora pasada o actual.' }]);
    const early = await call('POST', `/api/v1/incidents/${id}/updates`, {
      status: 'resolved',
      body: 'x',
      resolved_at: '2026-12-07T12:59:00-06:00',
    });
    expect(early.status).toBe(422);
    expect(early.body.error.fields[0].path).toBe('resolved_at');
    expect(early.body.error.message).toContain('7 dic 2026, 13:00');
    const notResolving = await call('POST', `/api/v1/incidents/${id}/updates`, {
      status: 'monitoring',
      body: 'x',
      resolved_at: '2026-12-07T13:30:00-06:00',
    });
    expect(notResolving.status).toBe(422);
    expect(notResolving.body.error.fields[0].path).toBe('resolved_at');
    const laterStart = await call('PATCH', `/api/v1/incidents/${id}`, { started_at: '2026-12-07T14:30:00-06:00' });
    expect(laterStart.status).toBe(422);
    expect(laterStart.body.error.fields[0].path).toBe('started_at');
  });
});

describe('an ETA is never in the past', () => {
  it('refuses a past eta (at path eta), keeps no passed one silently, clears with null, and says «Por confirmar» everywhere', async () => {
    const created = await call('POST', '/api/v1/incidents', {
      name: 'Falla en Zinacantepec',
      status: 'identified',
      body: 'Revisamos la OLT de Zinacantepec.',
      eta: '2026-12-07T14:30:00-06:00',
      components: { 'zinacantepec-fibra': 'partial_outage' },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const past = await call('POST', `/api/v1/incidents/${id}/updates`, {
      status: 'identified',
      body: 'Seguimos.',
      eta: '2026-12-07T13:00:00-06:00',
    });
    expect(past.status).toBe(422);
    expect(past.body.error.fields.map((f: { path: string }) => f.path)).toEqual(['eta']);
    // 14:40: the published ETA (14:30) has passed; an update that says nothing of it must not re-publish it.
    clock.set('2026-12-07T20:40:00Z');
    try {
      const silent = await call('POST', `/api/v1/incidents/${id}/updates`, { status: 'identified', body: 'Seguimos.' });
      expect(silent.status).toBe(422);
      expect(silent.body.error.fields[0].path).toBe('eta');
      const cleared = await call('POST', `/api/v1/incidents/${id}/updates`, {
        status: 'identified',
        body: 'Seguimos; la hora estimada está por confirmar.',
        eta: null,
      });
      expect(cleared.status).toBe(201);
      const flat = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
      expect(flat(await page(`/incidentes/${id}`))).toContain('Tiempo estimado de restauración Por confirmar');
      const v2 = JSON.parse(await page('/api/v2/incidents/unresolved.json'));
      const mine = v2.incidents.find((i: { id: string }) => i.id === id);
      expect(mine.somnet).toMatchObject({ eta: null, eta_text: 'Por confirmar' });
      expect(await page('/status.txt')).toContain(
        'Identificado: Falla en Zinacantepec. Restablecimiento estimado: por confirmar.',
      );
      for (const path of ['/feed.rss', '/feed.atom', '/componentes/zinacantepec/feed.json'])
        expect(await page(path), path).toMatch(
          /Tiempo estimado de restauración:(<\/strong>|\\u003c\/strong>)? Por confirmar/,
        );
    } finally {
      clock.set(READ_AT);
    }
  });
});
