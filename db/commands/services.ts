// The customer service inventory, so notices and "¿Me afecta?" reach exactly the affected customers. SOMNET's CRM is the source of truth: every import
// replaces the whole inventory, all rows or none (`PUT /api/v1/services`, JSON or CSV).
import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import type { Db } from '../client.ts';
import { newId } from '../ids.ts';
import { componentCatalogue, findInCatalogue, unknownRefMessage } from '../queries/catalog.ts';
import { unknownElementsOf, type ServiceView } from '../queries/services.ts';
import { recordAudit } from './audit.ts';
import { CommandError, unknownRefs, type FieldError } from './errors.ts';
import { fieldErrors, LIMITS, nameText, networkElement, parseInput, ref, serviceIdText, text } from './input.ts';

export { serviceIdText };
import { customerId, emailAddress } from './subscribers.ts';
import { runCommand, writeTransaction, type CommandContext } from './transaction.ts';
import { withinRateLimit } from './rateLimit.ts';
import { RATE_LIMITS } from '../subscriptions/tokens.ts';

const phone = text({ max: 30, label: 'El teléfono' })
  .regex(/^[0-9+()\-. ]*$/, 'El teléfono solo lleva números, espacios y + ( ) - ., p. ej. 722 167 5865.')
  .transform((v) => (v === '' ? null : v))
  .nullable();

const contact = z.strictObject({
  name: nameText('Escriba el nombre del contacto técnico.'),
  email: emailAddress,
  phone: phone.optional(),
});

/** One service of the inventory; rows are a document of their own, so their keys are the public names. */
export const serviceRow = z.strictObject({
  service_id: serviceIdText,
  customer_id: customerId.refine((v) => v !== null, 'Indique el ID de cliente del servicio.'),
  company: nameText('Escriba la razón social o el nombre de la empresa.', 'La empresa'),
  label: nameText('Escriba una etiqueta para el servicio, p. ej. «Sucursal Centro».', 'La etiqueta'),
  technology: text({
    min: 1,
    max: 60,
    label: 'La tecnología',
    required: 'Indique la tecnología, p. ej. Fibra óptica.',
  }),
  /** A component id or slug (not an area: a link hangs on one component). */
  component: ref,
  elements: z
    .array(networkElement, { error: 'Envíe los elementos de red como una lista.' })
    .max(LIMITS.serviceElements, `Hasta ${LIMITS.serviceElements} elementos de red por servicio.`)
    .optional(),
  monthly_price_mxn: z
    .number({ error: 'El precio mensual debe ser un número en pesos, p. ej. 3499.00.' })
    .nonnegative('El precio mensual no puede ser negativo.')
    .max(100_000_000, 'El precio mensual es demasiado alto.')
    .nullable()
    .optional(),
  contacts: z
    .array(contact, { error: 'Envíe los contactos técnicos como una lista.' })
    .max(LIMITS.serviceContacts, `Hasta ${LIMITS.serviceContacts} contactos técnicos por servicio.`),
});
export type ServiceRowInput = z.input<typeof serviceRow>;

/** The document: every service, each row checked apart so every bad row is reported at once. */
export const serviceInventoryInput = z.strictObject({
  services: z
    .array(z.unknown(), { error: 'Envíe la lista de servicios en "services".' })
    .min(1, 'Envíe al menos un servicio: el inventario se reemplaza completo y no se vacía por accidente.')
    .max(LIMITS.services, `Hasta ${LIMITS.services.toLocaleString('es-MX')} servicios por inventario.`),
});
export type ServiceInventoryInput = z.input<typeof serviceInventoryInput>;

/** At most this many field errors are listed (a CRM export gone wrong can have 20,000). */
const MAX_REPORTED_ERRORS = 200;

/**
 * The inventory as CSV (`Content-Type: text/csv`), one line per service after a header row.
 * Columns: service_id, customer_id, company, label, technology, component (required);
 * elements (separated by «;»), monthly_price_mxn (a number with a dot: 3499.00), and each
 * technical contact as contact_name, contact_email, contact_phone, then contact2_name,
 * contact2_email, contact2_phone… up to contact20_*. Errors use the JSON paths
 * (`services.<index>.<field>`), index 0 being the first line after the header.
 */
