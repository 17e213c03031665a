import type { Context } from 'hono';
import type { z } from 'zod';
import { CommandError } from '#db/commands/errors.ts';
import { fromPublicNames, parseInput, parseJsonObject } from '#db/commands/input.ts';
import { limitedChunks, type StreamedBodyLimit } from './http.ts';

/**
 * Reads a JSON request body: wrong content type → 415, empty or malformed body → 400. (Oversize
 * bodies are stopped earlier, by the body-limit middleware, with 413.)
 */
export async function readJsonObject(c: Context): Promise<Record<string, unknown>> {
  return parseJsonObject(await readJsonText(c));
}

/** A JSON request body as text, not parsed yet: 415 unless its type is JSON. */
export async function readJsonText(c: Context): Promise<string> {
  requireJsonType(c);
  return c.req.text();
}

/**
 * A JSON request body as its chunks, as they arrive (a large alert group is handed to the intake
 * worker piece by piece), within `limit` (the route's `limitStreamedBody`): 415 unless JSON.
 */
export function readJsonChunks(c: Context, limit: StreamedBodyLimit): AsyncIterable<Uint8Array> {
  requireJsonType(c);
  return limitedChunks(c.req.raw.body, limit);
}

function requireJsonType(c: Context): void {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type)) {
    throw new CommandError(
      415,
      'unsupported_media_type',
      'El cuerpo debe enviarse como JSON (Content-Type: application/json).',
    );
  }
}

/**
 * The body of a request as the input of a command: its JSON keys are the public names of the
 * command's fields (`started_at` for `startedAt`). Nothing else is checked here: the command
 * parses the input with its own schema, and its 422 already names fields by public name.
 */
export async function commandInput<S extends z.ZodObject>(c: Context, schema: S): Promise<z.input<S>> {
  return fromPublicNames(await readJsonObject(c), schema);
}

/** A body the route itself must understand before a command runs (an envelope such as `{ confirmed, subscribers }`). */
export async function parseJsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  return parseInput(schema, await readJsonObject(c));
}
