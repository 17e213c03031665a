// The customer service inventory as the NOC API, the console, the notices and the
// "¿Me afecta?" page read it. Which services an incident or maintenance reaches is decided by
// the pure rule in db/domain/affectedServices.ts; these queries only load what it needs.
import { asc, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../client.ts';
import type { SubscriberChannel } from '../enums.ts';
import {
  affectedServices,
  canonicalServiceId,
  normalizeElement,
  serviceAffectedBy,
  type AffectedScope,
  type AffectedService,
  type ServiceFootprint,
} from '../domain/affectedServices.ts';
import { componentCatalogue, type ComponentView } from './catalog.ts';
import { unexplainedFaults, type UnexplainedFault } from './unexplainedFaults.ts';
import { unresolvedIncidents, type IncidentView } from './incidents.ts';
import { activeMaintenances, upcomingMaintenances, type MaintenanceView } from './maintenances.ts';
import {
  incidentComponents,
  incidentElements,
  maintenanceComponents,
  maintenanceElements,
  serviceContacts,
  serviceElements,
  services,
} from '../schema/index.ts';
import { chunked, groupBy } from './batch.ts';
import { confirmedRecipientRows, type RecipientRow } from './subscribers.ts';

export interface ServiceContactView {
  name: string;
  email: string;
  phone: string | null;
}

export interface ServiceView {
  serviceId: string;
  customerId: string;
  company: string;
  label: string;
  technology: string;
  componentId: string;
  monthlyPriceMxn: number | null;
  elements: string[];
  contacts: ServiceContactView[];
  importedAt: Date;
}

export { canonicalServiceId };

function views(db: Db, rows: Array<typeof services.$inferSelect>, all: boolean): ServiceView[] {
  const ids = rows.map((r) => r.serviceId);
  const load = <T extends { serviceId: string }>(query: (part: string[] | null) => T[]) =>
    groupBy(all ? query(null) : chunked(ids, query), (r) => r.serviceId);
  const elements = load((part) =>
    db
      .select()
      .from(serviceElements)
      .where(part ? inArray(serviceElements.serviceId, part) : undefined)
      .orderBy(asc(serviceElements.element))
      .all(),
  );
  const contacts = load((part) =>
    db
      .select()
      .from(serviceContacts)
      .where(part ? inArray(serviceContacts.serviceId, part) : undefined)
      .orderBy(asc(serviceContacts.position))
      .all(),
  );
  return rows.map((r) => ({
    serviceId: r.serviceId,
    customerId: r.customerId,
    company: r.company,
    label: r.label,
    technology: r.technology,
    componentId: r.componentId,
    monthlyPriceMxn: r.monthlyPriceMxn,
    elements: (elements.get(r.serviceId) ?? []).map((e) => e.element),
    contacts: (contacts.get(r.serviceId) ?? []).map((c) => ({ name: c.name, email: c.email, phone: c.phone })),
    importedAt: r.importedAt,
  }));
}

/** The inventory in the order of the last import; `customerId` narrows it to one customer. */
/** Query parameters of GET /api/v1/services. */
export const serviceListQuery = z.object({
  customer_id: z.string().optional().meta({ description: 'Solo los servicios de este cliente.' }),
});

export function listServices(db: Db, filter: { customerId?: string } = {}): ServiceView[] {
  const rows = db
    .select()
    .from(services)
    .where(filter.customerId !== undefined ? eq(services.customerId, filter.customerId.trim()) : undefined)
    .orderBy(asc(services.position))
    .all();
  return views(db, rows, filter.customerId === undefined);
}

/** One service by its ID (any case), or null. */
export function serviceById(db: Db, serviceId: string): ServiceView | null {
  const row = db
    .select()
    .from(services)
    .where(eq(services.serviceId, canonicalServiceId(serviceId)))
    .get();
  return row ? views(db, [row], false)[0] : null;
}

export interface ServiceFootprintRow extends ServiceFootprint {
  customerId: string;
  company: string;
  label: string;
}

/** What the affected rule needs about every service (one pass over two tables). */
export function serviceFootprints(db: Db): ServiceFootprintRow[] {
  const rows = db.$client
    .prepare(
      `SELECT s.service_id AS serviceId, s.customer_id AS customerId, s.company, s.label, s.component_id AS componentId, c.group_id AS groupId
    FROM services s JOIN components c ON c.id = s.component_id ORDER BY s.position`,
    )
    .all() as Array<Omit<ServiceFootprintRow, 'elements'>>;
  const elements = groupBy(
    db.$client.prepare('SELECT service_id AS serviceId, element FROM service_elements').all() as Array<{
      serviceId: string;
      element: string;
    }>,
    (e) => e.serviceId,
  );
  return rows.map((r) => ({ ...r, elements: (elements.get(r.serviceId) ?? []).map((e) => e.element) }));
}

/** The services a scope (components, areas, elements) reaches, in inventory order. */
export function affectedServicesFor(db: Db, scope: AffectedScope): AffectedService<ServiceFootprintRow>[] {
  const empty = [scope.componentIds, scope.groupIds, scope.elements].every(
    (list) => list === undefined || [...list].length === 0,
  );
  return empty ? [] : affectedServices(serviceFootprints(db), scope);
}

/** Services and distinct customers in a list of affected services: the console's "N servicios de M clientes". */
export function affectedCounts(affected: ReadonlyArray<AffectedService<ServiceFootprintRow>>): {
  services: number;
  customers: number;
} {
  return { services: affected.length, customers: new Set(affected.map((a) => a.service.customerId)).size };
}

/** Which of these elements no service in the inventory traverses (canonical form, in the order given). */
export function unknownElementsOf(db: Db, elements: readonly string[]): Array<{ index: number; element: string }> {
  if (elements.length === 0) return [];
  const wanted = elements.map(normalizeElement);
  const known = new Set(
    chunked([...new Set(wanted)], (part) =>
      db
        .selectDistinct({ element: serviceElements.element })
        .from(serviceElements)
        .where(inArray(serviceElements.element, part))
        .all(),
    ).map((r) => r.element),
  );
  return wanted.flatMap((element, index) => (known.has(element) ? [] : [{ index, element }]));
}

/** What an incident names: its affected components and network elements. */
export function incidentScope(db: Db, incidentId: string): { componentIds: string[]; elements: string[] } {
  return {
    componentIds: db
      .select({ id: incidentComponents.componentId })
      .from(incidentComponents)
      .where(eq(incidentComponents.incidentId, incidentId))
      .all()
      .map((r) => r.id),
    elements: db
      .select({ element: incidentElements.element })
      .from(incidentElements)
      .where(eq(incidentElements.incidentId, incidentId))
      .orderBy(asc(incidentElements.element))
      .all()
      .map((r) => r.element),
  };
}

/** What a maintenance names: its components (areas already expanded) and network elements. */
export function maintenanceScope(db: Db, maintenanceId: string): { componentIds: string[]; elements: string[] } {
  return {
    componentIds: db
      .select({ id: maintenanceComponents.componentId })
      .from(maintenanceComponents)
      .where(eq(maintenanceComponents.maintenanceId, maintenanceId))
      .all()
      .map((r) => r.id),
    elements: db
      .select({ element: maintenanceElements.element })
      .from(maintenanceElements)
      .where(eq(maintenanceElements.maintenanceId, maintenanceId))
      .orderBy(asc(maintenanceElements.element))
      .all()
      .map((r) => r.element),
  };
}

export interface ServiceLookupView {
  serviceId: string;
  /** The component its link hangs on, as the public page shows it ("Metepec · Fibra óptica"). */
  component: ComponentView;
  /** Unresolved incidents that reach this service (by component, area or element), newest first. */
  incidents: IncidentView[];
  /** Maintenance windows in progress or verifying that reach it. */
  activeMaintenances: MaintenanceView[];
  /** Scheduled windows that will reach it, soonest first. */
  upcomingMaintenances: MaintenanceView[];
  /** A fault on its component that nothing published explains (db/queries/unexplainedFaults.ts). */
  unexplained: UnexplainedFault | null;
}

/**
 * "¿Me afecta?": what the public page already says, narrowed to one service. Holds nothing
 * private (no company, label, contact or element), so the page cannot show it by mistake.
 */
export function serviceLookup(db: Db, serviceId: string, now: Date): ServiceLookupView | null {
  const row = db
    .select({ serviceId: services.serviceId, componentId: services.componentId })
    .from(services)
    .where(eq(services.serviceId, canonicalServiceId(serviceId)))
    .get();
  if (!row) return null;
  const catalogue = componentCatalogue(db);
  const component = catalogue.byId.get(row.componentId);
  if (!component) return null;
  const footprint: ServiceFootprint = {
    serviceId: row.serviceId,
    componentId: component.id,
    groupId: component.groupId,
    elements: db
      .select({ element: serviceElements.element })
      .from(serviceElements)
      .where(eq(serviceElements.serviceId, row.serviceId))
      .all()
      .map((r) => r.element),
  };
  const reaches = (scope: { componentIds: string[]; elements: string[] }) =>
    serviceAffectedBy(footprint, scope) !== null;
  return {
    serviceId: row.serviceId,
    component,
    incidents: unresolvedIncidents(db, catalogue).filter((i) => reaches(incidentScope(db, i.id))),
    activeMaintenances: activeMaintenances(db, catalogue).filter((m) => reaches(maintenanceScope(db, m.id))),
    upcomingMaintenances: upcomingMaintenances(db, now, { catalogue }).filter(
      (m) => m.status === 'scheduled' && reaches(maintenanceScope(db, m.id)),
    ),
    unexplained: unexplainedFaults(db, catalogue).find((f) => f.component.id === component.id) ?? null,
  };
}

/** One affected service as a notice names it ("Su servicio SOM-12345, Sucursal Centro"). */
export interface NoticeService {
  serviceId: string;
  /** Only for the service's registered technical contacts; a public subscriber of the ID gets the ID alone. */
  label: string | null;
}

export interface ServiceNoticeRecipient {
  subscriberId: string;
  channel: SubscriberChannel;
  address: string;
  kind: 'public' | 'technical_contact';
  services: NoticeService[];
}

/**
 * Who hears about these affected services, one entry per subscriber: the technical contacts the
 * inventory registers for them (through their subscriber row, kept by the import; opted-out
 * addresses excluded) and confirmed subscribers who chose one of these service IDs. A contact of
 * several affected services is one entry naming them all.
 */
export function serviceNoticeRecipients(
  db: Db,
  affected: ReadonlyArray<AffectedService<ServiceFootprintRow>>,
): ServiceNoticeRecipient[] {
  if (affected.length === 0) return [];
  const ids = JSON.stringify(affected.map((a) => a.service.serviceId));
  const labels = new Map(affected.map((a) => [a.service.serviceId, a.service.label]));
  const rows = db.$client
    .prepare(
      `
    SELECT s.id AS subscriberId, s.channel, s.address, s.kind, sc.service_id AS serviceId, 1 AS contact FROM service_contacts sc
      JOIN subscribers s ON s.channel = 'email' AND s.address = sc.email AND s.confirmed_at IS NOT NULL
      WHERE sc.service_id IN (SELECT value FROM json_each(?)) AND sc.email NOT IN (SELECT email FROM contact_opt_outs)
    UNION ALL
    SELECT s.id, s.channel, s.address, s.kind, ss.service_id, 0 FROM subscriber_services ss
      JOIN subscribers s ON s.id = ss.subscriber_id AND s.confirmed_at IS NOT NULL
      WHERE ss.service_id IN (SELECT value FROM json_each(?))`,
    )
    .all(ids, ids) as Array<{
    subscriberId: string;
    channel: SubscriberChannel;
    address: string;
    kind: 'public' | 'technical_contact';
    serviceId: string;
    contact: number;
  }>;
  const order = new Map(affected.map((a, i) => [a.service.serviceId, i]));
  const bySubscriber = new Map<
    string,
    {
      channel: SubscriberChannel;
      address: string;
      kind: 'public' | 'technical_contact';
      services: Map<string, NoticeService>;
    }
  >();
  for (const r of rows) {
    let entry = bySubscriber.get(r.subscriberId);
    if (!entry)
      bySubscriber.set(
        r.subscriberId,
        (entry = { channel: r.channel, address: r.address, kind: r.kind, services: new Map() }),
      );
    const known = entry.services.get(r.serviceId);
    if (!known || (r.contact && known.label === null))
      entry.services.set(r.serviceId, {
        serviceId: r.serviceId,
        label: r.contact ? (labels.get(r.serviceId) ?? null) : null,
      });
  }
  return [...bySubscriber.entries()].map(([subscriberId, e]) => ({
    subscriberId,
    channel: e.channel,
    address: e.address,
    kind: e.kind,
    services: [...e.services.values()].sort((a, b) => order.get(a.serviceId)! - order.get(b.serviceId)!),
  }));
}

/** Distinct technical-contact addresses (not opted out) of these services: "se avisará a N contactos técnicos". */
export function countServiceContacts(db: Db, affected: ReadonlyArray<AffectedService<ServiceFootprintRow>>): number {
  if (affected.length === 0) return 0;
  const row = db.$client
    .prepare(
      `SELECT count(DISTINCT sc.email) AS n FROM service_contacts sc
    WHERE sc.service_id IN (SELECT value FROM json_each(?)) AND sc.email NOT IN (SELECT email FROM contact_opt_outs)`,
    )
    .get(JSON.stringify(affected.map((a) => a.service.serviceId))) as { n: number };
  return row.n;
}

/** One recipient of a notice, on its channel. */
export interface NoticeRecipient {
  id: string;
  channel: SubscriberChannel;
  address: string;
  kind: 'public' | 'technical_contact';
  /** Affected services the message names: for technical contacts and subscribers of a service ID. */
  services?: NoticeService[];
}

export interface NoticeScope {
  componentIds: string[];
  elements: string[];
}

/**
 * Everyone one notice reaches, once each: confirmed subscribers of the components (or of all),
 * and the technical contacts and service-ID subscribers of the services the scope affects
 * (db/domain/affectedServices.ts), each naming their affected services. With `previous`, only
 * those it did not reach, or reached without naming one of their services now affected.
 */
export function noticeRecipientsFor(db: Db, scope: NoticeScope, previous?: NoticeScope): NoticeRecipient[] {
  return noticeRecipientEntries(db, scope, previous).map(fromRecipientEntry);
}

/** One recipient as a fan-out keeps it: [id, channel, address, kind, services?]. */
export type NoticeRecipientEntry = RecipientRow | [...RecipientRow, NoticeService[]];

export const fromRecipientEntry = ([id, channel, address, kind, services]: NoticeRecipientEntry): NoticeRecipient =>
  services ? { id, channel, address, kind, services } : { id, channel, address, kind };

/**
 * The recipients of `noticeRecipientsFor` as arrays, in the order a fan-out stores them in
 * (subscriber id): what a notifying change's transaction reads for thousands of subscribers, as
 * the query returns them, without an object per recipient.
 */
export function noticeRecipientEntries(db: Db, scope: NoticeScope, previous?: NoticeScope): NoticeRecipientEntry[] {
  const subscribers = confirmedRecipientRows(db, scope.componentIds);
  const affected = affectedServicesFor(db, scope);
  // No service affected (a component's outage without an inventory behind it): the subscribers
  // are everyone, once each, as read (a notifying change's transaction reads thousands).
  if (affected.length === 0 && !previous) return subscribers;
  const byId = new Map<string, NoticeRecipientEntry>();
  for (const r of subscribers) byId.set(r[0], r);
  for (const r of serviceNoticeRecipients(db, affected)) {
    const known = byId.get(r.subscriberId);
    byId.set(r.subscriberId, [
      ...(known
        ? (known.slice(0, 4) as RecipientRow)
        : ([r.subscriberId, r.channel, r.address, r.kind] as RecipientRow)),
      r.services,
    ]);
  }
  const all = [...byId.values()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  if (!previous) return all;
  const before = new Map(
    noticeRecipientEntries(db, previous).map((r) => [r[0], new Set((r[4] ?? []).map((s) => s.serviceId))]),
  );
  return all.filter((r) => !before.has(r[0]) || (r[4] ?? []).some((s) => !before.get(r[0])!.has(s.serviceId)));
}
