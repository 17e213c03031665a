// HTTP plumbing every route module shares: the render cache in front of public documents, the
// CORS headers of the public read API, body limits, and the NOC routes' token + 64 KB setup.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { CommandError } from '#db/commands/errors.ts';
import type { CommandContext } from '#db/commands/transaction.ts';
import { requireToken } from './auth.ts';
import { makeEntry, replyFor, toResponse } from './cache.ts';
import type { AppDeps, Env } from './context.ts';
import { errorResponse } from './errors.ts';
import { timeRender } from './metrics/registry.ts';

/** The NOC's request bodies are small JSON documents; routes that take more say so. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Public read documents (v2 JSON, coverage GeoJSON) may be read from any origin. */
export const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, HEAD, OPTIONS',
  'access-control-allow-headers': 'If-None-Match, Content-Type',
  'access-control-expose-headers': 'ETag',
};

export interface Rendering {
  body: string | Buffer;
  headers: Record<string, string>;
  status?: number;
  lastModified?: Date;
}

/**
 * Serves a cached rendering: bytes kept until the next write, 304 on a matching ETag, or (for
 * renderings that state `lastModified`: feeds) on If-Modified-Since.
 */
export function serveCached(c: Context, deps: AppDeps, key: string, render: () => Rendering) {
  let entry = deps.cache.get(key);
  if (!entry) {
    const generation = deps.cache.currentGeneration;
    const out = timeRender(key, render);
    const headers = out.lastModified
      ? { ...out.headers, 'last-modified': out.lastModified.toUTCString() }
      : out.headers;
    entry = makeEntry(out.status ?? 200, out.body, headers);
    if (entry.status === 200) deps.cache.set(key, generation, entry);
  }
  const reply = replyFor(
    entry,
    c.req.method,
    c.req.header('accept-encoding'),
    c.req.header('if-none-match'),
    c.req.header('if-modified-since'),
  );
  return toResponse(reply);
}

function sizeLabel(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / 1024 / 1024} MB` : `${Math.round(bytes / 1024)} KB`;
}

const tooLargeMessage = (maxBytes: number, what: string) => `${what} supera el máximo de ${sizeLabel(maxBytes)}.`;

/** 413 with the API's error shape once a body passes `maxBytes` (counted as it streams in). */
export function limitBody(maxBytes: number, what = 'El cuerpo') {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => errorResponse(c, 413, 'payload_too_large', tooLargeMessage(maxBytes, what)),
  });
}

/** A body limit for a route that reads its body as a stream, chunk by chunk (`limitedChunks`). */
export interface StreamedBodyLimit {
  maxBytes: number;
  what: string;
}

/**
 * `limitBody` for a route that reads the body as it arrives (`limitedChunks`) instead of having
 * it gathered first: a declared Content-Length over the limit is the same 413 before anything
 * is read; a body without one (chunked) is counted by `limitedChunks` as it streams in.
 */
export function limitStreamedBody({ maxBytes, what }: StreamedBodyLimit) {
  return async (c: Context, next: () => Promise<void>) => {
    const length = c.req.header('content-length');
    if (length !== undefined && !c.req.header('transfer-encoding') && Number(length) > maxBytes)
      return errorResponse(c, 413, 'payload_too_large', tooLargeMessage(maxBytes, what));
    await next();
  };
}

/**
 * A request body's chunks as they arrive, the 413 of `limitStreamedBody` (a CommandError) once
 * they pass the limit. The rest of the body is left unread, as `limitBody` leaves it.
 */
export async function* limitedChunks(
  body: ReadableStream<Uint8Array> | null,
  { maxBytes, what }: StreamedBodyLimit,
): AsyncGenerator<Uint8Array> {
  if (!body) return;
  const reader = body.getReader();
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    size += value.byteLength;
    if (size > maxBytes) {
      reader.releaseLock();
      throw new CommandError(413, 'payload_too_large', tooLargeMessage(maxBytes, what));
    }
    yield value;
  }
}

/** Who acts and when, for a request that passed `requireToken`: the token, audited by name. */
export function tokenContext(c: Context<Env>, deps: Pick<AppDeps, 'now'>): CommandContext {
  return { now: deps.now(), actor: { kind: 'token', name: c.get('tokenName') } };
}

/** A sub-app for NOC write routes: every request needs the bearer token and fits in 64 KB. */
export function nocRoutes(deps: Pick<AppDeps, 'db' | 'now'>): Hono<Env> {
  const app = new Hono<Env>();
  app.use('*', requireToken(deps.db, deps.now));
  app.use('*', limitBody(MAX_BODY_BYTES));
  return app;
}
