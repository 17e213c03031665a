// The render cache (api/cache.ts) on its own: entries, encodings, validators, invalidation.
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  brotliHot,
  chooseEncoding,
  compressEntry,
  gzipHot,
  makeEntry,
  RenderedCache,
  replyFor,
} from '../../api/cache.ts';
import { openDatabase } from '#db/client.ts';
import { runCommand } from '#db/commands/transaction.ts';
import { freshDb } from '../support/db.ts';
import { confirmSubscription, requestSubscription, unsubscribe, updatePreferences } from '#db/commands/subscribers.ts';
import { submitFeasibilityRequest } from '#db/commands/feasibility.ts';
import { createIncident } from '#db/commands/incidents.ts';
import { signIn } from '#db/commands/consoleSessions.ts';
import { submitOnce } from '#db/commands/consoleForms.ts';
import { createComponent } from '#db/commands/catalog.ts';
import { addUser } from '../console/support.ts';

const page = 'Estado de la red SOMNET. '.repeat(60); // > 512 bytes: kept compressed too
const html = { 'content-type': 'text/html; charset=utf-8' };

describe('makeEntry', () => {
  it('keeps gzip and brotli forms of what is worth compressing, with a strong ETag of the bytes', () => {
    const entry = makeEntry(200, page, html, 1000);
    expect(gunzipSync(entry.gzip!).toString()).toBe(page);
    expect(brotliDecompressSync(entry.br!).toString()).toBe(page);
    expect(entry.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(makeEntry(200, page, html).etag).toBe(entry.etag);
    expect(makeEntry(200, `${page}!`, html).etag).not.toBe(entry.etag);
    const tiny = makeEntry(200, '{"status":"ok"}', html);
    expect(tiny.gzip).toBeNull();
    expect(tiny.br).toBeNull();
  });
});

describe('compressEntry', () => {
  it('makes the gzip and brotli forms in the thread pool, the same bytes the event loop would have made', async () => {
    const entry = makeEntry(200, page, html);
    expect(await compressEntry(entry)).toBe(true);
    expect(entry.gzip!.equals(gzipHot(Buffer.from(page)))).toBe(true);
    expect(entry.br!.equals(brotliHot(Buffer.from(page)))).toBe(true);
    // Once made, never again.
    expect(await compressEntry(entry)).toBe(false);
  });

  it('leaves forms a reader already asked for, and bodies too small to compress', async () => {
    const entry = makeEntry(200, page, html);
    const br = entry.br;
    const gzip = entry.gzip;
    expect(await compressEntry(entry)).toBe(false);
    expect(entry.br).toBe(br);
    expect(entry.gzip).toBe(gzip);
    const half = makeEntry(200, page, html);
    const halfBr = half.br;
    expect(await compressEntry(half)).toBe(true);
    expect(half.br).toBe(halfBr);
    expect(gunzipSync(half.gzip!).toString()).toBe(page);
    const tiny = makeEntry(200, '{"status":"ok"}', html);
    expect(await compressEntry(tiny)).toBe(false);
    expect(tiny.gzip).toBeNull();
  });
});

describe('chooseEncoding', () => {
  const entry = makeEntry(200, page, html);
  it('prefers brotli, then gzip, and honours q=0', () => {
    expect(chooseEncoding(entry, 'gzip, deflate, br')).toBe('br');
    expect(chooseEncoding(entry, 'gzip')).toBe('gzip');
    expect(chooseEncoding(entry, 'br;q=0, gzip;q=0.5')).toBe('gzip');
    expect(chooseEncoding(entry, 'br;q=0.0, gzip;q=0')).toBe('identity');
    expect(chooseEncoding(entry, '*')).toBe('br');
    expect(chooseEncoding(entry, undefined)).toBe('identity');
    expect(chooseEncoding(makeEntry(200, 'corto', html), 'br')).toBe('identity');
  });
});

describe('replyFor', () => {
  const entry = makeEntry(200, page, { ...html, 'last-modified': 'Thu, 26 Nov 2026 18:00:00 GMT' });

  it('sends the chosen encoding with its own ETag, Vary and length', () => {
    const br = replyFor(entry, 'GET', 'br', undefined);
    expect(br.status).toBe(200);
    expect(br.headers).toMatchObject({
      'content-encoding': 'br',
      vary: 'Accept-Encoding',
      'content-length': String(entry.br!.length),
    });
    expect(br.headers.etag).toBe(`${entry.etag.slice(0, -1)}-br"`);
    expect(replyFor(entry, 'GET', undefined, undefined).headers.etag).toBe(entry.etag);
    expect(replyFor(entry, 'HEAD', 'gzip', undefined).body).toBeNull();
  });

  it('answers 304 to a matching If-None-Match (weak, listed or *), with validators and no body', () => {
    const etag = replyFor(entry, 'GET', 'gzip', undefined).headers.etag;
    for (const inm of [etag, `W/${etag}`, `"otra", ${etag}`, '*']) {
      const r = replyFor(entry, 'GET', 'gzip', inm);
      expect(r.status, inm).toBe(304);
      expect(r.body).toBeNull();
      expect(r.headers.etag).toBe(etag);
      expect(r.headers['content-length']).toBeUndefined();
    }
    // The identity ETag does not validate the gzip bytes (RFC 9110 §8.8.3).
    expect(replyFor(entry, 'GET', 'gzip', entry.etag).status).toBe(200);
  });

  it('uses If-Modified-Since only without If-None-Match, at whole seconds', () => {
    expect(replyFor(entry, 'GET', undefined, undefined, 'Thu, 26 Nov 2026 18:00:00 GMT').status).toBe(304);
    expect(replyFor(entry, 'GET', undefined, undefined, 'Thu, 26 Nov 2026 17:59:59 GMT').status).toBe(200);
    expect(replyFor(entry, 'GET', undefined, '"otra"', 'Thu, 26 Nov 2026 18:00:00 GMT').status).toBe(200);
    expect(
      replyFor(makeEntry(200, page, html), 'GET', undefined, undefined, 'Thu, 26 Nov 2026 18:00:00 GMT').status,
    ).toBe(200);
  });

  it('never turns an error into a 304', () => {
    const missing = makeEntry(404, 'no', html);
    expect(replyFor(missing, 'GET', undefined, '*').status).toBe(404);
  });
});

describe('RenderedCache', () => {
  it('expires entries after the TTL and evicts the oldest beyond its size', () => {
    const db = freshDb({ seed: false });
    const cache = new RenderedCache(db, { ttlMs: 1000, maxEntries: 2 });
    const gen = cache.currentGeneration;
    cache.set('/a', gen, makeEntry(200, 'a', html, 0));
    cache.set('/b', gen, makeEntry(200, 'b', html, 0));
    expect(cache.get('/a', 1000)?.body.toString()).toBe('a');
    expect(cache.get('/a', 1001)).toBeUndefined();
    cache.set('/c', gen, makeEntry(200, 'c', html, 1000));
    cache.set('/d', gen, makeEntry(200, 'd', html, 1000));
    expect(cache.get('/b', 1000)).toBeUndefined();
    expect(cache.get('/d', 1000)?.body.toString()).toBe('d');
  });

  it('drops everything when a command commits, and refuses a rendering begun before it', () => {
    const db = freshDb({ seed: false });
    const cache = new RenderedCache(db);
    const before = cache.currentGeneration;
    cache.set('/', before, makeEntry(200, 'antes', html));
    runCommand(db, () => undefined);
    expect(cache.get('/')).toBeUndefined();
    cache.set('/', before, makeEntry(200, 'a destiempo', html));
    expect(cache.get('/')).toBeUndefined();
    cache.set('/', cache.currentGeneration, makeEntry(200, 'después', html));
    expect(cache.get('/')?.body.toString()).toBe('después');
  });

  it('keeps its pages across what no public page shows: sign-ups, their links, feasibility requests, sign-ins', async () => {
    const db = freshDb();
    const cache = new RenderedCache(db);
    const ctx = { now: new Date('2026-11-26T18:00:00Z'), actor: { kind: 'user' as const, name: 'público' } };
    cache.set('/', cache.currentGeneration, makeEntry(200, 'estado', html));
    requestSubscription(db, { email: 'cliente@empresa.mx', ip: '198.51.100.7' }, ctx);
    const token = (
      db.$client.prepare('SELECT payload FROM outbox_messages ORDER BY id DESC LIMIT 1').pluck().get() as string
    ).match(/"confirmToken":"([^"]+)"/)![1];
    const { manageToken } = confirmSubscription(db, token, ctx);
    updatePreferences(db, manageToken, { components: ['metepec-fibra'] }, ctx);
    unsubscribe(db, manageToken, ctx);
    submitFeasibilityRequest(
      db,
      {
        company: 'Maquiladora del Valle SA',
        contact_name: 'Laura Pérez',
        email: 'laura@maquiladora.mx',
        phone: '722 123 4567',
        latitude: '19.5012',
        longitude: '-99.2033',
        address: 'Carretera Toluca–Atlacomulco km 12',
        service: 'fiber',
        bandwidth: '',
        notes: '',
      },
      '198.51.100.7',
      ctx,
    );
    // A console sign-in (its session, audited as the user) changes nothing public either.
    addUser(db, 'guardia@somnet.com.mx', 'noc', 'clave-de-guardia-larga', { mustChange: false });
    await signIn(
      db,
      { email: 'guardia@somnet.com.mx', password: 'clave-de-guardia-larga', address: '198.51.100.7' },
      ctx.now,
    );
    expect(cache.get('/')?.body.toString()).toBe('estado');
    // What the public sees still drops it, also from inside a console form's submitOnce.
    submitOnce(db, 'formulario-de-prueba-1', 1, ctx.now, () => {
      createComponent(db, { name: 'Nuevo enlace', slug: 'nuevo-enlace' }, ctx);
      return '/noc';
    });
    expect(cache.get('/')).toBeUndefined();
    cache.set('/', cache.currentGeneration, makeEntry(200, 'estado', html));
    createIncident(db, { name: 'Corte de fibra', status: 'investigating', body: 'Revisando.' }, ctx);
    expect(cache.get('/')).toBeUndefined();
  });

  it("sees a write by another process through SQLite's data_version", () => {
    const db = freshDb({ seed: false });
    const cache = new RenderedCache(db);
    cache.set('/', cache.currentGeneration, makeEntry(200, 'x', html));
    const other = openDatabase(db.$client.name);
    other.$client.prepare("INSERT INTO app_meta (key, value) VALUES ('prueba', '1')").run();
    other.$client.close();
    expect(cache.get('/')).toBeUndefined();
  });
});
