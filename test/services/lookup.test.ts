// "¿Me afecta?" through the real server: the answer for affected, unaffected and unknown service
// IDs, nothing private in the HTML, the per-IP limit, and the ID carried into the ticket text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaceServiceInventory } from '#db/commands/services.ts';
import { systemActor } from '#db/commands/audit.ts';
import { RATE_LIMITS } from '#db/subscriptions/tokens.ts';
import { startTestServer } from '../support/server.ts';
import { inventory } from './fixtures.ts';

let server: Awaited<ReturnType<typeof startTestServer>>;
let incidentId: string;
let nextAddress = 1;

/** Each test looks up from its own client address (the test server trusts loopback's X-Forwarded-For). */
function client() {
  const ip = `198.51.100.${nextAddress++}`;
  return (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, {
      redirect: 'manual',
      ...init,
      headers: { 'x-forwarded-for': ip, ...(init.headers ?? {}) },
    });
}

/** Everything the inventory holds that no public page may show. */
const privateStrings = inventory.services.flatMap((s) => [
  s.company,
  s.label,
  ...s.elements,
  ...s.contacts.flatMap((c) => [c.name, c.email.toLowerCase(), c.email, ...('phone' in c && c.phone ? [c.phone] : [])]),
]);
const expectNothingPrivate = (html: string) => {
  for (const secret of privateStrings) expect(html, secret).not.toContain(secret);
};

beforeAll(async () => {
  server = await startTestServer();
  replaceServiceInventory(server.db, inventory, { now: new Date(), actor: systemActor });
  const res = await server.api('POST', '/api/v1/incidents', {
    name: 'Corte de fibra en Metepec',
    status: 'identified',
    body: 'Cuadrilla en camino al punto del corte.',
    cause: 'Obra civil dañó el cable',
    eta: new Date(Date.now() + 3 * 3_600_000).toISOString(),
    components: { 'metepec-fibra': 'major_outage' },
  });
  incidentId = (await res.json()).id;
  // A tower in Lerma, named by its element only: the public page shows no Lerma component down.
  await server.api('POST', '/api/v1/incidents', {
    name: 'Falla en un punto de acceso',
    status: 'investigating',
    body: 'Revisamos un equipo de la red inalámbrica.',
    elements: ['TORRE-LERMA-AP2'],
  });
  const start = new Date(Date.now() + 5 * 86_400_000);
  await server.api('POST', '/api/v1/maintenances', {
    name: 'Cambio de OLT en Toluca',
    body: 'Sustituimos la OLT; cortes de hasta 20 minutos.',
    components: ['zinacantepec-fibra'],
    elements: ['OLT-TOL-03'],
    scheduled_for: start.toISOString(),
    scheduled_until: new Date(start.getTime() + 3_600_000).toISOString(),
  });
}, 60_000);

afterAll(async () => {
  await server?.close();
});

