import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, brotliCompressSync, constants as zlib, gzip as gzipCallback, gzipSync } from 'node:zlib';
import type { Db } from '#db/client.ts';
import { dataWatcher, type DataWatcher } from '#db/dataWatcher.ts';

/**
 * Public pages, feeds and v2 JSON are rendered once and kept here as bytes (plus gzip and
 * brotli forms and a strong ETag) until the next write. The connection's data watcher
 * (db/dataWatcher.ts) drops the cache as a write in this process commits, and when it sees a
 * write by another process (the `noc` CLI), which the cache asks it to look for on reads.
 * Entries also expire after `ttlMs`, for what changes with time alone (today's uptime bar,
 * "hace 5 minutos" never appears: times are absolute).
 */
export interface CachedEntry {
  status: number;
  body: Buffer;
  gzip: Buffer | null;
  br: Buffer | null;
  etag: string;
  createdAt: number;
  /** Headers shared by every encoding (content type, cache policy, CORS…). */
  headers: Record<string, string>;
}

/**
 * Browsers revalidate every time (max-age=0, cheap with the ETag); shared caches (a CDN) may
 * serve a copy for 10 s and revalidate in the background for 30 s more. stale-if-error
 * (RFC 5861 §4) lets them keep serving the last copy for a day when the origin fails or is
 * down: a status page must stay readable during the outage it reports.
 */
export const PUBLIC_CACHE_CONTROL = 'public, max-age=0, s-maxage=10, stale-while-revalidate=30, stale-if-error=86400';

export class RenderedCache {
  private entries = new Map<string, CachedEntry>();
  /** Keys read since they were stored (or last spared from eviction). */
  private used = new Set<string>();
  private generation = 0;
  private readonly watcher: DataWatcher;
  readonly ttlMs: number;
  readonly maxEntries: number;
  /**
   * How often another process's writes are looked for. Writes in this process drop the cache
   * as they commit, whatever this is; the server looks every 50 ms (the PRAGMA was 8 % of the
   * CPU of a cache hit), tests every time. The watcher may look more often for others (the
   * publisher's timer): whoever looks, the cache hears of it.
   */
  readonly externalCheckMs: number;

  constructor(db: Db, options: { ttlMs?: number; maxEntries?: number; externalCheckMs?: number } = {}) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.maxEntries = options.maxEntries ?? 500;
    this.externalCheckMs = options.externalCheckMs ?? 0;
    this.watcher = dataWatcher(db);
    this.watcher.subscribe(() => this.clear());
  }

  clear(): void {
    this.entries.clear();
    this.used.clear();
    this.generation++;
  }

  /** Bumped on every invalidation; a render that started before it must not be stored. */
  get currentGeneration(): number {
    this.watcher.look(this.externalCheckMs);
    return this.generation;
  }

  get(key: string, now = Date.now()): CachedEntry | undefined {
    this.watcher.look(this.externalCheckMs);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (now - entry.createdAt > this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    this.used.add(key);
    return entry;
  }

  /** Drops one rendering, so the next request renders it again (a page whose time has come). */
  delete(key: string): void {
    this.entries.delete(key);
  }

  /**
   * Stores a rendering unless the data changed while it was being produced. When full, the
   * oldest entry not read since it was stored goes (a second chance for the others, so a flood
   * of one-off URLs cannot push `/` out).
   */
  set(key: string, generation: number, entry: CachedEntry): void {
    if (generation !== this.currentGeneration) return;
    for (let looked = 0; this.entries.size >= this.maxEntries && looked <= this.maxEntries; looked++) {
      const [oldest, kept] = this.entries.entries().next().value!;
      this.entries.delete(oldest);
      if (this.used.delete(oldest)) this.entries.set(oldest, kept);
    }
    this.used.delete(key);
    this.entries.set(key, entry);
  }
}

/** Smaller bodies are sent as they are: compression would not pay for its headers. */
export const MIN_COMPRESSIBLE_BYTES = 512;

/**
 * Compression for a body read often (a page in the cache, a hot file of the snapshot): gzip at
 * level 9 (the same size as 6 within 0.3 %, for twice the time) and brotli at quality 5 (on the
 * 74 KB status page, 1 ms and 3 % larger than quality 9's 14 ms).
 */