export const SERVICE_CSV_COLUMNS = [
  'service_id',
  'customer_id',
  'company',
  'label',
  'technology',
  'component',
  'elements',
  'monthly_price_mxn',
] as const;
const CONTACT_COLUMN = /^contact(\d*)_(name|email|phone)$/;

/** CSV text → the JSON document `replaceServiceInventory` takes; a malformed file is a 400 naming its line. */
export function serviceInventoryFromCsv(csv: string): ServiceInventoryInput {
  let records: string[][];
  try {
    records = parseCsv(csv, { bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][];
  } catch (err) {
    const line = (err as { lines?: number }).lines;
    throw new CommandError(
      400,
      'invalid_csv',
      `El CSV no es válido${line ? ` (línea ${line})` : ''}: revise comillas y número de columnas.`,
    );
  }
  if (records.length === 0)
    throw new CommandError(
      400,
      'empty_body',
      'El CSV está vacío; se esperaba una fila de encabezados y una fila por servicio.',
    );
  const [header, ...lines] = records;
  const columns = header.map((h) => h.trim().toLowerCase());
  const errors: FieldError[] = [];
  columns.forEach((name, i) => {
    const contactNo = CONTACT_COLUMN.exec(name)?.[1];
    const known =
      (SERVICE_CSV_COLUMNS as readonly string[]).includes(name) ||
      (contactNo !== undefined &&
        (contactNo === '' || (Number(contactNo) >= 2 && Number(contactNo) <= LIMITS.serviceContacts)));
    if (!known)
      errors.push({
        path: `columns.${i}`,
        message: `Columna desconocida «${header[i]}». Columnas: ${SERVICE_CSV_COLUMNS.join(', ')}, contact_name, contact_email, contact_phone, contact2_name…`,
      });
    else if (columns.indexOf(name) !== i)
      errors.push({ path: `columns.${i}`, message: `La columna «${name}» aparece dos veces.` });
  });
  for (const required of SERVICE_CSV_COLUMNS.slice(0, 6)) {
    if (!columns.includes(required))
      errors.push({ path: `columns.${required}`, message: `Falta la columna «${required}».` });
  }
  if (errors.length > 0)
    throw new CommandError(422, 'validation_failed', 'El encabezado del CSV no es válido; no se importó nada.', errors);

  const services = lines.map((cells) => {
    const row: Record<string, unknown> = {};
    const contacts = new Map<number, Record<string, string>>();
    columns.forEach((name, i) => {
      const value = cells[i] ?? '';
      const contactMatch = CONTACT_COLUMN.exec(name);
      if (contactMatch) {
        const n = contactMatch[1] === '' ? 1 : Number(contactMatch[1]);
        if (!contacts.has(n)) contacts.set(n, {});
        if (value.trim() !== '') contacts.get(n)![contactMatch[2]] = value;
      } else if (name === 'elements') {
        row.elements = value
          .split(';')
          .map((e) => e.trim())
          .filter((e) => e !== '');
      } else if (name === 'monthly_price_mxn') {
        const trimmed = value.trim();
        // A number is passed as one; anything else is passed as typed for the schema to refuse.
        if (trimmed !== '') row.monthly_price_mxn = /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed;
      } else {
        row[name] = value;
      }
    });
    row.contacts = [...contacts.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, c]) => c)
      .filter((c) => Object.keys(c).length > 0);
    return row;
  });
  return { services };
}

/** A checked row, as the inventory stores it. */
type PreparedService = Omit<ServiceView, 'importedAt'>;

export interface InventoryImportResult {
  services: number;
  customers: number;
  contacts: number;
  elements: number;
}

const ROWS_PER_STATEMENT = 100;

