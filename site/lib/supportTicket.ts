// The ticket the manual asks for (section 1.2): an email subject in a fixed shape, so SOMNET's
// mailbox rules can sort it, and a body with the four facts a specialist needs first.
import { criticalityTable } from '#db/domain/criticality.ts';
import { SUPPORT_EMAIL } from '#db/supportChannels.ts';

/** The subject's free-text fields: a service's name and a company or customer ID fit in this. */
export const TICKET_TEXT_MAX = 120;

export const criticalities = ['Baja', 'Media', 'Alta'] as const;
export type Criticality = (typeof criticalities)[number];

/**
 * What each criticality means and its first-response time (manual 1.3): the domain's one table
 * (db/domain/criticality.ts), which also chooses the criticality of incidents and drafts.
 */
export const slaByCriticality = Object.fromEntries(
  criticalityTable.map((row) => [row.label, { meaning: row.meaning, firstResponse: row.firstResponse }]),
) as Record<Criticality, { meaning: string; firstResponse: string }>;

export interface TicketSubjectInput {
  criticality: Criticality;
  service: string;
  customer: string;
}

const EN_DASH = '\u2013';

/** One line, single spaces: a pasted value must not break the subject's shape. */
function clean(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

/**
 * "[Criticidad: Alta] – Falla en Fibra óptica – Acme SA / C-1234", exactly the manual's shape
 * (en dashes, U+2013). Empty fields keep their placeholder so the customer sees what is missing.
 */
export function ticketSubject(input: TicketSubjectInput): string {
  const service = clean(input.service) || '[Servicio]';
  const customer = clean(input.customer) || '[Nombre de su Empresa / ID de Cliente]';
  return `[Criticidad: ${input.criticality}] ${EN_DASH} Falla en ${service} ${EN_DASH} ${customer}`;
}

export interface TicketBodyInput {
  serviceId?: string;
  diagnosis?: string;
  since?: string;
  whoIsAffected?: string;
}

/** The body template: the four facts the portal asks for (manual 1.2, step 4). */
export function ticketBody(input: TicketBodyInput = {}): string {
  return [
    `ID del servicio afectado: ${clean(input.serviceId ?? '')}`,
    '',
    'Resultados del autodiagnóstico:',
    (input.diagnosis ?? '').trim() || '- Reinicio de equipos: \n- LEDs: \n- Prueba con cable directo: ',
    '',
    `¿Desde cuándo ocurre el problema?: ${clean(input.since ?? '')}`,
    `¿Afecta a todos los usuarios o solo a algunos?: ${clean(input.whoIsAffected ?? '')}`,
    '',
  ].join('\n');
}

/** mailto: with subject and body percent-encoded (RFC 6068: spaces as %20, line breaks as %0D%0A). */
export function ticketMailto(subject: string, body: string, to: string = SUPPORT_EMAIL): string {
  const enc = (s: string) => encodeURIComponent(s.replace(/\r?\n/g, '\r\n'));
  return `mailto:${to}?subject=${enc(subject)}&body=${enc(body)}`;
}

export function parseCriticality(value: string | null | undefined): Criticality | null {
  const v = (value ?? '').trim().toLowerCase();
  return criticalities.find((c) => c.toLowerCase() === v) ?? null;
}