const GZIP_HOT = { level: 9 };
const brotliHotOptions = (bytes: Buffer) => ({
  params: { [zlib.BROTLI_PARAM_QUALITY]: 5, [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length },
});

export function gzipHot(bytes: Buffer): Buffer {
  return gzipSync(bytes, GZIP_HOT);
}

export function brotliHot(bytes: Buffer): Buffer {
  return brotliCompressSync(bytes, brotliHotOptions(bytes));
}

const gzipAsync = promisify(gzipCallback);
const brotliAsync = promisify(brotliCompress);

/** Fills a lazily compressed entry's forms (makeEntry), for `compressEntry`. */
const fillers = new WeakMap<CachedEntry, (gzip: Buffer, br: Buffer) => void>();

/**
 * Makes an entry's gzip and brotli forms in libuv's thread pool (zlib's asynchronous API), so
 * that whoever asks for them next (the publisher writing its files, a reader) finds them made:
 * the ~10 ms of gzip 9 + brotli 5 of a page are then off the event loop, which keeps answering
 * requests meanwhile. An entry whose forms were already made (or that has none) is left as it is.
 * True when it made them.
 */
export async function compressEntry(entry: CachedEntry): Promise<boolean> {
  const fill = fillers.get(entry);
  if (!fill) return false;
  fillers.delete(entry);
  const [gzip, br] = await Promise.all([
    gzipAsync(entry.body, GZIP_HOT),
    brotliAsync(entry.body, brotliHotOptions(entry.body)),
  ]);
  fill(gzip, br);
  return true;
}

/**
 * A rendering as the cache keeps it. Its gzip and brotli forms are made the first time they
 * are asked for (a reader that takes that encoding, a publish that writes that file), once: a
 * publish that finds the same bytes on disk, or a page nobody reads compressed, pays nothing.
 */
export function makeEntry(
  status: number,
  body: Buffer | string,
  headers: Record<string, string>,
  now = Date.now(),
): CachedEntry {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const compressible = bytes.length >= MIN_COMPRESSIBLE_BYTES;
  let gzip: Buffer | null | undefined = compressible ? undefined : null;
  let br: Buffer | null | undefined = compressible ? undefined : null;
  // Both forms made on the loop (a reader asked for each): nothing left for compressEntry.
  const made = (_: Buffer) => {
    if (gzip !== undefined && br !== undefined) fillers.delete(entry);
  };
  const entry: CachedEntry = {
    status,
    body: bytes,
    get gzip() {
      if (gzip === undefined) made((gzip = gzipHot(bytes)));
      return gzip;
    },
    get br() {
      if (br === undefined) made((br = brotliHot(bytes)));
      return br;
    },
    etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`,
    createdAt: now,
    headers,
  };
  // Made in the thread pool (compressEntry) unless a reader asked first (the same bytes either way).
  if (compressible)
    fillers.set(entry, (z, b) => {
      gzip ??= z;
      br ??= b;
    });
  return entry;
}

type Encoding = 'br' | 'gzip' | 'identity';

/** Picks brotli, then gzip, from an Accept-Encoding header (q=0 excludes). */
export function chooseEncoding(entry: CachedEntry, acceptEncoding: string | undefined): Encoding {
  // Asking for entry.gzip would compress it: its size says whether it has compressed forms.
  if (!acceptEncoding || entry.body.length < MIN_COMPRESSIBLE_BYTES) return 'identity';
  const accepted = new Set<string>();
  for (const part of acceptEncoding.toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    if (params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p))) continue;
    accepted.add(name.trim());
  }
  if (entry.br && (accepted.has('br') || accepted.has('*'))) return 'br';
  if (accepted.has('gzip') || accepted.has('*')) return 'gzip';
  return 'identity';
}

/** ETags per encoding differ (the bytes differ), as RFC 9110 §8.8.3 requires of strong validators. */
function etagFor(entry: CachedEntry, encoding: Encoding): string {
  return encoding === 'identity' ? entry.etag : `${entry.etag.slice(0, -1)}-${encoding}"`;
}

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer | null;
}

/**
 * RFC 9110 §13.1.3: If-Modified-Since is ignored when If-None-Match is present, and when the
 * entry has no Last-Modified. HTTP dates have whole seconds, so compare at that precision.
 */
function notModifiedSince(entry: CachedEntry, ifModifiedSince: string | undefined): boolean {
  const lastModified = entry.headers['last-modified'];
  if (!ifModifiedSince || !lastModified) return false;
  const since = Date.parse(ifModifiedSince);
  return !Number.isNaN(since) && Date.parse(lastModified) <= since;
}

/** Status, headers and bytes for a request, given its conditional and encoding headers. */
/** Header sets per entry and encoding, built once: a cache hit then allocates nothing but the reply. */
const headerSets = new WeakMap<
  CachedEntry,
  Map<Encoding, { notModified: Record<string, string>; full: Record<string, string> }>
>();

function headersFor(entry: CachedEntry, encoding: Encoding) {
  let byEncoding = headerSets.get(entry);
  if (!byEncoding) headerSets.set(entry, (byEncoding = new Map()));
  let set = byEncoding.get(encoding);
  if (!set) {
    const body = encoding === 'br' ? entry.br! : encoding === 'gzip' ? entry.gzip! : entry.body;
    const notModified: Record<string, string> = {
      ...entry.headers,
      etag: etagFor(entry, encoding),
      vary: 'Accept-Encoding',
    };
    const full: Record<string, string> = {
      ...notModified,
      ...(encoding !== 'identity' ? { 'content-encoding': encoding } : {}),
      'content-length': String(body.length),
    };
    set = { notModified, full };
    byEncoding.set(encoding, set);
  }
  return set;
}

export function replyFor(
  entry: CachedEntry,
  method: string,
  acceptEncoding: string | undefined,
  ifNoneMatch: string | undefined,
  ifModifiedSince?: string,
): Reply {
  const encoding = chooseEncoding(entry, acceptEncoding);
  const headers = headersFor(entry, encoding);
  // RFC 9110 §15.4.5: a 304 carries the validators and cache headers a 200 would, no body.
  const notModified = ifNoneMatch
    ? matches(ifNoneMatch, headers.notModified.etag)
    : notModifiedSince(entry, ifModifiedSince);
  if (entry.status === 200 && notModified) return { status: 304, headers: headers.notModified, body: null };
  const body = encoding === 'br' ? entry.br! : encoding === 'gzip' ? entry.gzip! : entry.body;
  return { status: entry.status, headers: headers.full, body: method === 'HEAD' ? null : body };
}

/** The same reply as a web Response, for routes that go through Hono. */
export function toResponse(reply: Reply): Response {
  return new Response(reply.body ? new Uint8Array(reply.body) : null, { status: reply.status, headers: reply.headers });
}