/** Multi-row INSERTs through prepared statements (the query builder's per-row cost tripled a 20,000-service import). */
function insertMany(db: Db, table: string, columns: string[], rows: unknown[][]): void {
  const placeholders = `(${columns.map(() => '?').join(', ')})`;
  const sqlFor = (n: number) =>
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array(n).fill(placeholders).join(', ')}`;
  const many = db.$client.prepare(sqlFor(ROWS_PER_STATEMENT));
  const one = db.$client.prepare(sqlFor(1));
  let i = 0;
  for (; i + ROWS_PER_STATEMENT <= rows.length; i += ROWS_PER_STATEMENT)
    many.run(rows.slice(i, i + ROWS_PER_STATEMENT).flat());
  for (; i < rows.length; i++) one.run(rows[i]);
}

/**
 * Technical contacts receive notices through a subscriber row of their address (its link tokens,
 * its one-click unsubscribe), without signing up: SOMNET registered them. After an import every
 * contact address has a confirmed row, except those that unsubscribed (contact_opt_outs, kept
 * across imports); a row the inventory made (technical_contact, no choices of its own) whose
 * address left the inventory is removed. An address that already subscribed keeps its choices.
 */
function syncContactSubscribers(db: Db, prepared: PreparedService[], at: number): void {
  const customerOf = new Map<string, string>();
  for (const s of prepared)
    for (const c of s.contacts) if (!customerOf.has(c.email)) customerOf.set(c.email, s.customerId);
  const sqlite = db.$client;
  const optedOut = new Set(
    (sqlite.prepare('SELECT email FROM contact_opt_outs').all() as Array<{ email: string }>).map((r) => r.email),
  );
  const existing = new Map(
    (
      sqlite
        .prepare(`SELECT address AS email, confirmed_at AS confirmedAt FROM subscribers WHERE channel = 'email'`)
        .all() as Array<{
        email: string;
        confirmedAt: number | null;
      }>
    ).map((r) => [r.email, r.confirmedAt]),
  );
  const fresh: unknown[][] = [];
  const confirm = sqlite.prepare(
    `UPDATE subscribers SET confirmed_at = ?, expires_at = NULL, updated_at = ? WHERE channel = 'email' AND address = ?`,
  );
  for (const [email, customerId] of customerOf) {
    if (optedOut.has(email)) continue;
    if (!existing.has(email)) fresh.push([newId(), email, customerId, 'technical_contact', 0, at, null, at, at]);
    else if (existing.get(email) === null) confirm.run(at, at, email);
  }
  insertMany(
    db,
    'subscribers',
    [
      'id',
      'address',
      'customer_id',
      'kind',
      'all_components',
      'confirmed_at',
      'expires_at',
      'created_at',
      'updated_at',
    ],
    fresh,
  );
  sqlite
    .prepare(
      `DELETE FROM subscribers WHERE kind = 'technical_contact' AND all_components = 0
    AND NOT EXISTS (SELECT 1 FROM subscriber_components sc WHERE sc.subscriber_id = subscribers.id)
    AND NOT EXISTS (SELECT 1 FROM subscriber_services ss WHERE ss.subscriber_id = subscribers.id)
    AND channel = 'email' AND address NOT IN (SELECT email FROM service_contacts)`,
    )
    .run();
}

/**
 * Replaces the whole inventory with `raw.services`, all or nothing: every bad row is reported
 * at `services.<index>.<field>` and nothing changes. A service ID may appear once; `component`
 * must name a component (id or slug) of the catalogue.
 */
export function replaceServiceInventory(
  db: Db,
  raw: ServiceInventoryInput,
  { now, actor }: CommandContext,
): InventoryImportResult {
  const { services: rows } = parseInput(serviceInventoryInput, raw);
  return runCommand(db, () => {
    const catalogue = componentCatalogue(db);
    const componentByRef = new Map<string, string | null>();
    const componentFor = (r: string) => {
      if (!componentByRef.has(r)) {
        const entry = findInCatalogue(catalogue, r, 'component');
        componentByRef.set(r, entry?.kind === 'component' ? entry.component.id : null);
      }
      return componentByRef.get(r)!;
    };
    const errors: FieldError[] = [];
    const firstRow = new Map<string, number>();
    const prepared: PreparedService[] = [];
    rows.forEach((given, i) => {
      const parsed = serviceRow.safeParse(given);
      if (!parsed.success) {
        errors.push(...fieldErrors(parsed.error, `services.${i}`, true));
        return;
      }
      const r = parsed.data;
      if (firstRow.has(r.service_id))
        errors.push({
          path: `services.${i}.service_id`,
          message: `El servicio ${r.service_id} está repetido (también en services.${firstRow.get(r.service_id)}).`,
        });
      else firstRow.set(r.service_id, i);
      const componentId = componentFor(r.component);
      if (!componentId)
        errors.push({ path: `services.${i}.component`, message: unknownRefMessage(r.component, 'component') });
      prepared.push({
        serviceId: r.service_id,
        customerId: r.customer_id!,
        company: r.company,
        label: r.label,
        technology: r.technology,
        componentId: componentId ?? '',
        monthlyPriceMxn: r.monthly_price_mxn ?? null,
        elements: [...new Set(r.elements ?? [])],
        contacts: r.contacts.map((c) => ({ name: c.name, email: c.email, phone: c.phone ?? null })),
      });
    });
    if (errors.length > 0) {
      const shown = errors.slice(0, MAX_REPORTED_ERRORS);
      const more = errors.length > shown.length ? ` Se muestran los primeros ${MAX_REPORTED_ERRORS}.` : '';
      throw new CommandError(
        422,
        'validation_failed',
        `${errors.length.toLocaleString('es-MX')} error(es) en el inventario; no se reemplazó nada.${more}`,
        shown,
      );
    }

    // Children go by ON DELETE CASCADE.
    db.$client.prepare('DELETE FROM services').run();
    const at = now.getTime();
    insertMany(
      db,
      'services',
      [
        'service_id',
        'customer_id',
        'company',
        'label',
        'technology',
        'component_id',
        'monthly_price_mxn',
        'position',
        'imported_at',
      ],
      prepared.map((s, position) => [
        s.serviceId,
        s.customerId,
        s.company,
        s.label,
        s.technology,
        s.componentId,
        s.monthlyPriceMxn,
        position,
        at,
      ]),
    );
    insertMany(
      db,
      'service_elements',
      ['service_id', 'element'],
      prepared.flatMap((s) => s.elements.map((e) => [s.serviceId, e])),
    );
    insertMany(
      db,
      'service_contacts',
      ['service_id', 'position', 'name', 'email', 'phone'],
      prepared.flatMap((s) => s.contacts.map((c, position) => [s.serviceId, position, c.name, c.email, c.phone])),
    );

    syncContactSubscribers(db, prepared, at);

    const result: InventoryImportResult = {
      services: prepared.length,
      customers: new Set(prepared.map((s) => s.customerId)).size,
      contacts: new Set(prepared.flatMap((s) => s.contacts.map((c) => c.email))).size,
      elements: new Set(prepared.flatMap((s) => s.elements)).size,
    };
    recordAudit(db, actor, 'service.import', { type: 'service' }, now, result);
    return result;
  });
}

/** The one message for an element no service traverses. */
export function unknownElementMessage(element: string): string {
  return `No existe el elemento de red «${element}» en el inventario de servicios.`;
}

/**
 * Network elements named by an incident or a maintenance must be traversed by some service of
 * the inventory (otherwise it is a typo that would reach nobody): 422 `unknown_element` with
 * each unknown one at `<path>.<index>`, like unknown components.
 */
export function assertKnownElements(db: Db, elements: readonly string[] | undefined, path = 'elements'): void {
  if (!elements?.length) return;
  const unknown = unknownElementsOf(db, elements);
  if (unknown.length > 0) {
    throw unknownRefs(
      unknown.map(({ index, element }) => ({
        path: `${path}.${index}`,
        ref: element,
        message: unknownElementMessage(element),
      })),
      'unknown_element',
    );
  }
}

/** How long to wait after the lookup limit is reached (the window of RATE_LIMITS.service_lookup). */
export const LOOKUP_RETRY_AFTER_SECONDS = RATE_LIMITS.service_lookup.windowMs / 1000;

/**
 * Counts one "¿Me afecta?" lookup for a client address key (api/clientIp.ts) before the service
 * is looked up, found or not, so the IDs cannot be enumerated: 429 over the limit. Bookkeeping,
 * not a command: no audit row, and no public page changes (no cache flush).
 */
export function countServiceLookup(db: Db, clientKey: string, now: Date): void {
  const allowed = writeTransaction(db, () => withinRateLimit(db, 'service_lookup', clientKey, now));
  if (!allowed) {
    throw new CommandError(
      429,
      'rate_limited',
      'Hizo muchas consultas de servicios desde su conexión. Espere 15 minutos e intente de nuevo, o llame a la línea de emergencia si su servicio está caído.',
      undefined,
      { retryAfterSeconds: LOOKUP_RETRY_AFTER_SECONDS },
    );
  }
}
