// "When monitoring saw a fault, no page may deny it": an alert holds San Mateo Atenco's fibre at
// «Baja velocidad» with no incident published. Every public page says so in the same words, with
// the minute the fault began (the alert's startsAt, 20 minutes before we received it), and
// self-diagnosis asks nobody to power-cycle for it. Once an incident explains it, the pages speak
// of the incident instead. Self-diagnosis asks the technology with the zone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaceServiceInventory } from '#db/commands/services.ts';
import { systemActor } from '#db/commands/audit.ts';
import { freshDb, testClock } from '../support/db.ts';
import { startTestServer } from '../support/server.ts';
import { alertmanagerPayload } from '../alerts/payloads.ts';

const clock = testClock('2026-12-07T20:25:00Z'); // 14:25 in Mexico City
let s: Awaited<ReturnType<typeof startTestServer>>;

const page = async (path: string) => {
  const res = await fetch(`${s.url}${path}`);
  expect(res.status, path).toBe(200);
  return res.text();
};
const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
const FIBRE = encodeURIComponent('Fibra óptica');
const RADIO = encodeURIComponent('Inalámbrico (microondas)');
// The alert's startsAt: 14:05 local, 20 minutes before the delivery.
const SAID =
  'Nuestro monitoreo detectó una falla en San Mateo Atenco · Fibra óptica a las 14:05 del 7 de diciembre de 2026';

beforeAll(async () => {
  s = await startTestServer({ db: freshDb(), now: clock.now });
  replaceServiceInventory(
    s.db,
    {
      services: [
        {
          service_id: 'SOM-55501',
          customer_id: 'C-555',
          company: 'Empacadora Atenco',
          label: 'Planta',
          technology: 'Fibra óptica',
          component: 'san-mateo-atenco-fibra',
          elements: ['OLT-SMA-01'],
          contacts: [{ name: 'Ana', email: 'ana@empacadora.example' }],
        },
      ],
    },
    { now: clock.now(), actor: systemActor },
  );
  const payload = alertmanagerPayload([
    {
      labels: { alertname: 'OltPerdidaPaquetes', component: 'san-mateo-atenco-fibra', severity: 'warning' },
      annotations: { summary: 'Pérdida de paquetes de 8 % en la OLT' },
      startsAt: '2026-12-07T20:05:00Z',
    },
  ]);
  expect((await s.api('POST', '/api/v1/alerts/alertmanager', payload)).status).toBe(200);
});
afterAll(async () => {
  await s?.close();
});

describe('a fault monitoring saw, with nothing published', () => {
  it('is said on /, /zonas/:slug, /mi-servicio/:id, /status.txt and the v2 status, from its start', async () => {
    const home = text(await page('/'));
    expect(home).toContain(`${SAID}; la estamos verificando.`);
    const area = text(await page('/zonas/san-mateo-atenco'));
    expect(area).toContain(`${SAID}; la estamos verificando.`);
    expect(area).not.toContain('Sin incidencias conocidas');
    const service = text(await page('/mi-servicio/SOM-55501'));
    expect(service).toContain('Nuestro monitoreo detectó una falla en la red de su servicio');
    expect(service).toContain(SAID);
    expect(service).not.toContain('no tenemos fallas conocidas');
    expect(service).toContain('No necesita reiniciar sus equipos');
    const txt = await page('/status.txt');
    expect(txt).toContain(`${SAID}; la estamos verificando.`);
    const status = JSON.parse(await page('/api/v2/status.json'));
    expect(status.status.description).toBe(`${SAID}; la estamos verificando.`);
    // Other areas are not told of it.
    expect(text(await page('/zonas/lerma'))).not.toContain('Nuestro monitoreo');
  });

  it('self-diagnosis: fibre customers are told, not asked to power-cycle; radio customers continue', async () => {
    const fibre = await page(`/autodiagnostico?zona=san-mateo-atenco&tecnologia=${FIBRE}`);
    expect(text(fibre)).toContain('Nuestro monitoreo detectó una falla en San Mateo Atenco');
    expect(text(fibre)).toContain('no necesita reiniciar sus equipos');
    expect(fibre).toContain('<details class="steps"><summary>Mi falla parece ser otra');
    expect(fibre).not.toContain('No tenemos fallas publicadas');
    // Named by the service ID alone: the same answer.
    const byId = await page('/autodiagnostico?zona=&id_servicio=SOM-55501');
    expect(text(byId)).toContain('Nuestro monitoreo detectó una falla en San Mateo Atenco');
    expect(byId).toContain('<details class="steps"><summary>Mi falla parece ser otra');
    const radio = await page(`/autodiagnostico?zona=san-mateo-atenco&tecnologia=${RADIO}`);
    expect(text(radio)).toContain(`${SAID}; la estamos verificando. Su enlace inalámbrico no aparece afectado.`);
    expect(text(radio)).toContain('No tenemos fallas publicadas en su enlace inalámbrico en San Mateo Atenco');
    expect(radio).toMatch(/<details class="steps" open>/);
    // Zone alone, with a fault on part of it: the technology is asked before anything is concluded.
    const zoneOnly = await page('/autodiagnostico?zona=san-mateo-atenco');
    expect(text(zoneOnly)).toContain('Díganos su tipo de enlace');
    expect(zoneOnly).not.toContain('name="reinicio"');
    expect(zoneOnly).not.toContain('Faltan:');
  });

  it('gives way to the incident once one is published for it', async () => {
    const res = await s.api('POST', '/api/v1/incidents', {
      name: 'Pérdida de paquetes en San Mateo Atenco',
      status: 'investigating',
      body: 'Revisamos la OLT.',
      components: { 'san-mateo-atenco-fibra': 'degraded_performance' },
    });
    expect(res.status).toBe(201);
    for (const path of ['/', '/zonas/san-mateo-atenco', '/status.txt', '/mi-servicio/SOM-55501'])
      expect(text(await page(path)), path).not.toContain('Nuestro monitoreo detectó');
    expect(JSON.parse(await page('/api/v2/status.json')).status.description).not.toContain('Nuestro monitoreo');
    const fibre = text(await page(`/autodiagnostico?zona=san-mateo-atenco&tecnologia=${FIBRE}`));
    expect(fibre).toContain('Ya lo sabemos: hay una falla en San Mateo Atenco · Fibra óptica');
    const radio = text(await page(`/autodiagnostico?zona=san-mateo-atenco&tecnologia=${RADIO}`));
    expect(radio).toContain(
      'La falla conocida en San Mateo Atenco afecta a la fibra óptica; su enlace inalámbrico no aparece afectado.',
    );
    expect(radio).not.toContain('Ya lo sabemos');
  });
});

describe('self-diagnosis asks before it says «faltan»', () => {
  it('shows no «Faltan» on arrival at the checks, only once something was answered or sent', async () => {
    const fresh = await page(`/autodiagnostico?zona=toluca&tecnologia=${FIBRE}`);
    expect(fresh).toContain('name="reinicio"');
    expect(fresh).not.toContain('Faltan:');
    const sent = await page(`/autodiagnostico?zona=toluca&tecnologia=${FIBRE}&pasos=1`);
    expect(sent).toContain('Faltan:');
  });
});
