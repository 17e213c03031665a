// `npm run bench:services`: the service inventory at SOMNET's scale (20,000 services; the target
// is "a few seconds", so the CRM's nightly import never holds the database long). Times `PUT /api/v1/services` through the real app (JSON, then CSV:
// parse, validate every row, replace all in one transaction, register the technical contacts),
// next to a reference measured in the same run on the same machine: the same rows written by a
// bare better-sqlite3 loop in one transaction, with no parsing or validation (the floor any
// import has to pay). Then the fan-out of an incident on the whole backbone to every affected
// contact, the NOC's wait.
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { openDatabase } from '#db/client.ts';
import { seedDemoCatalogue } from '#db/seed.ts';
import { createApiToken } from '#db/commands/tokens.ts';
import { createIncident } from '#db/commands/incidents.ts';
import { componentCatalogue, serviceMonths } from '#db/queries/index.ts';
import { sendMonthlyStatements, statementsDueAt } from '#db/commands/statements.ts';
import { zonedMonthKey } from '#db/domain/time.ts';
import { createApp } from '../../api/app.ts';
import { tempDatabasePath } from '../support/db.ts';
import '#db/notifications/channels.ts';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 20_000);
const TARGET_MS = 5_000;
const path = tempDatabasePath();
const db = openDatabase(path);
seedDemoCatalogue(db, new Date());
const { app } = createApp({
  db,
  config: { port: 0, host: '127.0.0.1', databasePath: path, publicUrl: 'https://status.somnet.com.mx' },
});
const { token } = createApiToken(db, 'bench', new Date());
const areaComponents = componentCatalogue(db).all.filter(
  (c) => c.groupId && !c.slug.startsWith('red-') && c.groupName !== 'Servicios centrales',
);

// A plausible inventory: ~4 services per customer, 1–2 contacts each, an OLT and a PON port (or a tower).
const services = Array.from({ length: SERVICES }, (_, i) => {
  const component = areaComponents[i % areaComponents.length];
  const fibre = component.slug.endsWith('-fibra');
  const customer = Math.floor(i / 4);
  return {
    service_id: `SOM-${100000 + i}`,
    customer_id: `C-${10000 + customer}`,
    company: `Empresa ${customer} SA de CV`,
    label: `Sucursal ${(i % 4) + 1}`,
    technology: fibre ? 'Fibra óptica' : 'Inalámbrico',
    component: component.slug,
    elements: fibre
      ? [`OLT-${component.slug.slice(0, 3).toUpperCase()}-${i % 8}`, `PON-${i % 8}/${i % 16}`]
      : [`TORRE-${i % 40}`],
    monthly_price_mxn: 1999 + (i % 5) * 500,
    contacts:
      i % 3 === 0
        ? [
            { name: `Contacto ${customer}`, email: `noc@empresa${customer}.mx`, phone: '722 167 5865' },
            { name: 'Guardia', email: `guardia${i}@empresa${customer}.mx` },
          ]
        : [{ name: `Contacto ${customer}`, email: `noc@empresa${customer}.mx` }],
  };
});
const json = JSON.stringify({ services });
const csvField = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const csv = [
  'service_id,customer_id,company,label,technology,component,elements,monthly_price_mxn,contact_name,contact_email,contact_phone,contact2_name,contact2_email,contact2_phone',
  ...services.map((s) =>
    [
      s.service_id,
      s.customer_id,
      s.company,
      s.label,
      s.technology,
      s.component,
      s.elements.join(';'),
      String(s.monthly_price_mxn),
      ...[0, 1].flatMap((k) => [s.contacts[k]?.name ?? '', s.contacts[k]?.email ?? '', s.contacts[k]?.phone ?? '']),
    ]
      .map(csvField)
      .join(','),
  ),
].join('\n');

async function put(body: string, type: string): Promise<number> {
  const t0 = performance.now();
  const res = await app.request('/api/v1/services', {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': type },
    body,
  });
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`PUT /api/v1/services → ${res.status}: ${(await res.text()).slice(0, 300)}`);
  const result = (await res.json()) as { services: number };
  if (result.services !== SERVICES) throw new Error(`se importaron ${result.services} servicios`);
  return ms;
}

