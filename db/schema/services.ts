import { sqliteTable, text, integer, real, index, primaryKey } from 'drizzle-orm/sqlite-core';
import { components } from './catalog.ts';
import { incidents } from './incidents.ts';
import { maintenances } from './maintenances.ts';
import { subscribers } from './subscribers.ts';

/**
 * One customer link from SOMNET's CRM (`PUT /api/v1/services` replaces them all at once).
 * `service_id` is SOMNET's ID as printed on invoices and tickets, stored upper-case (lookups
 * are case-insensitive). Company, contacts and network elements are private: no public page
 * shows them.
 */
export const services = sqliteTable(
  'services',
  {
    serviceId: text('service_id').primaryKey(),
    customerId: text('customer_id').notNull(),
    company: text('company').notNull(),
    label: text('label').notNull(),
    technology: text('technology').notNull(),
    componentId: text('component_id')
      .notNull()
      .references(() => components.id, { onDelete: 'restrict' }),
    monthlyPriceMxn: real('monthly_price_mxn'),
    /** Order in the last import, so a GET gives the inventory back as it was sent. */
    position: integer('position').notNull(),
    importedAt: integer('imported_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('services_customer_idx').on(t.customerId), index('services_component_idx').on(t.componentId)],
);

/** Network elements a service traverses (node, OLT, PON port, tower, access point), upper-case. */
export const serviceElements = sqliteTable(
  'service_elements',
  {
    serviceId: text('service_id')
      .notNull()
      .references(() => services.serviceId, { onDelete: 'cascade' }),
    element: text('element').notNull(),
  },
  (t) => [primaryKey({ columns: [t.serviceId, t.element] }), index('service_elements_element_idx').on(t.element)],
);

/** A service's technical contacts (manual 4.2: "los contactos técnicos registrados"); email lower-case. */
export const serviceContacts = sqliteTable(
  'service_contacts',
  {
    serviceId: text('service_id')
      .notNull()
      .references(() => services.serviceId, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    name: text('name').notNull(),
    email: text('email').notNull(),
    phone: text('phone'),
  },
  (t) => [primaryKey({ columns: [t.serviceId, t.position] }), index('service_contacts_email_idx').on(t.email)],
);

/**
 * Technical contacts who unsubscribed (RFC 8058 one-click or the unsubscribe page). Keyed by
 * address, apart from the inventory, so the next import from the CRM does not sign them up again.
 */
export const contactOptOuts = sqliteTable('contact_opt_outs', {
  email: text('email').primaryKey(),
  at: integer('at', { mode: 'timestamp_ms' }).notNull(),
});

/** Network elements an incident names (the union over its updates), upper-case. */
export const incidentElements = sqliteTable(
  'incident_elements',
  {
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    element: text('element').notNull(),
  },
  (t) => [primaryKey({ columns: [t.incidentId, t.element] })],
);

/** Network elements a maintenance works on, upper-case. */
export const maintenanceElements = sqliteTable(
  'maintenance_elements',
  {
    maintenanceId: text('maintenance_id')
      .notNull()
      .references(() => maintenances.id, { onDelete: 'cascade' }),
    element: text('element').notNull(),
  },
  (t) => [primaryKey({ columns: [t.maintenanceId, t.element] })],
);

/**
 * Public subscribers who chose a service ID (`/suscribirse`). The ID is kept as typed
 * (upper-case), not as a reference: the inventory is replaced on every import.
 */
export const subscriberServices = sqliteTable(
  'subscriber_services',
  {
    subscriberId: text('subscriber_id')
      .notNull()
      .references(() => subscribers.id, { onDelete: 'cascade' }),
    serviceId: text('service_id').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.subscriberId, t.serviceId] }),
    index('subscriber_services_service_idx').on(t.serviceId),
  ],
);

/**
 * The months whose statements went out (db/commands/statements.ts): one row per month, written in
 * the transaction that queues the month's emails, so a month is sent once whatever restarts or
 * second processes do (the outbox's dedupe keys say the same per service and contact, but the
 * outbox retention removes delivered rows; this row stays).
 */
export const monthlyStatements = sqliteTable('monthly_statements', {
  /** "2026-11": the month the statements are about. */
  month: text('month').primaryKey(),
  /** When they were queued. */
  sentAt: integer('sent_at', { mode: 'timestamp_ms' }).notNull(),
  /** Services with an outage that month and a contact to write to (one statement to each contact). */
  services: integer('services').notNull(),
  /** Emails queued: one per service and technical contact. */
  messages: integer('messages').notNull(),
});
