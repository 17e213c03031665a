// The building blocks of every command's input schema, and how a command reads its input.
//
// A command declares one zod schema beside it (`createIncidentInput` in incidents.ts, …) built
// from these primitives, and parses what it is given with `parseInput` before touching the
// database. The API, the console and the CLI pass their values through and only translate names:
// the limits and the Spanish messages live here and in those schemas, nowhere else.
//
// Field names. A schema's keys are the command's own (`startedAt`); the public name of a field —
// in the API's JSON, in error paths, in the console's form fields — is its snake_case form
// (`started_at`). `parseInput` reports errors under public names; `fromPublicNames` turns a
// JSON body's keys into the schema's.
import { z } from 'zod';
import { CommandError, type FieldError } from './errors.ts';
import { canonicalServiceId, normalizeElement } from '../domain/affectedServices.ts';

// zod's own messages (wrong type, unknown key…) in Spanish, like the rest of the site.
z.config(z.locales.es());

/** Every length limit a person meets, written once; forms read them for their `maxlength`. */
export const LIMITS = {
  /** Titles and names: incidents, maintenances, areas, components. */
  name: 200,
  /** Messages to customers: incident updates, maintenance notices. */
  body: 20_000,
  /** Short explanations: cause, description, reasons. */
  note: 2_000,
  slug: 60,
  /** Email addresses (RFC 5321). */
  email: 254,
  /** A subscriber's address on any channel: an email, a phone number, a chat id or a webhook URL. */
  address: 2_000,
  /** A customer's ID from their invoice. */
  customerId: 40,
  /** API token names. */
  tokenName: 64,
  /** A component or area reference (id or slug) as a client may send it. */
  ref: 100,
  /** References in one list. */
  refs: 500,
  /** A customer service's ID as printed on invoices (SOM-12345). */
  serviceId: 40,
  /** A network element identifier (OLT-MET-01, PON 1/2/3, TORRE-LERMA-AP2). */
  element: 100,
  /** Network elements one service traverses. */
  serviceElements: 50,
  /** Technical contacts of one service. */
  serviceContacts: 20,
  /** Services in one inventory. */
  services: 100_000,
} as const;

/**
 * A form or query value as a page keeps it to show it again: cut one character past its limit,
 * so a value that is too long stays too long (the command refuses it with its own message)
 * instead of being silently shortened into something else, and nothing unbounded is echoed.
 */
export function clip(value: FormDataEntryValue | null | undefined, limit: number): string {
  return (typeof value === 'string' ? value : '').slice(0, limit + 1);
}

const count = new Intl.NumberFormat('es-MX');

export interface TextRule {
  max: number;
  /** 1 for a required field (after trimming). */
  min?: number;
  /** How a message names the field: "El título", "La causa". */
  label: string;
  /** The message for an empty required field, e.g. "Escriba un título, p. ej. «…»." */
  required?: string;
  /** Text of several lines (messages, causes, addresses): tab and line breaks are allowed. */
  multiline?: boolean;
}

/**
 * Characters no field may hold: control characters (C0, DEL, C1: an ESC sequence in a name
 * reached `/status.txt` raw and rewrote the terminal of whoever curled it; NUL or ESC make
 * XML documents like `badge.svg` invalid), Unicode noncharacters (U+FFFE, U+FDD0…) and lone
 * surrogates (not text at all), and the bidirectional embeddings, overrides and isolates
 * (U+202A–U+202E, U+2066–U+2069): a U+202E in a component name shows the rest of the line, and
 * what follows it on the page, in reverse ("Trojan Source"). Arabic or Hebrew text needs none of
 * them; the plain marks U+200E/U+200F, which change no order by themselves, stay allowed.
 * The line and paragraph separators U+2028/U+2029 are refused too: they end a JavaScript string
 * literal in some embedding contexts (a name inside an inline script or JSONP) and no keyboard
 * types them. Multi-line fields keep tab, line feed and carriage return, the only line breaks.
 */
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/u;
const UNICODE_SEPARATOR = /[\u2028\u2029]/u;
const FORBIDDEN_IN_LINE = /\p{Cc}|\p{Noncharacter_Code_Point}|\p{Cs}|[\u202A-\u202E\u2066-\u2069\u2028\u2029]/u;
const FORBIDDEN_IN_TEXT =
  /(?![\t\n\r])\p{Cc}|\p{Noncharacter_Code_Point}|\p{Cs}|[\u202A-\u202E\u2066-\u2069\u2028\u2029]/u;