// Reference: the same rows by a bare loop of prepared INSERTs (into a scratch copy of the tables).
function bareInsert(): number {
  const sqlite = db.$client;
  sqlite.exec(
    'CREATE TEMP TABLE ref_services AS SELECT * FROM services WHERE 0; CREATE TEMP TABLE ref_elements AS SELECT * FROM service_elements WHERE 0; CREATE TEMP TABLE ref_contacts AS SELECT * FROM service_contacts WHERE 0;',
  );
  const ids = new Map(componentCatalogue(db).all.map((c) => [c.slug, c.id]));
  const s = sqlite.prepare('INSERT INTO ref_services VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const e = sqlite.prepare('INSERT INTO ref_elements VALUES (?, ?)');
  const c = sqlite.prepare('INSERT INTO ref_contacts VALUES (?, ?, ?, ?, ?)');
  const t0 = performance.now();
  const parsed = JSON.parse(json) as { services: typeof services };
  sqlite.transaction(() => {
    parsed.services.forEach((r, i) => {
      s.run(
        r.service_id,
        r.customer_id,
        r.company,
        r.label,
        r.technology,
        ids.get(r.component),
        r.monthly_price_mxn,
        i,
        Date.now(),
      );
      for (const el of r.elements) e.run(r.service_id, el);
      r.contacts.forEach((k, j) =>
        c.run(r.service_id, j, k.name, k.email.toLowerCase(), 'phone' in k ? k.phone : null),
      );
    });
  })();
  return performance.now() - t0;
}

const referenceMs = bareInsert();
const firstJsonMs = await put(json, 'application/json');
const replaceJsonMs = await put(json, 'application/json');
const csvMs = await put(csv, 'text/csv');
const contacts = (
  db.$client.prepare("SELECT count(*) AS n FROM subscribers WHERE kind = 'technical_contact'").get() as { n: number }
).n;

// An incident on the backbone's every area component: every service is affected.
const t0 = performance.now();
createIncident(
  db,
  {
    name: 'Corte troncal',
    status: 'investigating',
    body: 'Revisando.',
    components: Object.fromEntries(areaComponents.map((c) => [c.slug, 'major_outage' as const])),
  },
  { now: new Date(), actor: { kind: 'cli', name: 'bench' } },
);
const fanOutMs = performance.now() - t0;
const queued = (
  db.$client.prepare("SELECT count(*) AS n FROM outbox_messages WHERE channel = 'email'").get() as { n: number }
).n;

// The month's statements on the 1st of the next (db/commands/statements.ts): every service was
// down, so every contact gets one. Reference in the same run: the billing report's computation of
// the same month (serviceMonths), which the statements reuse; the rest is the outbox rows.
const month = zonedMonthKey(new Date());
const due = statementsDueAt(month);
const r0 = performance.now();
serviceMonths(db, month, due);
const reportMs = performance.now() - r0;
const s0 = performance.now();
const run = sendMonthlyStatements(db, due);
const statementsMs = performance.now() - s0;
const load = loadavg()
  .map((n) => n.toFixed(2))
  .join(' ');

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
console.log(
  `Servicios: ${SERVICES.toLocaleString('es-MX')} (JSON ${mb(Buffer.byteLength(json))}, CSV ${mb(Buffer.byteLength(csv))}); contactos técnicos registrados: ${contacts.toLocaleString('es-MX')}`,
);
console.log(`Referencia, mismas filas con INSERT preparado sin validar:  ${referenceMs.toFixed(0)} ms`);
console.log(
  `PUT /api/v1/services JSON, inventario vacío:               ${firstJsonMs.toFixed(0)} ms (${(firstJsonMs / referenceMs).toFixed(1)}× la referencia; objetivo < ${TARGET_MS} ms)`,
);
console.log(
  `PUT /api/v1/services JSON, reemplazo del inventario:       ${replaceJsonMs.toFixed(0)} ms (${(replaceJsonMs / referenceMs).toFixed(1)}×)`,
);
console.log(
  `PUT /api/v1/services CSV, reemplazo del inventario:        ${csvMs.toFixed(0)} ms (${(csvMs / referenceMs).toFixed(1)}×)`,
);
console.log(
  `Incidente que afecta a los ${SERVICES.toLocaleString('es-MX')} servicios (encolar):    ${fanOutMs.toFixed(0)} ms para ${queued.toLocaleString('es-MX')} correos (uno por contacto)`,
);
console.log(
  `Estados de disponibilidad del mes (todos con falla), el día 1:  ${statementsMs.toFixed(0)} ms para ${run?.messages.toLocaleString('es-MX')} correos de ${run?.services.toLocaleString('es-MX')} servicios; referencia, el informe de facturación del mismo mes (serviceMonths): ${reportMs.toFixed(0)} ms (${(statementsMs / reportMs).toFixed(1)}×)`,
);
console.log(`Carga del equipo (uptime): ${load}`);
db.$client.close();
rmSync(dirname(path), { recursive: true, force: true });
if (Math.max(firstJsonMs, replaceJsonMs, csvMs) >= TARGET_MS || queued !== contacts || run?.services !== SERVICES)
  process.exitCode = 1;
