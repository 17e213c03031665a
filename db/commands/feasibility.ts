import { FEASIBILITY_INBOX } from '../domain/coverage.ts';
import { enqueueMessages } from '../outbox/enqueue.ts';
import { EMAIL_CHANNEL, type EmailPayload } from '../subscriptions/payload.ts';
import { createHash } from 'node:crypto';
import { and, count, eq, gte } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../client.ts';
import { feasibilityRequests } from '../schema/index.ts';
import { feasibilityServices } from '../domain/coverage.ts';
import { newId } from '../ids.ts';
import { CommandError } from './errors.ts';
import { recordAudit } from './audit.ts';
import { parseInput, text } from './input.ts';
import { runCommand, type CommandContext } from './transaction.ts';

/** At most this many requests per sender per hour: a person asks once; a script asks a lot. */
export const FEASIBILITY_LIMIT_PER_HOUR = 5;
const HOUR = 3_600_000;

const required = (label: string, what: string, min: number, max: number, multiline = false) =>
  text({ min, max, label, required: `Escriba ${what}.`, multiline });
const optionalText = (label: string, max: number, multiline = false) =>
  text({ max, label, multiline })
    .optional()
    .transform((v) => v || null);
const degrees = (label: string, min: number, max: number) =>
  text({ min: 1, max: 40, label: `La ${label}`, required: `Indique la ${label}.` })
    .transform((v) => Number(v.replace(',', '.')))
    .pipe(
      z
        .number({ error: `La ${label} debe ser un número, p. ej. 19.2826.` })
        .min(min, `La ${label} debe estar entre ${min} y ${max}.`)
        .max(max, `La ${label} debe estar entre ${min} y ${max}.`),
    );

/** The form's fields (manual 2.3: precise location, contact, service wanted). */
export const feasibilityRequestSchema = z.object({
  company: required('El nombre de la empresa', 'el nombre de su empresa', 2, 120),
  contact_name: required('El nombre de contacto', 'el nombre de la persona de contacto', 2, 120),
  email: text({ max: 200, label: 'El correo', required: 'Escriba un correo electrónico.' }).pipe(
    z.email('Escriba un correo electrónico válido, p. ej. nombre@empresa.com.'),
  ),
  phone: text({ max: 40, label: 'El teléfono', required: 'Escriba un teléfono.' }).refine(
    (v) => /^\+?[\d\s().-]+$/.test(v) && [10, 12].includes(v.replace(/\D/g, '').length),
    'Escriba un teléfono de 10 dígitos, p. ej. 722 123 4567.',
  ),
  latitude: degrees('latitud', -90, 90),
  longitude: degrees('longitud', -180, 180),
  address: required('La dirección', 'la dirección o referencias del lugar', 5, 500, true),
  service: z.enum(feasibilityServices, { error: 'Elija el servicio que le interesa.' }),
  bandwidth: optionalText('El ancho de banda', 60),
  notes: optionalText('El comentario', 2000, true),
});

export function clientKeyFor(address: string): string {
  return createHash('sha256').update(`feasibility:${address}`).digest('hex');
}

/**
 * Stores a feasibility-study request. Validation errors come back per field (422) for the form
 * to show next to each input; a sender over the hourly limit gets 429 and nothing is stored.
 */
export function submitFeasibilityRequest(
  db: Db,
  input: Record<string, unknown>,
  clientAddress: string,
  ctx: CommandContext,
) {
  const data = parseInput(feasibilityRequestSchema, input, { message: 'Revise los campos marcados.' });
  const clientKey = clientKeyFor(clientAddress);
  return runCommand(db, () => {
    const recent = db
      .select({ n: count() })
      .from(feasibilityRequests)
      .where(
        and(
          eq(feasibilityRequests.clientKey, clientKey),
          gte(feasibilityRequests.createdAt, new Date(ctx.now.getTime() - HOUR)),
        ),
      )
      .get();
    if ((recent?.n ?? 0) >= FEASIBILITY_LIMIT_PER_HOUR) {
      throw new CommandError(
        429,
        'rate_limited',
        'Recibimos varias solicitudes desde su conexión en la última hora. Intente más tarde o escriba a cobertura@somnet.com.mx.',
      );
    }
    const id = newId();
    db.insert(feasibilityRequests)
      .values({
        id,
        company: data.company,
        contactName: data.contact_name,
        email: data.email,
        phone: data.phone,
        latitude: data.latitude,
        longitude: data.longitude,
        address: data.address,
        service: data.service,
        bandwidth: data.bandwidth,
        notes: data.notes,
        clientKey,
        createdAt: ctx.now,
      })
      .run();
    recordAudit(db, ctx.actor, 'feasibility_request.created', { type: 'feasibility_request', id }, ctx.now);
    // The coverage team learns of it by email, through the same outbox as every notice.
    enqueueMessages(
      db,
      [
        {
          channel: EMAIL_CHANNEL,
          kind: 'feasibility.requested',
          dedupeKey: `feasibility:${id}`,
          recipient: FEASIBILITY_INBOX,
          payload: { template: 'feasibility', request: id } satisfies EmailPayload,
        },
      ],
      ctx.now,
    );
    return { id };
  });
}