function forbiddenCharacterMessage(label: string, value: string, multiline: boolean): string | null {
  const match = (multiline ? FORBIDDEN_IN_TEXT : FORBIDDEN_IN_LINE).exec(value);
  if (!match) return null;
  const code = `U+${match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  const position = [...value.slice(0, match.index)].length + 1;
  const what =
    !multiline && /[\t\n\r]/.test(match[0])
      ? 'un salto de línea o tabulador'
      : UNICODE_SEPARATOR.test(match[0])
        ? `un separador de línea o de párrafo Unicode (${code})`
        : BIDI_CONTROL.test(match[0])
          ? `un carácter que invierte la dirección del texto (${code})`
          : `un carácter de control o no válido (${code})`;
  return `${label} contiene ${what} en la posición ${position}; quítelo y vuelva a intentarlo.`;
}

/**
 * Text a person typed: trimmed, then measured. Every free-text field of every command is one of
 * these, so a rule about what text may contain (characters refused, normalisation) is added
 * here once and holds for the API, the console and the CLI alike.
 */
export function text({ max, min = 0, label, required, multiline = false }: TextRule) {
  // A missing required field reads like an empty one ("Escriba un título"), not like a type error.
  let schema = z
    .string({ error: (issue) => (issue.input === undefined && required ? required : `${label} debe ser texto.`) })
    .trim();
  if (min > 0) schema = schema.min(min, required ?? `${label} no puede quedar vacío.`);
  return schema.max(max, `${label} no puede pasar de ${count.format(max)} caracteres.`).check((ctx) => {
    const message = forbiddenCharacterMessage(label, ctx.value, multiline);
    if (message) ctx.issues.push({ code: 'custom', message, input: ctx.value });
  });
}

/** A title or name (1–200), on one line. */
export const nameText = (required: string, label = 'El nombre') => text({ min: 1, max: LIMITS.name, label, required });
/** A message for customers (1–20,000), of several lines. */
export const bodyText = (required: string, label = 'El mensaje') =>
  text({ min: 1, max: LIMITS.body, label, required, multiline: true });
/** A short optional explanation (0–2,000): cause, description, reason; line breaks allowed. */
export const noteText = (label: string) => text({ max: LIMITS.note, label, multiline: true });

export const SLUG_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
/** Identifier in URLs (`/componentes/:slug/…`); no spaces, so not trimmed. */
export const slug = z
  .string({ error: 'El identificador debe ser texto.' })
  .max(LIMITS.slug, 'Solo minúsculas, números y guiones (máximo 60), p. ej. metepec-fibra.')
  .regex(SLUG_PATTERN, 'Solo minúsculas, números y guiones (máximo 60), p. ej. metepec-fibra.');

/** A component or area named by id or slug; whether it exists is the resolver's answer (db/queries/catalog.ts). */
export const ref = z
  .string({ error: 'Indique un componente o una zona por su id o identificador.' })
  .min(1)
  .max(LIMITS.ref);
export const refList = z.array(ref).max(LIMITS.refs, `Hasta ${LIMITS.refs} componentes o zonas.`);

/**
 * A network element named by SOMNET's inventory (free text, one line). Compared without regard
 * to case (db/domain/affectedServices.ts), so it is kept in that canonical form. A semicolon
 * separates elements in the inventory's CSV, so it cannot be part of one.
 */
export const networkElement = text({
  min: 1,
  max: LIMITS.element,
  label: 'El elemento de red',
  required: 'Indique el elemento de red, p. ej. OLT-MET-01.',
})
  .refine((v) => !v.includes(';'), 'Un elemento de red no puede contener «;» (separa elementos en el CSV).')
  .transform(normalizeElement);
/** Network elements an incident or maintenance names; each must exist in the service inventory. */
export const elementList = z
  .array(networkElement, { error: 'Envíe los elementos de red como una lista, p. ej. ["OLT-MET-01"].' })
  .max(LIMITS.refs, `Hasta ${LIMITS.refs} elementos de red.`);

const SERVICE_ID_MESSAGE =
  'El ID de servicio tiene hasta 40 letras, números, puntos, guiones o guiones bajos, p. ej. SOM-12345.';

/** A customer service's ID as printed on invoices (SOM-12345), kept upper-case (see canonicalServiceId). */
export const serviceIdText = text({
  min: 1,
  max: LIMITS.serviceId,
  label: 'El ID de servicio',
  required: 'Indique el ID del servicio, p. ej. SOM-12345.',
})
  // Written the way people type it (« som 10231», «som10231»), read as SOM-10231 before the check.
  .overwrite(canonicalServiceId)
  .regex(/^[\p{L}\p{N}][\p{L}\p{N}._-]*$/u, SERVICE_ID_MESSAGE);

const TIMESTAMP_MESSAGE = 'Debe ser una fecha y hora ISO 8601 con zona (Z o ±hh:mm), p. ej. 2026-11-26T14:30:00-06:00.';
const rfc3339 = z.iso.datetime({ offset: true });

/**
 * An instant: a Date (console, CLI, tests) or an RFC 3339 timestamp that states its offset
 * ("Z" or "-06:00"), as the API receives it. A bare local time is ambiguous, so it is refused.
 */
export const instant = z.union([z.date(), z.string()], { error: TIMESTAMP_MESSAGE }).transform((value, ctx) => {
  if (value instanceof Date) return value;
  if (!rfc3339.safeParse(value).success) {
    ctx.addIssue({ code: 'custom', message: TIMESTAMP_MESSAGE });
    return z.NEVER;
  }
  return new Date(value);
});

/**
 * The earliest instant a past event (an incident's start) may have: SOMNET's records start long
 * after, and an incident in the year 1000 appeared in no month of the history.
 */
export const EARLIEST_EVENT = new Date('2000-01-01T00:00:00-06:00');

/** An instant of SOMNET's history: not before 2000-01-01. */
export const historicInstant = instant.refine((d) => d.getTime() >= EARLIEST_EVENT.getTime(), {
  message: 'La fecha no puede ser anterior al 1 de enero de 2000.',
});

/** `startedAt` → `started_at`: the name a field has in the API, in error paths and in forms. */
export function publicName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Field errors under public names: the first segment is the field, later ones (indexes, map keys)
 * are kept. `keepNames` is for documents whose names are someone else's (Alertmanager's
 * `groupKey`): the path then says exactly what the sender wrote.
 */
export function fieldErrors(error: z.ZodError, prefix?: string, keepNames = false): FieldError[] {
  return error.issues.map((issue) => {
    const segments = issue.path.map(String);
    if (segments.length && !keepNames) segments[0] = publicName(segments[0]);
    else if (issue.code === 'unrecognized_keys') segments.push(issue.keys.join(','));
    // zod's Spanish locale says «Llave desconocida»; a field is what the API and forms call it.
    const message =
      issue.code === 'unrecognized_keys'
        ? `${issue.keys.length === 1 ? 'Campo desconocido' : 'Campos desconocidos'}: ${issue.keys.map((k) => `«${k}»`).join(', ')}. Revise el nombre en la documentación.`
        : issue.message;
    return { path: [prefix, ...segments].filter((s) => s !== undefined && s !== '').join('.'), message };
  });
}

/** Problems with an input, without throwing: what a form shows before it offers to publish. */
export function checkInput(schema: z.ZodType, input: unknown): FieldError[] {
  const parsed = schema.safeParse(input);
  return parsed.success ? [] : fieldErrors(parsed.error);
}

/**
 * A JSON body read as an object: empty or malformed → 400 (the API's readJsonObject, and the
 * intake worker that reads large alert groups off the event loop, say the same).
 */
export function parseJsonObject(text: string): Record<string, unknown> {
  if (text.trim() === '')
    throw new CommandError(400, 'empty_body', 'El cuerpo de la solicitud está vacío; se esperaba un objeto JSON.');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new CommandError(400, 'invalid_json', 'El cuerpo no es JSON válido.');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new CommandError(400, 'invalid_json', 'El cuerpo debe ser un objeto JSON.');
  return data as Record<string, unknown>;
}

/**
 * The command's first step: its input, parsed by its schema, or a 422 `validation_failed` with
 * every bad field (public names) — before anything is read or written. `path` prefixes the paths
 * when the input is one part of a larger document (`subscribers.3.email`).
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  options: { path?: string; message?: string; keepNames?: boolean } = {},
): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success)
    throw new CommandError(
      422,
      'validation_failed',
      options.message ?? 'Algunos campos no son válidos.',
      fieldErrors(parsed.error, options.path, options.keepNames),
    );
  return parsed.data;
}

/**
 * The public name of each top-level field of an input schema (`started_at` → `startedAt`): how a
 * JSON body maps onto the command's input here, and how the API description names the fields
 * (api/openapi/), so the two cannot disagree. Nested keys are not renamed.
 */
export function publicFieldNames(schema: z.ZodObject): Map<string, string> {
  return new Map(Object.keys(schema.shape).map((k) => [publicName(k), k]));
}

/**
 * A JSON object with public names (`started_at`) as the schema's input (`startedAt`). A key that
 * is neither is passed through for the schema's strictness to refuse by its name; a key spelled
 * the internal way (`startedAt`) is not a public name and is refused here.
 */
export function fromPublicNames<S extends z.ZodObject>(body: Record<string, unknown>, schema: S): z.input<S> {
  const byPublic = publicFieldNames(schema);
  const internalOnly = new Set(Object.keys(schema.shape).filter((k) => publicName(k) !== k));
  const out: Record<string, unknown> = {};
  const refused: string[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (internalOnly.has(key) && !byPublic.has(key)) refused.push(key);
    else out[byPublic.get(key) ?? key] = value;
  }
  if (refused.length) {
    const issue = z.strictObject({}).safeParse(Object.fromEntries(refused.map((k) => [k, null]))).error!;
    throw new CommandError(422, 'validation_failed', 'Algunos campos no son válidos.', fieldErrors(issue));
  }
  return out as z.input<S>;
}
