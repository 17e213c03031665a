// "¿A quién afecta?" for the NOC: how many customer services, customers and technical contacts
// an incident or a maintenance reaches (the one rule, db/domain/affectedServices.ts), and the
// list to open. Shown on the incident composer's preview, the maintenance form's check and on
// every incident and maintenance page of the console.
import type { Db } from '#db/client.ts';
import { affectedCounts, affectedServicesFor, countServiceContacts } from '#db/queries/index.ts';

const REASON_LABELS = { component: 'componente', area: 'zona', element: 'elemento de red' } as const;

/** Rows listed on the page; a backbone outage can reach the whole inventory. */
export const LISTED_SERVICES = 200;

export interface AffectedReach {
  services: number;
  customers: number;
  /** Technical contact addresses that will be (or were) told, opted-out ones left out. */
  contacts: number;
  list: Array<{ serviceId: string; customerId: string; company: string; label: string; why: string }>;
  /** How many more services than `list` shows. */
  more: number;
}

export function affectedReach(db: Db, scope: { componentIds: string[]; elements?: string[] }): AffectedReach {
  const affected = affectedServicesFor(db, { componentIds: scope.componentIds, elements: scope.elements ?? [] });
  const counts = affectedCounts(affected);
  return {
    ...counts,
    contacts: countServiceContacts(db, affected),
    list: affected.slice(0, LISTED_SERVICES).map((a) => ({
      serviceId: a.service.serviceId,
      customerId: a.service.customerId,
      company: a.service.company,
      label: a.service.label,
      why: a.reasons
        .map((r) => (r === 'element' ? `${REASON_LABELS[r]} ${a.elements.join(', ')}` : REASON_LABELS[r]))
        .join(', '),
    })),
    more: Math.max(0, affected.length - LISTED_SERVICES),
  };
}

const n = new Intl.NumberFormat('es-MX');

/** "3 servicios de 2 clientes; se avisa a 4 contactos técnicos" */
export function reachSummary(reach: AffectedReach, tense: 'future' | 'past' = 'future'): string {
  if (reach.services === 0) return 'No afecta a ningún servicio del inventario de clientes.';
  const services = `${n.format(reach.services)} ${reach.services === 1 ? 'servicio' : 'servicios'} de ${n.format(reach.customers)} ${reach.customers === 1 ? 'cliente' : 'clientes'}`;
  const contacts = `${n.format(reach.contacts)} ${reach.contacts === 1 ? 'contacto técnico' : 'contactos técnicos'}`;
  return `Afecta a ${services}; ${tense === 'future' ? 'se avisará a' : 'avisos a'} ${contacts}.`;
}
