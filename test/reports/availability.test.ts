// The availability figures through every door: /, /disponibilidad, its CSV and the reports API
// must give the same numbers for the same month, from the real server over a real database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '#db/commands/audit.ts';
import { createIncident, publishIncidentUpdate } from '#db/commands/incidents.ts';
import { advanceMaintenances, createMaintenance } from '#db/commands/maintenances.ts';
import { formatPercent } from '#db/domain/availability.ts';
import { collections } from '../../api/publish/collections.ts';
import { stalePaths } from '../../api/publish/publisher.ts';
import { emptyChange } from '../../api/publish/changes.ts';
import { freshDb, testClock } from '../support/db.ts';
import { startTestServer } from '../support/server.ts';

const at = (s: string) => ({ now: new Date(s), actor: systemActor });
// The catalogue (and so every component's first status event) starts on 1 November 2026 at
// 00:00 in Mexico City; "now" is 26 November 12:00 local: 25.5 days = 36,720 minutes measured.
const clock = testClock('2026-11-26T18:00:00Z');
const db = freshDb({ now: new Date('2026-11-01T06:00:00Z') });
const MEASURED = 36_720;

let s: Awaited<ReturnType<typeof startTestServer>>;
let incidentId = '';

beforeAll(async () => {
  // Metepec fibre: 60 minutes without service (critical incident).
  const incident = createIncident(
    db,
    {
      name: 'Corte de fibra en Metepec',
      impact: 'critical',
      status: 'investigating',
      body: 'Revisamos el enlace.',
      components: { 'metepec-fibra': 'major_outage' },
    },
    at('2026-11-10T16:00:00Z'),
  );
  incidentId = incident.id;
  publishIncidentUpdate(
    db,
    incident.id,
    { status: 'resolved', body: 'Servicio restablecido.', components: { 'metepec-fibra': 'operational' } },
    at('2026-11-10T17:00:00Z'),
  );
  // Toluca fibre: a 3 h window announced 10 days ahead (not counted).
  createMaintenance(
    db,
    {
      name: 'Cambio de tarjetas en Toluca',
      body: 'Cortes breves.',
      scheduledFor: '2026-11-12T06:00:00Z',
      scheduledUntil: '2026-11-12T09:00:00Z',
      components: ['toluca-fibra'],
    },
    at('2026-11-02T12:00:00Z'),
  );
  advanceMaintenances(db, new Date('2026-11-12T06:00:00Z'));
  advanceMaintenances(db, new Date('2026-11-12T09:00:00Z'));
  // Lerma fibre: a 1 h emergency window (counted).
  createMaintenance(
    db,
    {
      name: 'Reparación urgente en Lerma',
      body: 'Cambio de fuente.',
      scheduledFor: '2026-11-20T07:00:00Z',
      scheduledUntil: '2026-11-20T08:00:00Z',
      components: ['lerma-fibra'],
      emergency: true,
      emergencyReason: 'Fuente dañada',
    },
    at('2026-11-20T06:30:00Z'),
  );
  advanceMaintenances(db, new Date('2026-11-20T07:00:00Z'));
  advanceMaintenances(db, new Date('2026-11-20T08:00:00Z'));
  s = await startTestServer({ db, now: clock.now });
});
afterAll(async () => {
  await s?.close();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${s.url}${path}`, { headers });
const api = (path: string, headers: Record<string, string> = {}) =>
  get(path, { authorization: `Bearer ${s.token}`, ...headers });

/** The percent shown in a /disponibilidad row, found by the row's heading and its area. */
function rowPercent(html: string, area: string, name: string): string {
  const section = html.slice(html.indexOf(`>${area}</th>`));
  const m = new RegExp(`<th scope="row"[^>]*>${name}</th>\\s*<td[^>]*>([^<]+)</td>`).exec(section);
  if (!m) throw new Error(`sin fila ${area} · ${name}`);
  return m[1];
}

async function csvRows(res: Response): Promise<Array<Record<string, string>>> {
  const bytes = Buffer.from(await res.arrayBuffer());
  // A byte-order mark, so a spreadsheet reads the accents as UTF-8.
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const [header, ...lines] = bytes
    .subarray(3)
    .toString('utf8')
    .trim()
    .split('\r\n')
    .map((l) => l.split(','));
  return lines.map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i]])));
}

describe('availability of a month', () => {
  it('/disponibilidad/AAAA-MM shows each component with the rule: outage counts, announced maintenance does not, emergency does', async () => {
    const res = await get('/disponibilidad/2026-11');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Disponibilidad de la red: noviembre de 2026');
    const expected = formatPercent(100 * (1 - 60 / MEASURED));
    expect(expected).toBe('99.83 %');
    expect(rowPercent(html, 'Metepec', 'Fibra óptica')).toBe(expected);
    expect(rowPercent(html, 'Lerma', 'Fibra óptica')).toBe(expected);
    expect(rowPercent(html, 'Toluca', 'Fibra óptica')).toBe('100.00 %');
    expect(rowPercent(html, 'Toluca', 'Inalámbrico \\(microondas\\)')).toBe('100.00 %');
    // The incident is linked from its component's row; the method is on the page.
    expect(html).toContain(`<a href="/incidentes/${incidentId}">Corte de fibra en Metepec</a>`);
    expect(html).toContain('72 horas');
    expect(html).toContain('Cómo se calcula');
    // The chart is drawn on the server; the page ships no script.
    expect(html).toMatch(/<svg[^>]*role="img"[^>]*aria-label="Disponibilidad de la red por mes/);
    expect(html).not.toMatch(/<script/);
    // /disponibilidad is the current month.
    expect(await (await get('/disponibilidad')).text()).toContain('Disponibilidad de la red: noviembre de 2026');
  });

  it('the CSV, the JSON of the API and the page give the same figures', async () => {
    const page = await (await get('/disponibilidad/2026-11')).text();
    const csvRes = await get('/disponibilidad/2026-11.csv');
    expect(csvRes.status).toBe(200);
    expect(csvRes.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csvRes.headers.get('content-disposition')).toContain('somnet-disponibilidad-2026-11.csv');
    const rows = await csvRows(csvRes);
    const byslug = new Map(rows.filter((r) => r.nivel === 'servicio').map((r) => [r.slug, r]));
    expect(byslug.get('metepec-fibra')).toMatchObject({
      minutos_sin_servicio: '60',
      minutos_indisponibles: '60',
      incidentes: '1',
      minutos_medidos: String(MEASURED),
    });
    expect(byslug.get('toluca-fibra')).toMatchObject({
      minutos_mantenimiento_avisado: '180',
      minutos_indisponibles: '0',
      disponibilidad_pct: '100',
    });
    expect(byslug.get('lerma-fibra')).toMatchObject({
      minutos_mantenimiento_sin_aviso: '60',
      minutos_indisponibles: '60',
    });

    const jsonRes = await api('/api/v1/reports/availability?month=2026-11');
    expect(jsonRes.status).toBe(200);
    const json = (await jsonRes.json()) as {
      month: string;
      complete: boolean;
      groups: Array<{
        slug: string;
        availability_percent: number;
        components: Array<{ slug: string; availability_percent: number; minutes: Record<string, number> }>;
      }>;
      network: { availability_percent: number };
    };
    expect(json.month).toBe('2026-11');
    expect(json.complete).toBe(false);
    for (const g of json.groups) {
      expect(String(g.availability_percent)).toBe(
        rows.find((r) => r.nivel === 'zona' && r.slug === g.slug)!.disponibilidad_pct,
      );
      for (const c of g.components) {
        expect(String(c.availability_percent)).toBe(byslug.get(c.slug)!.disponibilidad_pct);
        expect(c.minutes.without_service).toBe(Number(byslug.get(c.slug)!.minutos_sin_servicio));
      }
    }
    const metepec = json.groups.find((g) => g.slug === 'metepec')!.components.find((c) => c.slug === 'metepec-fibra')!;
    expect(formatPercent(metepec.availability_percent)).toBe(rowPercent(page, 'Metepec', 'Fibra óptica'));
    expect(String(json.network.availability_percent)).toBe(rows.find((r) => r.nivel === 'red')!.disponibilidad_pct);

    // The API's CSV is the public one.
    const apiCsv = await api('/api/v1/reports/availability?month=2026-11&format=csv');
    expect(apiCsv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(await apiCsv.text()).toBe(await (await get('/disponibilidad/2026-11.csv')).text());
    expect(await (await api('/api/v1/reports/availability?month=2026-11', { accept: 'text/csv' })).text()).toContain(
      'mes,nivel,zona',
    );
  });

  it('the 90-day bars on / use the same rule (history starting this month: the same percent)', async () => {
    const home = await (await get('/')).text();
    const label = (name: string) =>
      new RegExp(`aria-label="Disponibilidad de ${name} en los últimos 90 días: ([^.]+\\.\\d+ %)`).exec(home)?.[1];
    const page = await (await get('/disponibilidad/2026-11')).text();
    expect(label('Metepec · Fibra óptica')).toBe(rowPercent(page, 'Metepec', 'Fibra óptica'));
    expect(label('Lerma · Fibra óptica')).toBe(rowPercent(page, 'Lerma', 'Fibra óptica'));
    expect(label('Toluca · Fibra óptica')).toBe('100.00 %');
  });

  it('months in the future or before the first status record: a clear 4xx everywhere', async () => {
    for (const month of ['2026-12', '2026-10', '2026-13']) {
      const res = await get(`/disponibilidad/${month}`);
      expect(res.status, month).toBe(404);
      const html = await res.text();
      expect(html).toContain('Mes sin cifras de disponibilidad');
      expect(html).toMatch(/noviembre de 2026|AAAA-MM/);
      expect((await get(`/disponibilidad/${month}.csv`)).status).toBe(404);
    }
    const future = await api('/api/v1/reports/availability?month=2027-01');
    expect(future.status).toBe(422);
    const body = (await future.json()) as { error: { code: string; message: string; fields: Array<{ path: string }> } };
    expect(body.error.code).toBe('month_out_of_range');
    expect(body.error.message).toContain('noviembre de 2026');
    expect(body.error.fields[0].path).toBe('month');
    const early = (await (await api('/api/v1/reports/availability?month=2026-10')).json()) as {
      error: { code: string };
    };
    expect(early.error.code).toBe('month_out_of_range');
    const bad = (await (await api('/api/v1/reports/availability?month=noviembre')).json()) as {
      error: { code: string };
    };
    expect(bad.error.code).toBe('validation_failed');
    expect((await api('/api/v1/reports/availability?month=2026-11&format=xml')).status).toBe(422);
    expect((await get('/api/v1/reports/availability?month=2026-11')).status).toBe(401);
  });

  it('is in the published snapshot: every month, re-published every quarter hour while it runs and when an incident of it changes', () => {
    const now = clock.now();
    expect(collections.availabilityMonths.all(db, now)).toEqual(['2026-11']);
    expect(collections.availabilityMonths.timely(db, now)).toEqual(['2026-11']);
    const tick = stalePaths(emptyChange(), 'quarter-hour', db, now);
    for (const path of ['/disponibilidad', '/disponibilidad/2026-11', '/disponibilidad/2026-11.csv'])
      expect(tick.get(path), path).toEqual({ fresh: true });
    // The other minutes' ticks leave them (they state the minute they count to), not `/`.
    const minute = stalePaths(emptyChange(), 'minute', db, now);
    for (const path of ['/disponibilidad', '/disponibilidad/2026-11', '/disponibilidad/2026-11.csv'])
      expect(minute.has(path), path).toBe(false);
    expect(minute.get('/')).toEqual({ fresh: true });
    const change = { ...emptyChange(), site: true, incidents: new Set([incidentId]) };
    const paths = stalePaths(change, 'none', db, now);
    expect(paths.has('/disponibilidad/2026-11')).toBe(true);
    expect(paths.has('/disponibilidad/2026-11.csv')).toBe(true);
    // In December, November is still published and its figures stop moving (the clock leaves it once the month after has passed).
    const january = new Date('2027-01-15T18:00:00Z');
    expect(collections.availabilityMonths.all(db, january)).toEqual(['2026-11', '2026-12', '2027-01']);
    expect(collections.availabilityMonths.timely(db, january)).toEqual(['2026-12', '2027-01']);
  });
});
