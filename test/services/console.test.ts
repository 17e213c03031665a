// The NOC console through the real server: how many customer services, customers and contacts an
// incident or a maintenance reaches, with the list, before publishing and afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaceServiceInventory } from '#db/commands/services.ts';
import { systemActor } from '#db/commands/audit.ts';
import { componentCatalogue } from '#db/queries/index.ts';
import { testClock } from '../support/db.ts';
import { startTestServer } from '../support/server.ts';
import { addUser, ConsoleClient } from '../console/support.ts';
import { inventory } from './fixtures.ts';

const clock = testClock('2026-11-26T16:00:00Z');
let server: Awaited<ReturnType<typeof startTestServer>>;
let guardia: ConsoleClient;

beforeAll(async () => {
  server = await startTestServer({ now: clock.now, publicUrl: 'http://127.0.0.1' });
  replaceServiceInventory(server.db, inventory, { now: clock.now(), actor: systemActor });
  addUser(server.db, 'guardia@somnet.com.mx', 'noc', 'clave-de-la-guardia', { mustChange: false });
  guardia = new ConsoleClient(server.url);
  await guardia.login('guardia@somnet.com.mx', 'clave-de-la-guardia');
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const group = (slug: string) => componentCatalogue(server.db).groups.find((g) => g.slug === slug)!;

describe('affected customer services in the console', () => {
  it('the maintenance form says, before publishing, how many services, customers and contacts the window reaches', async () => {
    const res = await guardia.submit('/noc/mantenimientos/nuevo', {
      name: 'Cambio de tarjetas en Metepec',
      body: 'Cortes breves.',
      scheduled_for: '2026-12-02T00:00',
      scheduled_until: '2026-12-02T03:00',
      zona: group('metepec').id,
      impact_kind: 'outage',
      auto_transition: '1',
      accion: 'comprobar',
    });
    const html = await res.text();
    expect(html).toContain('Afecta a 2 servicios de 1 cliente; se avisará a 2 contactos técnicos.');
    expect(html).toContain('<summary>Ver la lista</summary>');
    expect(html).toContain('<th scope="row">SOM-12345</th>');
    expect(html).toContain('Abarrotes La Esperanza SA de CV');
    expect(html).not.toContain('SOM-20001');
  });

  it('the incident composer’s preview, and the incident page afterwards, show the reach (element included)', async () => {
    const metepecFibra = componentCatalogue(server.db).all.find((c) => c.slug === 'metepec-fibra')!;
    const preview = await guardia.submit('/noc/incidentes/nuevo', {
      name: 'Corte de fibra en Metepec',
      impact: 'critical',
      status: 'identified',
      body: 'Cuadrilla en camino.',
      cause: 'Obra civil',
      estado_componentes: 'major_outage',
      componente: metepecFibra.id,
      notificar: '1',
      accion: 'vista',
    });
    const previewHtml = await preview.text();
    expect(previewHtml).toContain('Servicios de clientes afectados');
    expect(previewHtml).toContain('Afecta a 2 servicios de 1 cliente; se avisará a 2 contactos técnicos.');

    const created = await server.api('POST', '/api/v1/incidents', {
      name: 'Falla de la torre de Lerma',
      status: 'investigating',
      body: 'Revisamos.',
      elements: ['TORRE-LERMA-AP2'],
    });
    const { id } = await created.json();
    const page = await (await guardia.get(`/noc/incidentes/${id}`)).text();
    expect(page).toContain('Afecta a 1 servicio de 1 cliente; avisos a 1 contacto técnico.');
    expect(page).toContain('elemento de red TORRE-LERMA-AP2');
  });

  it('the composer takes network elements: an unknown one is shown next to the field; a known one counts and is published', async () => {
    const fields = {
      name: 'Torre de Lerma',
      impact: 'major',
      status: 'identified',
      body: 'Sustituimos el radio.',
      cause: '',
      estado_componentes: 'major_outage',
      notificar: '1',
    };
    const bad = await guardia.submit('/noc/incidentes/nuevo', {
      ...fields,
      elementos: 'TORRE-LERMA-AP2, TORRE-XX',
      accion: 'vista',
    });
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toContain('No existe el elemento de red «TORRE-XX» en el inventario de servicios.');
    expect(badHtml).toMatch(/id="elementos"[^>]*aria-invalid="true"/);

    const preview = await guardia.submit('/noc/incidentes/nuevo', {
      ...fields,
      elementos: 'torre-lerma-ap2',
      accion: 'vista',
    });
    const html = await preview.text();
    expect(html).toContain('Afecta a 1 servicio de 1 cliente; se avisará a 1 contacto técnico.');
    const vista = /name="vista" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const idem = /name="idem" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const published = await guardia.post('/noc/incidentes/nuevo', {
      csrf,
      idem,
      vista,
      ...fields,
      elementos: 'torre-lerma-ap2',
      accion: 'publicar',
    });
    expect(published.status).toBe(303);
    const id = /\/noc\/incidentes\/(\w+)/.exec(published.headers.get('location') ?? '')![1];
    expect((await (await server.api('GET', `/api/v1/incidents/${id}`)).json()).elements).toEqual(['TORRE-LERMA-AP2']);
  });

  it('the maintenance page shows its reach', async () => {
    const start = new Date(clock.now().getTime() + 5 * 86_400_000);
    const created = await server.api('POST', '/api/v1/maintenances', {
      name: 'Cambio de OLT',
      body: 'Cortes breves.',
      components: ['zinacantepec-fibra'],
      elements: ['OLT-TOL-03'],
      scheduled_for: start.toISOString(),
      scheduled_until: new Date(start.getTime() + 3_600_000).toISOString(),
    });
    const { id } = await created.json();
    const page = await (await guardia.get(`/noc/mantenimientos/${id}`)).text();
    expect(page).toContain('Afecta a 1 servicio de 1 cliente; avisos a 1 contacto técnico.');
    expect(page).toContain('<th scope="row">SOM-30001</th>');
  });
});