describe('/mi-servicio/:service_id', () => {
  it('affected through its component: says so, with cause, ETA, what to do and the subscribe link; nothing private; never cached', async () => {
    const get = client();
    const res = await get('/mi-servicio/SOM-12345');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    const html = await res.text();
    expect(html).toContain('Sí: hay una falla que afecta a su servicio');
    expect(html).toContain('Metepec · Fibra óptica');
    expect(html).toContain('Obra civil dañó el cable');
    expect(html).toContain('Tiempo estimado de restauración');
    expect(html).toContain(`/incidentes/${incidentId}`);
    expect(html).toContain('No necesita levantar un ticket');
    expect(html).toContain('menos de 30 minutos');
    expect(html).toContain('href="/suscribirse?id_servicio=SOM-12345"');
    expect(html).not.toContain('<script');
    expectNothingPrivate(html);
    // Its own URL, any case.
    expect(await (await get('/mi-servicio/som-12345')).text()).toContain('Servicio SOM-12345');
  });

  it('affected through a network element only, without saying which', async () => {
    const html = await (await client()('/mi-servicio/SOM-20001')).text();
    expect(html).toContain('Sí: hay una falla que afecta a su servicio');
    expect(html).toContain('Falla en un punto de acceso');
    expect(html).not.toContain('Corte de fibra en Metepec');
    expectNothingPrivate(html);
  });

  it('unaffected: says there is no known fault, sends to the self-diagnosis, lists the maintenance that will reach it', async () => {
    const res = await client()('/mi-servicio/SOM-30001');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('No: no tenemos fallas conocidas en su servicio');
    expect(html).toContain('href="/autodiagnostico?id_servicio=SOM-30001"');
    expect(html).toContain('Próximos mantenimientos que afectan a su servicio');
    expect(html).toContain('Cambio de OLT en Toluca');
    expect(html).not.toContain('Corte de fibra en Metepec');
    expectNothingPrivate(html);
  });

  it('unknown ID: a clear 404 with the form again, the typed text escaped', async () => {
    const get = client();
    const res = await get('/mi-servicio/SOM-99999');
    expect(res.status).toBe(404);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    expect(await res.text()).toContain('No encontramos el servicio «SOM-99999»');
    const hostile = await (await get(`/mi-servicio/${encodeURIComponent('<b>x')}`)).text();
    expect(hostile).not.toContain('«<b>x»');
    expect(hostile).toContain('«&lt;b&gt;x»');
  });

  it(`limits lookups per client address to ${RATE_LIMITS.service_lookup.max} per window, found or not; another address is not held back`, async () => {
    const get = client();
    for (let i = 0; i < RATE_LIMITS.service_lookup.max; i++) {
      const res = await get(i % 2 ? '/mi-servicio/SOM-30001' : `/mi-servicio/SOM-${10_000 + i}`);
      expect(res.status).not.toBe(429);
      await res.body?.cancel();
    }
    const refused = await get('/mi-servicio/SOM-30001');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe(String(RATE_LIMITS.service_lookup.windowMs / 1000));
    const html = await refused.text();
    expect(html).toContain('Demasiadas consultas');
    expect(html).not.toContain('No: no tenemos fallas');
    expect((await client()('/mi-servicio/SOM-30001')).status).toBe(200);
  });
});

describe('/mi-servicio (the form)', () => {
  it('works without JavaScript: a valid ID goes to its own URL; a malformed one is shown next to the field', async () => {
    const get = client();
    const form = await get('/mi-servicio');
    expect(form.status).toBe(200);
    const html = await form.text();
    expect(html).toContain('<form method="get" action="/mi-servicio"');
    expect(html).not.toContain('<script');
    const go = await get('/mi-servicio?id_servicio=%20som-30001%20');
    expect(go.status).toBe(303);
    expect(go.headers.get('location')).toBe('/mi-servicio/SOM-30001');
    // However it is typed: « som 30001», «som30001».
    for (const typed of ['%20som%2030001', 'som30001']) {
      const typedGo = await get(`/mi-servicio?id_servicio=${typed}`);
      expect(typedGo.status).toBe(303);
      expect(typedGo.headers.get('location')).toBe('/mi-servicio/SOM-30001');
    }
    const bad = await get('/mi-servicio?id_servicio=SOM%2F12');
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toContain('id="id-servicio-error"');
    expect(badHtml).toContain('aria-invalid="true"');
  });
});

describe('subscribing to a service ID', () => {
  it('the link from the answer fills in /suscribirse, a page nginx sends to Node with that query', async () => {
    const html = await (await client()('/suscribirse?id_servicio=SOM-12345')).text();
    expect(html).toContain('name="id_servicio"');
    expect(html).toContain('value="SOM-12345"');
  });
});

describe('the service ID in the ticket text', () => {
  it('/soporte puts it in the email body it prepares', async () => {
    const html = await (await client()('/soporte?criticidad=alta&id_servicio=som-12345&cliente=C-100')).text();
    expect(html).toContain('ID del servicio afectado: SOM-12345');
    expect(html).toContain(encodeURIComponent('ID del servicio afectado: SOM-12345'));
    expect(html).toContain('value="som-12345"');
  });

  it('/autodiagnostico carries it into the results and the email', async () => {
    const html = await (
      await client()('/autodiagnostico?zona=toluca&id_servicio=SOM-30001&reinicio=si&leds=rojo&cable=falla')
    ).text();
    expect(html).toContain('ID del servicio afectado: SOM-30001');
  });
});
