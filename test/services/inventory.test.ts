import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import {
  affectedServices,
  normalizeElement,
  serviceAffectedBy,
  type ServiceFootprint,
} from '#db/domain/affectedServices.ts';
import {
  affectedCounts,
  affectedServicesFor,
  componentCatalogue,
  incidentScope,
  listServices,
  maintenanceScope,
} from '#db/queries/index.ts';
import { testApp } from '../support/db.ts';
import { inventory } from './fixtures.ts';

const t = testApp();
const { json, db, app, auth } = t;

const count = (table: string) => db.get<{ n: number }>(sql.raw(`select count(*) as n from ${table}`)).n;
const fieldPaths = (body: { error: { fields?: Array<{ path: string }> } }) =>
  (body.error.fields ?? []).map((f) => f.path);
const putCsv = (csv: string) =>
  app.request('/api/v1/services', {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'text/csv; charset=utf-8' },
    body: csv,
  });

describe('PUT /api/v1/services (JSON)', () => {
  it('imports the inventory and gives it back, by customer and by service ID (any case)', async () => {
    const res = await json('PUT', '/api/v1/services', inventory);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({ services: 4, customers: 3, contacts: 4, elements: 5 });

    const all = await (await json('GET', '/api/v1/services')).json();
    expect(all.services.map((s: { service_id: string }) => s.service_id)).toEqual([
      'SOM-12345',
      'SOM-12346',
      'SOM-20001',
      'SOM-30001',
    ]);
    expect(all.services[0]).toEqual({
      service_id: 'SOM-12345',
      customer_id: 'C-100',
      company: 'Abarrotes La Esperanza SA de CV',
      label: 'Sucursal Centro',
      technology: 'Fibra óptica',
      component: 'metepec-fibra',
      elements: ['OLT-MET-01', 'PON-MET-01/1'],
      monthly_price_mxn: 3499,
      contacts: [
        { name: 'Laura Gómez', email: 'laura@esperanza.mx', phone: '722 100 2000' },
        { name: 'NOC Esperanza', email: 'noc@esperanza.mx', phone: null },
      ],
    });
    const mine = await (await json('GET', '/api/v1/services?customer_id=C-100')).json();
    expect(mine.services.map((s: { service_id: string }) => s.service_id)).toEqual(['SOM-12345', 'SOM-12346']);
    const one = await json('GET', '/api/v1/services/som-20001');
    expect(one.status).toBe(200);
    expect((await one.json()).label).toBe('Patio Lerma');
    const missing = await json('GET', '/api/v1/services/SOM-99999');
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('not_found');
  });

  it('a GET can be sent back as is', async () => {
    const all = await (await json('GET', '/api/v1/services')).json();
    const again = await json('PUT', '/api/v1/services', all);
    expect(again.status).toBe(200);
    expect(await (await json('GET', '/api/v1/services')).json()).toEqual(all);
  });

  it('replaces the whole inventory: services left out are gone, with their elements and contacts', async () => {
    const res = await json('PUT', '/api/v1/services', { services: [inventory.services[2]] });
    expect(res.status).toBe(200);
    expect(count('services')).toBe(1);
    expect(count('service_elements')).toBe(1);
    expect(count('service_contacts')).toBe(1);
    expect((await json('GET', '/api/v1/services/SOM-12345')).status).toBe(404);
    await json('PUT', '/api/v1/services', inventory);
    expect(count('services')).toBe(4);
  });

  it('refuses bad rows at services.<index>.<field> and replaces nothing', async () => {
    const before = { services: count('services'), contacts: count('service_contacts'), audit: count('audit_log') };
    const bad = {
      services: [
        inventory.services[0],
        { ...inventory.services[1], service_id: 'SOM-12345' },
        { ...inventory.services[2], component: 'atlantida-fibra' },
        {
          ...inventory.services[3],
          customer_id: '',
          contacts: [{ name: 'Ana', email: 'no-es-correo' }],
          monthly_price_mxn: -1,
        },
        { ...inventory.services[3], service_id: 'SOM/1', elements: ['A;B'], color: 'rojo' },
      ],
    };
    const res = await json('PUT', '/api/v1/services', bad);
    const body = await res.json();
    expect(res.status).toBe(422);
    expect(body.error.code).toBe('validation_failed');
    expect(fieldPaths(body)).toEqual(
      expect.arrayContaining([
        'services.1.service_id',
        'services.2.component',
        'services.3.customer_id',
        'services.3.contacts.0.email',
        'services.3.monthly_price_mxn',
        'services.4.service_id',
        'services.4.elements.0',
        'services.4.color',
      ]),
    );
    expect(fieldPaths(body)).not.toContain('services.0.service_id');
    expect(body.error.fields.find((f: { path: string }) => f.path === 'services.2.component').message).toMatch(
      /atlantida-fibra/,
    );
    expect({ services: count('services'), contacts: count('service_contacts'), audit: count('audit_log') }).toEqual(
      before,
    );
  });

  it('refuses an empty list, a missing list, a non-JSON text body and a request without token', async () => {
    expect((await json('PUT', '/api/v1/services', { services: [] })).status).toBe(422);
    expect(fieldPaths(await (await json('PUT', '/api/v1/services', {})).json())).toEqual(['services']);
    const plain = await app.request('/api/v1/services', {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(plain.status).toBe(415);
    const anonymous = await json('PUT', '/api/v1/services', inventory, {});
    expect(anonymous.status).toBe(401);
    expect((await json('GET', '/api/v1/services', undefined, {})).status).toBe(401);
    expect(count('services')).toBe(4);
  });
});

describe('PUT /api/v1/services (CSV)', () => {
  it('imports one line per service, elements separated by «;», several contacts', async () => {
    const csv = [
      'service_id,customer_id,company,label,technology,component,elements,monthly_price_mxn,contact_name,contact_email,contact_phone,contact2_name,contact2_email,contact2_phone',
      'som-40001,C-400,"Hotel Plaza, SA",Recepción,Fibra óptica,zinacantepec-fibra,OLT-ZIN-01; PON-ZIN-01/4,2899.50,Mario Luna,mario@plaza.mx,722 111 2222,,,',
      'SOM-40002,C-400,"Hotel Plaza, SA",Cocina,Inalámbrico,zinacantepec-inalambrico,,,Mario Luna,mario@plaza.mx,,Guardia,guardia@plaza.mx,',
    ].join('\r\n');
    const res = await putCsv(csv);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({ services: 2, customers: 1, contacts: 2, elements: 2 });
    const first = await (await json('GET', '/api/v1/services/SOM-40001')).json();
    expect(first).toMatchObject({
      company: 'Hotel Plaza, SA',
      elements: ['OLT-ZIN-01', 'PON-ZIN-01/4'],
      monthly_price_mxn: 2899.5,
      contacts: [{ name: 'Mario Luna', email: 'mario@plaza.mx', phone: '722 111 2222' }],
    });
    const second = await (await json('GET', '/api/v1/services/SOM-40002')).json();
    expect(second).toMatchObject({
      elements: [],
      monthly_price_mxn: null,
      contacts: [{ email: 'mario@plaza.mx' }, { name: 'Guardia', email: 'guardia@plaza.mx' }],
    });
  });

  it('reports bad lines with the JSON paths, unknown columns by position, malformed CSV as 400; nothing replaced', async () => {
    const header = 'service_id,customer_id,company,label,technology,component,contact_name,contact_email';
    const bad = await putCsv(
      `${header}\nSOM-1,C-1,Empresa,Matriz,Fibra,no-existe,Ana,ana@x.mx\nSOM-2,C-1,Empresa,Sucursal,Fibra,toluca-fibra,Ana,correo-malo\n`,
    );
    const body = await bad.json();
    expect(bad.status).toBe(422);
    expect(fieldPaths(body)).toEqual(['services.0.component', 'services.1.contacts.0.email']);
    const unknownColumn = await putCsv(
      'service_id,customer_id,company,label,technology,component,colour\nSOM-1,C-1,E,M,F,toluca-fibra,red\n',
    );
    expect(fieldPaths(await unknownColumn.json())).toEqual(['columns.6']);
    const missingColumn = await putCsv('service_id,company\nSOM-1,E\n');
    expect(fieldPaths(await missingColumn.json())).toEqual(
      expect.arrayContaining(['columns.customer_id', 'columns.component']),
    );
    const malformed = await putCsv(`${header}\nSOM-1,"C-1,E\n`);
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error.code).toBe('invalid_csv');
    expect(count('services')).toBe(2);
  });
});

describe('PUT /api/v1/services (CSV in other encodings)', () => {
  const header = 'service_id,customer_id,company,label,technology,component,contact_name,contact_email';
  const rows = (company: string) =>
    `${header}\r\nSOM-50001,C-500,${company},Matriz,Fibra óptica,toluca-fibra,Begoña Núñez,bego@pena.mx\r\n`;
  const put = (bytes: Buffer, type: string) =>
    app.request('/api/v1/services', {
      method: 'PUT',
      headers: { ...auth, 'content-type': type },
      body: new Uint8Array(bytes),
    });
  const stored = () => listServices(db, {}).map((s) => [s.company, s.label, s.technology, s.contacts[0]?.name]);

  it('honours charset=iso-8859-1 and windows-1252, and stores the accents as they are', async () => {
    const latin1 = await put(Buffer.from(rows('Compañía Peña'), 'latin1'), 'text/csv; charset=iso-8859-1');
    expect(latin1.status, await latin1.clone().text()).toBe(200);
    expect(stored()).toEqual([['Compañía Peña', 'Matriz', 'Fibra óptica', 'Begoña Núñez']]);
    // Windows-1252: the typographic quotes of 0x93/0x94 are its own.
    const cp1252 = Buffer.from(rows('Peña «Hermanos» X').replace('«', '\u0093').replace('»', '\u0094'), 'latin1');
    const res = await put(cp1252, 'text/csv; charset="Windows-1252"');
    expect(res.status, await res.clone().text()).toBe(200);
    expect(stored()[0][0]).toBe('Peña “Hermanos” X');
  });

  it('refuses bytes that do not decode with a 400 naming the line, never storing U+FFFD; an unknown charset is a 415', async () => {
    const before = stored();
    // A Latin-1 file sent as UTF-8 (the default, or said explicitly).
    for (const type of ['text/csv', 'text/csv; charset=utf-8']) {
      const res = await put(Buffer.from(rows('Compañía Peña'), 'latin1'), type);
      expect(res.status).toBe(400);
      const { error } = await res.json();
      expect(error.code).toBe('invalid_encoding');
      expect(error.message).toContain('línea 2');
      expect(error.fields).toEqual([{ path: 'line.2', message: error.message }]);
    }
    // A byte Windows-1252 leaves undefined.
    const undefinedByte = await put(
      Buffer.concat([
        Buffer.from(`${header}\r\n\r\nSOM-1,C-1,E`),
        Buffer.from([0x81]),
        Buffer.from(',M,F,toluca-fibra,A,a@b.mx\r\n'),
      ]),
      'text/csv; charset=windows-1252',
    );
    expect(undefinedByte.status).toBe(400);
    expect((await undefinedByte.json()).error.message).toContain('línea 3');
    const unknown = await put(Buffer.from(rows('Peña')), 'text/csv; charset=shift_jis');
    expect(unknown.status).toBe(415);
    expect(stored()).toEqual(before);
    expect(JSON.stringify(stored())).not.toContain('\ufffd');
  });
});

describe('network elements on incidents and maintenances', () => {
  it('an incident may name elements of the inventory; an unknown one is a 422 at elements.<index> and writes nothing', async () => {
    await json('PUT', '/api/v1/services', inventory);
    const before = count('incidents');
    const refused = await json('POST', '/api/v1/incidents', {
      name: 'Falla OLT',
      status: 'investigating',
      body: 'Revisamos.',
      elements: ['OLT-MET-01', 'OLT-XXX-99'],
    });
    const body = await refused.json();
    expect(refused.status).toBe(422);
    expect(body.error.code).toBe('unknown_element');
    expect(body.error.fields).toEqual([
      { path: 'elements.1', message: 'No existe el elemento de red «OLT-XXX-99» en el inventario de servicios.' },
    ]);
    expect(count('incidents')).toBe(before);

    const res = await json('POST', '/api/v1/incidents', {
      name: 'Falla OLT Metepec',
      status: 'investigating',
      body: 'Revisamos la OLT.',
      elements: ['olt-met-01'],
    });
    expect(res.status).toBe(201);
    const incident = await res.json();
    expect(incident.elements).toEqual(['OLT-MET-01']);
    const update = await json('POST', `/api/v1/incidents/${incident.id}/updates`, {
      status: 'identified',
      body: 'Torre también.',
      elements: ['TORRE-LERMA-AP2'],
    });
    expect(update.status).toBe(201);
    expect((await update.json()).elements).toEqual(['OLT-MET-01', 'TORRE-LERMA-AP2']);
    expect(incidentScope(db, incident.id)).toEqual({ componentIds: [], elements: ['OLT-MET-01', 'TORRE-LERMA-AP2'] });

    // Element identifiers are the NOC's: not in the public documents.
    const publicJson = await (await app.request('/api/v2/incidents.json')).text();
    expect(publicJson).toContain('Falla OLT Metepec');
    expect(publicJson).not.toContain('OLT-MET-01');
    expect(publicJson).not.toContain('TORRE-LERMA');
  });

  it('a maintenance may name elements; unknown ones are refused; a patch replaces them', async () => {
    const base = {
      name: 'Cambio de OLT',
      body: 'Cambiamos la OLT.',
      scheduled_for: '2026-12-01T00:00:00-06:00',
      scheduled_until: '2026-12-01T04:00:00-06:00',
      components: ['metepec-fibra'],
    };
    const refused = await json('POST', '/api/v1/maintenances', { ...base, elements: ['NADA-01'] });
    expect(refused.status).toBe(422);
    expect(fieldPaths(await refused.json())).toEqual(['elements.0']);
    const res = await json('POST', '/api/v1/maintenances', { ...base, elements: ['OLT-TOL-03'] });
    expect(res.status).toBe(201);
    const m = await res.json();
    expect(m.elements).toEqual(['OLT-TOL-03']);
    const patched = await json('PATCH', `/api/v1/maintenances/${m.id}`, { elements: ['PON-MET-01/2', 'OLT-TOL-03'] });
    expect(patched.status).toBe(200);
    expect((await patched.json()).elements).toEqual(['OLT-TOL-03', 'PON-MET-01/2']);
    expect(maintenanceScope(db, m.id).elements).toEqual(['OLT-TOL-03', 'PON-MET-01/2']);
    const badPatch = await json('PATCH', `/api/v1/maintenances/${m.id}`, { elements: ['OLT-TOL-03', 'X'] });
    expect(fieldPaths(await badPatch.json())).toEqual(['elements.1']);
    expect(maintenanceScope(db, m.id).elements).toEqual(['OLT-TOL-03', 'PON-MET-01/2']);
  });
});

describe('which services are affected', () => {
  const s = (serviceId: string, componentId: string, groupId: string | null, elements: string[]): ServiceFootprint => ({
    serviceId,
    componentId,
    groupId,
    elements,
  });
  const services = [
    s('A', 'c1', 'g1', ['OLT-1', 'PON-1/1']),
    s('B', 'c1', 'g1', ['OLT-1']),
    s('C', 'c2', 'g1', []),
    s('D', 'c3', null, ['TORRE-9']),
  ];
  const ids = (scope: Parameters<typeof affectedServices>[1]) =>
    affectedServices(services, scope).map((a) => a.service.serviceId);

  it('by component, by area, by element, and by any of them', () => {
    expect(ids({ componentIds: ['c1'] })).toEqual(['A', 'B']);
    expect(ids({ groupIds: ['g1'] })).toEqual(['A', 'B', 'C']);
    expect(ids({ elements: ['pon-1/1 '] })).toEqual(['A']);
    expect(ids({ componentIds: ['c2'], elements: ['TORRE-9'] })).toEqual(['C', 'D']);
    expect(ids({})).toEqual([]);
    expect(ids({ elements: ['OLT-2'], componentIds: ['c9'] })).toEqual([]);
    expect(
      serviceAffectedBy(services[0], { componentIds: ['c1'], groupIds: ['g1'], elements: ['OLT-1', 'TORRE-9'] }),
    ).toEqual({ service: services[0], reasons: ['component', 'area', 'element'], elements: ['OLT-1'] });
    expect(normalizeElement('  olt-met-01 ')).toBe('OLT-MET-01');
  });

  it('over the stored inventory, counting services and distinct customers', () => {
    const catalogue = componentCatalogue(db);
    const metepecFibra = catalogue.all.find((c) => c.slug === 'metepec-fibra')!;
    const lerma = catalogue.groups.find((g) => g.slug === 'lerma')!;
    const byComponent = affectedServicesFor(db, { componentIds: [metepecFibra.id] });
    expect(byComponent.map((a) => a.service.serviceId)).toEqual(['SOM-12345', 'SOM-12346']);
    expect(affectedCounts(byComponent)).toEqual({ services: 2, customers: 1 });
    const mixed = affectedServicesFor(db, { groupIds: [lerma.id], elements: ['PON-MET-01/2', 'OLT-TOL-03'] });
    expect(mixed.map((a) => [a.service.serviceId, a.reasons])).toEqual([
      ['SOM-12346', ['element']],
      ['SOM-20001', ['area']],
      ['SOM-30001', ['element']],
    ]);
    expect(affectedCounts(mixed)).toEqual({ services: 3, customers: 3 });
    expect(affectedServicesFor(db, {})).toEqual([]);
  });
});
