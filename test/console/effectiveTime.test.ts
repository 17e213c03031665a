// The console declares and corrects when an outage started and when service came back, in Mexico
// City local time, with each error in Spanish beside its field and nothing saved.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createIncident } from '#db/commands/incidents.ts';
import { systemActor } from '#db/commands/audit.ts';
import { componentCatalogue, incidentDetail } from '#db/queries/index.ts';
import { auditLog } from '#db/schema/index.ts';
import { startTestServer } from '../support/server.ts';
import { testClock } from '../support/db.ts';
import { describedBy, markedInvalid } from '../support/a11y.ts';
import { addUser, ConsoleClient, hiddenValue } from './support.ts';

const clock = testClock('2026-12-07T07:56:00Z'); // 01:56 in Mexico City
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

const count = () => (server.db.$client.prepare('SELECT count(*) AS n FROM incidents').get() as { n: number }).n;

describe('the composer: «Inicio de la falla»', () => {
  it('refuses a start in the future beside the field, then publishes a backdated one', async () => {
    const html = await (await guardia.get('/noc/incidentes/nuevo')).text();
    const fields = {
      csrf: hiddenValue(html, 'csrf')!,
      idem: hiddenValue(html, 'idem')!,
      name: 'Corte de fibra en Metepec',
      impact: 'critical',
      status: 'identified',
      body: 'Un corte de fibra deja sin servicio a Metepec.',
      cause: '',
      eta: '',
      estado_componentes: 'major_outage',
      componente: componentCatalogue(server.db).all.find((c) => c.slug === 'metepec-fibra')!.id,
    };
    const future = await guardia.post('/noc/incidentes/nuevo', {
      ...fields,
      started_at: '2026-12-07T03:00',
      accion: 'vista-previa',
    });
    expect(future.status).toBe(422);
    const refused = await future.text();
    expect(markedInvalid(refused, /<input id="started_at"[^>]*>/)).toBe(true);
    expect(describedBy(refused, /<input id="started_at"[^>]*>/)).not.toBe('');
    expect(count()).toBe(0);

    const preview = await guardia.post('/noc/incidentes/nuevo', {
      ...fields,
      started_at: '2026-12-07T00:48',
      accion: 'vista-previa',
    });
    const page = await preview.text();
    expect(preview.status).toBe(200);
    const published = await guardia.post('/noc/incidentes/nuevo', {
      ...fields,
      started_at: '2026-12-07T00:48',
      vista: hiddenValue(page, 'vista')!,
      accion: 'publicar',
    });
    expect(published.status).toBe(303);
    const id = /\/noc\/incidentes\/(\w+)/.exec(published.headers.get('location')!)![1];
    expect(incidentDetail(server.db, id)!.startedAt.toISOString()).toBe('2026-12-07T06:48:00.000Z');
  });
});

describe('the update form and the correction', () => {
  let id = '';
  beforeAll(() => {
    id = createIncident(
      server.db,
      {
        name: 'Intermitencia en Toluca',
        status: 'investigating',
        body: 'Revisamos cortes breves.',
        components: { 'toluca-fibra': 'partial_outage' },
      },
      { now: clock.now(), actor: systemActor },
    ).id;
  });

  it('corrects «Inicio de la falla», audited with the start it replaced', async () => {
    const bad = await guardia.submit(`/noc/incidentes/${id}`, {
      accion: 'corregir',
      name: 'Intermitencia en Toluca',
      impact: 'major',
      started_at: '2026-12-07T05:00',
    });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(markedInvalid(html, /<input id="corregir-started_at"[^>]*>/)).toBe(true);
    expect(describedBy(html, /<input id="corregir-started_at"[^>]*>/)).toMatch(/\S/);
    const ok = await guardia.submit(`/noc/incidentes/${id}`, {
      accion: 'corregir',
      name: 'Intermitencia en Toluca',
      impact: 'major',
      started_at: '2026-12-07T01:30',
    });
    expect(ok.status).toBe(303);
    expect(incidentDetail(server.db, id)!.startedAt.toISOString()).toBe('2026-12-07T07:30:00.000Z');
    const audit = server.db.select().from(auditLog).where(eq(auditLog.subjectId, id)).all();
    expect(JSON.stringify(audit.map((a) => a.details))).toContain('2026-12-07T07:56:00.000Z');
  });

  it('resolves with «Hora en que volvió el servicio», refusing one in the future beside the field', async () => {
    clock.set('2026-12-07T08:20:00Z'); // 02:20 (within the console's 30-minute idle limit)
    const future = await guardia.submit(`/noc/incidentes/${id}`, {
      status: 'resolved',
      body: 'Estable.',
      resolved_at: '2026-12-07T03:00',
    });
    expect(future.status).toBe(422);
    const html = await future.text();
    expect(markedInvalid(html, /<input id="resolved_at"[^>]*>/)).toBe(true);
    expect(describedBy(html, /<input id="resolved_at"[^>]*>/)).toMatch(/\S/);
    expect(incidentDetail(server.db, id)!.resolvedAt).toBeNull();
    const ok = await guardia.submit(`/noc/incidentes/${id}`, {
      status: 'resolved',
      body: 'Estable desde las 02:08.',
      resolved_at: '2026-12-07T02:08',
    });
    expect(ok.status).toBe(303);
    expect(incidentDetail(server.db, id)!.resolvedAt?.toISOString()).toBe('2026-12-07T08:08:00.000Z');
  });
});
