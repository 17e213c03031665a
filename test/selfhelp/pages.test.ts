import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drainOutbox } from '#db/outbox/worker.ts';
import { fileTransport } from '../../api/email/file.ts';
import { startTestServer } from '../support/server.ts';
import { freshDb, testClock, testConfig } from '../support/db.ts';
import { startServer } from '../../api/server.ts';
import { clientKeyFor, FEASIBILITY_LIMIT_PER_HOUR } from '#db/commands/feasibility.ts';
import { describedBy, markedInvalid } from '../support/a11y.ts';

const clock = testClock('2026-11-26T18:00:00Z');
let s: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  s = await startTestServer({ now: clock.now });
});
afterAll(async () => {
  await s?.close();
});

const page = async (path: string) => {
  const res = await fetch(`${s.url}${path}`);
  return { res, html: await res.text() };
};
const decode = (html: string) =>
  html
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
const storedRequests = () => s.db.get<{ n: number }>(sql`SELECT count(*) AS n FROM feasibility_requests`)!.n;

const validForm = {
  company: 'Maquiladora del Valle SA',
  contact_name: 'Laura Pérez',
  email: 'laura@maquiladora.mx',
  phone: '722 123 4567',
  latitude: '19.5012',
  longitude: '-99.2033',
  address: 'Carretera Toluca–Atlacomulco km 12, nave 3',
  service: 'fiber',
  bandwidth: '200 Mbps',
  notes: '',
};
const postForm = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${s.url}/cobertura`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: s.url, ...headers },
    body: new URLSearchParams(fields).toString(),
  });

describe('navigation', () => {
  it('every page links to the self-help pages; Soporte goes to /soporte', async () => {
    const { html } = await page('/');
    for (const href of ['/autodiagnostico', '/leds', '/cobertura', '/soporte'])
      expect(html).toContain(`href="${href}"`);
    expect(html).not.toContain('href="#soporte"');
  });
});

describe('/soporte', () => {
  it('builds the exact subject and a mailto with subject and body', async () => {
    const { res, html } = await page('/soporte?criticidad=alta&servicio=Internet+por+fibra&cliente=Acme+%2F+C-77');
    expect(res.status).toBe(200);
    expect(html).toContain(
      '<output id="asunto-armado" class="subject">[Criticidad: Alta] – Falla en Internet por fibra – Acme / C-77</output>',
    );
    const href = decode(html.match(/href="(mailto:soporte@somnet\.com\.mx\?subject=[^"]+)"/)![1]);
    const url = new URL(href);
    expect(url.searchParams.get('subject')).toBe(
      '[Criticidad: Alta] \u2013 Falla en Internet por fibra \u2013 Acme / C-77',
    );
    expect(url.searchParams.get('body')).toContain('ID del servicio afectado');
  });

  it('shows channels with tel: link, the SLA table, escalation and security incidents', async () => {
    const { html } = await page('/soporte');
    expect(html).toContain('href="https://cliente.somnet.com.mx"');
    expect(html).toContain('href="tel:+527221675865"');
    expect(html).toContain('href="mailto:soporte@somnet.com.mx"');
    expect(html).toMatch(/<th scope="row">Alta<\/th><td>[^<]+<\/td><td>menos de 30 minutos<\/td>/);
    // «Baja velocidad» and «Intermitencia» are degradations: Media, like every default the NOC gets.
    expect(html).toMatch(
      /<th scope="row">Media<\/th><td>Degradación del servicio: intermitencia o baja velocidad<\/td><td>menos de 2 horas<\/td>/,
    );
    expect(html).toMatch(/<th scope="row">Baja<\/th><td>[^<]+<\/td><td>menos de 4 horas hábiles<\/td>/);
    expect(html).toContain('Escalación');
    expect(html).toContain('«Incidente de Seguridad»');
    expect(html).not.toContain('id="asunto-armado"');
  });
});

describe('/leds', () => {
  it('is served pre-rendered, with a drawn LED per state and red states linking to area status and support', async () => {
    const { res, html } = await page('/leds');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    for (const id of ['router', 'ont', 'antena', 'switch']) expect(html).toContain(`id="${id}"`);
    expect(html).toMatch(/class="led led-green led-blinking" role="img" aria-label="Parpadeando verde"/);
    const faults = html
      .split('<li class="fault">')
      .slice(1)
      .map((chunk) => chunk.slice(0, chunk.indexOf('</li>')));
    expect(faults.length).toBeGreaterThanOrEqual(5);
    for (const item of faults) {
      expect(item).toMatch(/led-red/);
      expect(item).toContain('href="/soporte"');
      expect(item).toContain('href="/zonas/metepec"');
    }
    expect(html).not.toMatch(/<script/);
  });
});

describe('/autodiagnostico', () => {
  it('asks only for the area before anything else', async () => {
    const { html } = await page('/autodiagnostico');
    expect(html).toContain('<select id="zona" name="zona" required>');
    expect(html).toContain('Comprobar mi zona');
    // Nobody is asked to unplug anything before we say whether we know of a problem there.
    expect(html).not.toContain('60 segundos completos');
    expect(html).not.toContain('name="reinicio"');
  });

  it('works as a GET form without JavaScript; the countdown script is a same-origin file', async () => {
    const { html } = await page('/autodiagnostico?zona=toluca');
    expect(html).toContain('<form method="get" action="/autodiagnostico#resultado"');
    expect(html).toContain('No tenemos fallas publicadas en Toluca en este momento');
    expect(html).toMatch(/<details class="steps" open>/);
    expect(html).toContain('<input type="hidden" name="zona" value="toluca">');
    expect(html).toContain('60 segundos completos');
    expect(html).toContain('href="/leds#ont"');
    expect(html).toMatch(/<script type="module" src="\/_astro\/[^"]+\.js"><\/script>/);
    expect(html).not.toMatch(/<script type="module">/);
  });

  it('asks for the area first, the message tied to the area field', async () => {
    const { html } = await page('/autodiagnostico?zona=&reinicio=si');
    expect(html).toContain('Elija su zona para continuar.');
    expect(describedBy(html, /<select id="zona"[^>]*>/)).toBe('Elija su zona para continuar.');
    expect(markedInvalid(html, /<select id="zona"[^>]*>/)).toBe(true);
    const fresh = await page('/autodiagnostico');
    expect(describedBy(fresh.html, /<select id="zona"[^>]*>/)).toBe('');
    expect(markedInvalid(fresh.html, /<select id="zona"[^>]*>/)).toBe(false);
  });

  it('with no known problem, gives the results ready to paste and the channels', async () => {
    const { html } = await page('/autodiagnostico?zona=toluca&reinicio=si&leds=rojo&cable=falla');
    expect(html).toContain('No tenemos fallas publicadas en Toluca');
    const text = decode(html.match(/<textarea id="resultados"[^>]*>([^<]*)<\/textarea>/)![1]);
    expect(text).toContain('- Zona: Toluca.');
    expect(text).toContain('No, tampoco funciona por cable');
    // The result is a block of its own: what the checks say, and the criticality to ask for.
    const verdict = html.match(/<dl class="facts verdict"[^>]*>([\s\S]*?)<\/dl>/)![1];
    expect(verdict).toMatch(/<dt[^>]*>Criticidad sugerida<\/dt>\s*<dd[^>]*>\s*<strong[^>]*>Alta<\/strong>/);
    expect(html).toContain('href="tel:+527221675865"');
    expect(html).toContain('href="https://cliente.somnet.com.mx"');
  });

  it('lists the missing steps when the form is incomplete, tied to the unanswered steps', async () => {
    const { html } = await page('/autodiagnostico?zona=toluca&reinicio=si');
    expect(html).toContain('Responda los tres pasos');
    expect(html).not.toContain('id="resultados"');
    const step = (n: number) => new RegExp(`<fieldset[^>]*>(?=\\s*<legend><strong>Paso ${n}\\.)`);
    expect(describedBy(html, step(1))).toBe('');
    expect(describedBy(html, step(2))).toMatch(/^Responda los tres pasos/);
    expect(describedBy(html, step(3))).toMatch(/^Responda los tres pasos/);
  });

  it('says "ya lo sabemos" with cause and ETA when an active incident affects the area, and stops there', async () => {
    const created = await s.api('POST', '/api/v1/incidents', {
      name: 'Corte de fibra en Metepec',
      status: 'identified',
      impact: 'critical',
      body: 'Cuadrilla en camino.',
      cause: 'Corte de fibra por obra civil',
      eta: '2026-11-26T20:00:00-06:00',
      components: { 'metepec-fibra': 'major_outage' },
    });
    expect(created.status).toBe(201);
    const { html } = await page(
      `/autodiagnostico?zona=metepec&tecnologia=${encodeURIComponent('Fibra óptica')}&reinicio=si&leds=rojo&cable=falla`,
    );
    expect(html).toContain('Ya lo sabemos: hay una falla en Metepec');
    expect(html).toContain('Corte de fibra en Metepec');
    expect(html).toContain('Corte de fibra por obra civil');
    expect(html).toContain('datetime="2026-11-27T02:00:00.000Z"');
    expect(html).not.toContain('id="resultados"');
    // The steps stay folded away: nobody is asked to unplug equipment for a known outage.
    expect(html).toContain(
      '<details class="steps"><summary>Mi falla parece ser otra: hacer el autodiagnóstico</summary>',
    );
    expect(html.indexOf('Corte de fibra por obra civil')).toBeLessThan(html.indexOf('Paso 1.'));
    // Another area is not affected.
    const other = await page('/autodiagnostico?zona=lerma&reinicio=si&leds=rojo&cable=falla');
    expect(other.html).not.toContain('Ya lo sabemos');
  });
});

describe('/cobertura without JavaScript', () => {
  it('lists the covered localities by technology, with live status', async () => {
    const { res, html } = await page('/cobertura');
    expect(res.status).toBe(200);
    expect(html).toContain('<h3 id="loc-fiber">Fibra óptica</h3>');
    expect(html).toContain('<h3 id="loc-microwave">Inalámbrico (microondas)</h3>');
    expect(html).toContain('Metepec centro');
    expect(html).toContain('Zinacantepec y San Cristóbal Tecolit');
    // The map and its controls appear only when the script runs.
    expect(html).toMatch(/<div id="mapa" class="map" hidden/);
    expect(html).toMatch(/<fieldset id="capas" class="stack" hidden/);
    expect(html).toContain('<form method="get" action="/cobertura#respuesta"');
  });

  it('widens img-src for the tile host on this page only', async () => {
    const { res } = await page('/cobertura');
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'self'; img-src 'self' data: https://tile.openstreetmap.org; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'",
    );
    const other = await page('/soporte');
    expect(other.res.headers.get('content-security-policy')).toContain("img-src 'self' data:;");
  });

  it('answers typed coordinates with technology and live area status', async () => {
    const { html } = await page('/cobertura?lat=19.25&lon=-99.6');
    expect(html).toContain('<strong>Sí hay cobertura</strong> en 19.25, -99.6');
    expect(html).toMatch(
      /Fibra óptica · Metepec centro \(Metepec\) — estado actual: <span class="status status-major_outage" title="Interrupción total">Sin servicio</,
    );
    expect(html).toMatch(
      /Inalámbrico \(microondas\) · Metepec y San Bartolomé Tlaltelulco \(Metepec\) — estado actual: <span class="status status-operational">/,
    );
  });

  it('outside coverage, points to the feasibility form prefilled with the point', async () => {
    const { html } = await page('/cobertura?lat=19.5012&lon=-99.2033');
    expect(html).toContain('Ese punto está fuera del área marcada');
    expect(html).toMatch(/id="f-latitude" name="latitude" value="19.5012"/);
    expect(html).toMatch(/id="f-longitude" name="longitude" value="-99.2033"/);
  });

  it('explains invalid coordinates next to the coordinate fields', async () => {
    const { html } = await page('/cobertura?lat=norte&lon=-99.2');
    expect(html).toContain('Escriba la latitud (entre -90 y 90)');
    for (const id of ['lat', 'lon']) {
      expect(describedBy(html, new RegExp(`<input id="${id}"[^>]*>`))).toMatch(
        /^Escriba la latitud \(entre -90 y 90\)/,
      );
      expect(markedInvalid(html, new RegExp(`<input id="${id}"[^>]*>`))).toBe(true);
    }
    const good = await page('/cobertura?lat=19.25&lon=-99.6');
    expect(markedInvalid(good.html, /<input id="lat"[^>]*>/)).toBe(false);
  });
});

describe('feasibility form (POST /cobertura)', () => {
  it('shows Spanish errors next to each invalid field, keeps the values, stores nothing', async () => {
    const res = await postForm({
      ...validForm,
      company: '',
      email: 'laura@',
      phone: '12',
      latitude: '95',
      longitude: 'oeste',
      service: 'fibra',
    });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('<p class="field-error" id="e-company">Escriba el nombre de su empresa.</p>');
    expect(html).toContain(
      '<p class="field-error" id="e-email">Escriba un correo electrónico válido, p. ej. nombre@empresa.com.</p>',
    );
    expect(html).toContain(
      '<p class="field-error" id="e-phone">Escriba un teléfono de 10 dígitos, p. ej. 722 123 4567.</p>',
    );
    expect(html).toContain('<p class="field-error" id="e-latitude">La latitud debe estar entre -90 y 90.</p>');
    expect(html).toContain('id="e-longitude">La longitud debe ser un número');
    expect(html).toContain('<p class="field-error" id="e-service">Elija el servicio que le interesa.</p>');
    expect(html).toMatch(/id="f-email" name="email" value="laura@" aria-invalid="true" aria-describedby="e-email"/);
    expect(html).toMatch(/id="f-contact_name" name="contact_name" value="Laura Pérez"/);
    expect(html).not.toContain('id="e-contact_name"');
    expect(storedRequests()).toBe(0);
  });

  it('ties every field error to its field, comments included', async () => {
    const res = await postForm({ ...validForm, email: 'laura@', notes: 'x'.repeat(2001) });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(describedBy(html, /<input id="f-email"[^>]*>/)).toMatch(/^Escriba un correo electrónico válido/);
    expect(describedBy(html, /<textarea id="f-notes"[^>]*>/)).not.toBe('');
    expect(markedInvalid(html, /<textarea id="f-notes"[^>]*>/)).toBe(true);
    expect(describedBy(html, /<input id="f-company"[^>]*>/)).toBe('');
    expect(storedRequests()).toBe(0);
  });

  it('answers 400, not 500, to a body that is not a form', async () => {
    const res = await fetch(`${s.url}/cobertura`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: s.url },
      body: 'hola',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('No pudimos leer el formulario');
    expect(storedRequests()).toBe(0);
  });

  it('refuses a body over 16 KB with 413 before reading it', async () => {
    const res = await postForm({ ...validForm, notes: 'x'.repeat(20_000) });
    expect(res.status).toBe(413);
    expect(await res.text()).toContain('El formulario es demasiado grande');
    expect(storedRequests()).toBe(0);
  });

  it('refuses a cross-site post', async () => {
    const res = await postForm(validForm, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(storedRequests()).toBe(0);
  });

  it('stores a valid request, redirects to a confirmation, and lists it for the NOC', async () => {
    const res = await postForm(validForm);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/cobertura?solicitud=recibida#factibilidad');
    expect(storedRequests()).toBe(1);
    // The sender's address is known (rate limiting per connection), stored only hashed.
    const key = s.db.get<{ client_key: string }>(sql`SELECT client_key FROM feasibility_requests`)!.client_key;
    expect([clientKeyFor('127.0.0.1'), clientKeyFor('::ffff:127.0.0.1')]).toContain(key);
    const { html } = await page('/cobertura?solicitud=recibida');
    expect(html).toContain('Recibimos su solicitud.');

    expect((await fetch(`${s.url}/api/v1/feasibility-requests`)).status).toBe(401);
    const list = await s.api('GET', '/api/v1/feasibility-requests');
    expect(list.status).toBe(200);
    const { feasibility_requests: rows } = await list.json();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      company: 'Maquiladora del Valle SA',
      contact_name: 'Laura Pérez',
      email: 'laura@maquiladora.mx',
      phone: '722 123 4567',
      latitude: 19.5012,
      longitude: -99.2033,
      service: 'fiber',
      bandwidth: '200 Mbps',
      notes: null,
      created_at: '2026-11-26T18:00:00.000Z',
    });
    expect(rows[0]).not.toHaveProperty('client_key');

    // And the coverage team gets it by email, through the outbox (.eml file transport here).
    const dir = mkdtempSync(join(tmpdir(), 'somnet-feasibility-mail-'));
    const sent = await drainOutbox(
      s.db,
      fileTransport(s.db, testConfig, dir, () => {}),
      { now: clock.now },
    );
    expect(sent).toBe(1);
    const [file] = readdirSync(dir).filter((f) => f.endsWith('.eml'));
    const eml = readFileSync(join(dir, file), 'utf8');
    expect(eml).toMatch(/^To: cobertura@somnet\.com\.mx\r?$/m);
    expect(eml).toMatch(/^Reply-To: laura@maquiladora\.mx\r?$/m);
    // The plain-text part, base64 as the file transport writes it.
    const textPart =
      /Content-Type: text\/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n([A-Za-z0-9+/=\r\n]+?)\r\n--/.exec(
        eml,
      )![1];
    const text = Buffer.from(textPart.replace(/\r\n/g, ''), 'base64').toString('utf8');
    expect(text).toContain('Empresa: Maquiladora del Valle SA');
    expect(text).toContain('19.5012, -99.2033');
    expect(eml).not.toMatch(/^List-Unsubscribe:/m);
  });

  it(`rate-limits a sender to ${FEASIBILITY_LIMIT_PER_HOUR} requests per hour`, async () => {
    const before = storedRequests();
    for (let i = before; i < FEASIBILITY_LIMIT_PER_HOUR; i++) expect((await postForm(validForm)).status).toBe(303);
    const refused = await postForm(validForm);
    expect(refused.status).toBe(429);
    expect(await refused.text()).toContain('Recibimos varias solicitudes desde su conexión en la última hora.');
    expect(storedRequests()).toBe(FEASIBILITY_LIMIT_PER_HOUR);
    clock.advance(61 * 60_000);
    expect((await postForm(validForm)).status).toBe(303);
    expect(storedRequests()).toBe(FEASIBILITY_LIMIT_PER_HOUR + 1);
  });
});

describe('MAP_TILE_URL', () => {
  it('reaches the map and the page CSP, subdomains as a wildcard', async () => {
    const db = freshDb();
    const running = await startServer({
      db,
      config: { ...testConfig, port: 0, mapTileUrl: 'https://{s}.tiles.example.mx/{z}/{x}/{y}.png' },
      workers: [],
    });
    try {
      const res = await fetch(`${running.url}/cobertura`);
      const html = await res.text();
      expect(res.headers.get('content-security-policy')).toContain("img-src 'self' data: https://*.tiles.example.mx;");
      expect(decode(html)).toContain('"url":"https://{s}.tiles.example.mx/{z}/{x}/{y}.png"');
    } finally {
      await running.close();
      db.$client.close();
    }
  });
});
