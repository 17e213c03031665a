import type { Context } from 'hono';
import { z } from 'zod';
import { CommandError } from '../db/commands/errors.ts';
import { zodFields } from './errors.ts';

// Validation messages in Spanish, like the rest of the site.
z.config(z.locales.es());

/** An RFC 3339 timestamp that states its offset ("Z" or "-06:00"); a bare local time is ambiguous. */
export const timestamp = z
  .string({ error: 'Debe ser una fecha y hora ISO 8601 con zona, p. ej. 2026-11-26T14:30:00-06:00.' })
  .refine((v) => z.iso.datetime({ offset: true }).safeParse(v).success, 'Debe ser una fecha y hora ISO 8601 con zona (Z o ±hh:mm), p. ej. 2026-11-26T14:30:00-06:00.')
  .transform((v) => new Date(v));

/**
 * Reads a JSON request body and validates it. Wrong content type → 415, empty or malformed
 * body → 400, invalid fields → 422 with each field's path. (Oversize bodies are stopped earlier,
 * by the body-limit middleware, with 413.)
 */
export async function parseJsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type)) {
    throw new CommandError(415, 'unsupported_media_type', 'El cuerpo debe enviarse como JSON (Content-Type: application/json).');
  }
  const text = await c.req.text();
  if (text.trim() === '') throw new CommandError(400, 'empty_body', 'El cuerpo de la solicitud está vacío; se esperaba un objeto JSON.');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new CommandError(400, 'invalid_json', 'El cuerpo no es JSON válido.');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new CommandError(400, 'invalid_json', 'El cuerpo debe ser un objeto JSON.');
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new CommandError(422, 'validation_failed', 'Algunos campos no son válidos.', zodFields(parsed.error));
  return parsed.data;
}
