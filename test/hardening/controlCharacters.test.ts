// Hostile input: control characters (C0, DEL, C1), noncharacters and lone surrogates are refused at
// input, by the one text primitive every command uses (db/commands/input.ts), so the API, the
// console and the public forms refuse them alike; messages and causes keep tab and line breaks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.ts';
import { describedBy } from '../support/a11y.ts';
import { addUser, ConsoleClient } from '../console/support.ts';
import { nameText, bodyText } from '#db/commands/input.ts';

let server: Awaited<ReturnType<typeof startTestServer>>;
let noc: ConsoleClient;

beforeAll(async () => {
  server = await startTestServer({ publicUrl: 'http://127.0.0.1' });
  addUser(server.db, 'admin@somnet.com.mx', 'admin', 'clave-de-administracion', { mustChange: false });
  noc = new ConsoleClient(server.url);
  expect((await noc.login('admin@somnet.com.mx', 'clave-de-administracion')).status).toBe(303);
});
afterAll(async () => {
  await server?.close();
});

const count = (table: string) =>
  (server.db.$client.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('the rule', () => {
  it('refuses every control, noncharacter and lone surrogate, naming the code point; bodies keep tab and line breaks', () => {
    const name = nameText('Escriba un nombre.');
    const body = bodyText('Escriba el mensaje.');
    for (const bad of [
      '\u0000',
      '\u0007',
      '\u001b',
      '\u007f',
      '\u0085',
      '\u009b',
      '\ufffe',
      '\uffff',
      '\ufdd0',
      '\u{1fffe}',
      '\u{10ffff}',
      '\ud800',
      '\udfff',
    ]) {
      const code = `U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
      expect(name.safeParse(`Corte${bad}Metepec`).error?.issues[0].message, code).toContain(
        `(${code}) en la posición 6`,
      );
      expect(body.safeParse(`Texto${bad}`).success, code).toBe(false);
    }
    for (const bidi of ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069']) {
      const code = `U+${bidi.codePointAt(0)!.toString(16).toUpperCase()}`;
      expect(name.safeParse(`Fibra${bidi}acitpó`).error?.issues[0].message, code).toBe(
        `El nombre contiene un carácter que invierte la dirección del texto (${code}) en la posición 6; quítelo y vuelva a intentarlo.`,
      );
      expect(body.safeParse(`Texto ${bidi}`).success, code).toBe(false);
    }
    expect(name.parse('Enlace \u200fשלום\u200e ok')).toBe('Enlace \u200fשלום\u200e ok');
    expect(name.safeParse('Dos\nlíneas').error?.issues[0].message).toContain('salto de línea o tabulador');
    expect(body.parse('Línea 1\n\tLínea 2\r\nLínea 3')).toBe('Línea 1\n\tLínea 2\r\nLínea 3');
    expect(name.parse('Fibra óptica 🛰️ Zinacantepec — «nodo» ñ')).toBe('Fibra óptica 🛰️ Zinacantepec — «nodo» ñ');
  });
});

describe('through the API', () => {
  it('422 with the field path, nothing written, for names, bodies, causes and catalogue names', async () => {
    const cases: Array<[string, string, Record<string, unknown>, string]> = [
      ['POST', '/api/v1/incidents', { name: 'Corte \u001b[2J en Metepec', status: 'investigating', body: 'x' }, 'name'],
      ['POST', '/api/v1/incidents', { name: 'Corte', status: 'investigating', body: 'Texto\u0000oculto' }, 'body'],
      [
        'POST',
        '/api/v1/incidents',
        { name: 'Corte', status: 'investigating', body: 'x', cause: 'Obra \u0085civil' },
        'cause',
      ],
      ['POST', '/api/v1/incidents', { name: 'Corte \ud800', status: 'investigating', body: 'x' }, 'name'],
      ['PATCH', '/api/v1/components/metepec-fibra', { name: 'Fibra\ufffe' }, 'name'],
      ['PATCH', '/api/v1/groups/metepec', { name: 'Metepec\u{1ffff}' }, 'name'],
      ['PATCH', '/api/v1/components/metepec-fibra', { name: 'Fibra \u202eacitpó' }, 'name'],
      // The line and paragraph separators end a JavaScript string in some embeddings.
      ['PATCH', '/api/v1/components/metepec-fibra', { name: 'Fibra\u2028óptica' }, 'name'],
      ['POST', '/api/v1/incidents', { name: 'Corte', status: 'investigating', body: 'Uno\u2029dos' }, 'body'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await server.api(method, path, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect((await res.json()).error.fields).toEqual([
        {
          path: field,
          message: expect.stringMatching(
            /contiene (un carácter de control o no válido|un carácter que invierte la dirección del texto|un separador de línea o de párrafo Unicode) \(U\+[0-9A-F]{4,6}\)/,
          ),
        },
      ]);
    }
    expect(count('incidents')).toBe(0);
    expect(server.db.$client.prepare("SELECT name FROM components WHERE slug = 'metepec-fibra'").get()).toEqual({
      name: 'Fibra óptica',
    });
    const multiline = await server.api('POST', '/api/v1/incidents', {
      name: 'Corte en Metepec',
      status: 'investigating',
      body: 'Primera línea.\n\tDetalle.',
      components: { 'metepec-fibra': 'major_outage' },
    });
    expect(multiline.status).toBe(201);
    expect(await (await fetch(`${server.url}/status.txt`)).text()).not.toMatch(
      /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/,
    );
  });
});

describe('through the console and the public forms', () => {
  it('the composer shows the message next to the title and saves nothing', async () => {
    const before = count('incidents');
    const res = await noc.submit('/noc/incidentes/nuevo', {
      accion: 'vista-previa',
      name: 'Corte \u001b]0;x\u0007 en Lerma',
      impact: 'major',
      status: 'investigating',
      body: 'Revisando.',
      componente: 'lerma-fibra',
    });
    expect(res.status).toBe(422);
    expect(describedBy(await res.text(), /<input id="name"[^>]*>/)).toMatch(
      /^El título contiene un carácter de control o no válido \(U\+001B\)/,
    );
    expect(count('incidents')).toBe(before);
  });

  it('the catalogue refuses a control character in an area name', async () => {
    const res = await noc.submit('/noc/admin/catalogo', {
      accion: 'zona-nueva',
      zona_nombre: 'Ocoyoacac\u009b',
      zona_slug: '',
      zona_descripcion: '',
    });
    expect(res.status).toBe(422);
    expect(describedBy(await res.text(), /<input id="zona_nombre"[^>]*>/)).toContain('(U+009B)');
    expect(
      server.db.$client.prepare("SELECT count(*) AS n FROM component_groups WHERE name LIKE 'Ocoyoacac%'").get(),
    ).toEqual({ n: 0 });
  });

  it('/suscribirse and /cobertura show it next to the field; a multi-line address is fine', async () => {
    const post = (path: string, fields: Record<string, string>) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
        body: new URLSearchParams(fields).toString(),
      });
    const sub = await post('/suscribirse', { email: 'cliente@empresa.mx', cliente: 'ACME\u0000', alcance: 'todas' });
    expect(sub.status).toBe(422);
    expect(describedBy(await sub.text(), /<input id="cliente"[^>]*>/)).toContain('(U+0000)');
    expect(count('subscribers')).toBe(0);
    const fields = {
      company: 'Maquiladora\u001b del Valle',
      contact_name: 'Laura Pérez',
      email: 'laura@maquiladora.mx',
      phone: '722 123 4567',
      latitude: '19.5012',
      longitude: '-99.2033',
      address: 'Carretera Toluca–Atlacomulco km 12\r\nNave 3',
      service: 'fiber',
      bandwidth: '',
      notes: 'Acceso por\tportón 2',
    };
    const bad = await post('/cobertura', fields);
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(describedBy(html, /<input id="f-company"[^>]*>/)).toContain('(U+001B)');
    expect(describedBy(html, /<textarea id="f-address"[^>]*>/)).toBe('');
    expect((await post('/cobertura', { ...fields, company: 'Maquiladora del Valle' })).status).toBe(303);
  });
});
