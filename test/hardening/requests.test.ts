// Hostile requests, through the real server: form bodies are limited before anything buffers them, and
// odd methods and unknown console paths get 405 and 404, never a 500.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import http from 'node:http';
import { startTestServer } from '../support/server.ts';
import { FORM_BODY_LIMIT } from '../../api/formBody.ts';
import { addUser, ConsoleClient } from '../console/support.ts';

let server: Awaited<ReturnType<typeof startTestServer>>;
const errors: unknown[][] = [];

beforeAll(async () => {
  server = await startTestServer();
  // Astro and Hono log a failed render with console.error: none may happen here.
  vi.spyOn(console, 'error').mockImplementation((...args) => {
    errors.push(args);
  });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await server?.close();
});

/**
 * A chunked POST of up to `total` bytes, one reused 64 KB chunk at a time. Like a browser or
 * curl, it stops sending once the server has answered.
 */
function chunkedPost(
  path: string,
  total: number,
  cookie = '',
): Promise<{ status: number; body: string; sent: number }> {
  const url = new URL(path, server.url);
  const chunk = Buffer.alloc(64 * 1024, 'a');
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = http.request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: server.url,
        ...(cookie ? { cookie } : {}),
      },
    });
    req.on('response', (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => {
        resolve({ status: res.statusCode!, body, sent });
        req.destroy();
      });
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const pump = async () => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
        await new Promise((r) => setImmediate(r));
      }
      if (!answered) req.end();
    };
    void pump();
  });
}

describe('form bodies are limited before they are buffered', () => {
  it('a chunked 200 MB POST to /suscribirse gets the Spanish 413 after a few MB, and memory stays flat', async () => {
    globalThis.gc?.();
    const before = process.memoryUsage();
    let peakRss = before.rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 10);
    const results = await Promise.all([0, 1, 2].map(() => chunkedPost('/suscribirse', 200 * 1024 * 1024)));
    clearInterval(sampler);
    for (const r of results) {
      expect(r.status).toBe(413);
      expect(r.body).toContain('El formulario es demasiado grande');
      expect(r.body).toContain(`máximo de ${FORM_BODY_LIMIT / 1024} KB`);
      // The server answered long before the client could send it all.
      expect(r.sent).toBeLessThan(32 * 1024 * 1024);
    }
    // Before: three such posts peaked at 2.9 GB. Now the server never holds more than 16 KB of each.
    expect(peakRss - before.rss).toBeLessThan(64 * 1024 * 1024);
    expect(server.db.$client.prepare('SELECT count(*) AS n FROM subscribers').get()).toEqual({ n: 0 });
  });

  it('a declared Content-Length over the limit is refused without reading; a normal form still works', async () => {
    const tooBig = await fetch(`${server.url}/cobertura`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
      body: `notes=${'x'.repeat(FORM_BODY_LIMIT)}`,
    });
    expect(tooBig.status).toBe(413);
    expect(tooBig.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await tooBig.text()).toContain('<a href="/cobertura">Volver al formulario</a>');
    const fine = await fetch(`${server.url}/suscribirse`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
      body: new URLSearchParams({ email: 'cliente@empresa.mx', alcance: 'todas' }).toString(),
    });
    expect(fine.status).toBe(200);
    expect(await fine.text()).toContain('Revise su correo');
  });

  it('a client that gives up mid-upload leaves nothing behind', async () => {
    const req = http.request(new URL('/suscribirse', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
    });
    req.on('error', () => {});
    req.write('email=a%40b.mx&');
    await new Promise((r) => setTimeout(r, 50));
    req.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect((await fetch(`${server.url}/suscribirse`)).status).toBe(200);
  });

  it('the console forms of a signed-in operator may carry a long incident text (up to 256 KB), not more; anyone else 16 KB', async () => {
    const big = `csrf=x&body=${'x'.repeat(100 * 1024)}`;
    const post = (path: string, cookie = '') =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url, cookie },
        body: big,
      });
    // Without a session, the sign-in form and every other console path take the public limit.
    for (const path of ['/noc/login', '/noc/incidentes/nuevo']) expect((await post(path)).status, path).toBe(413);
    addUser(server.db, 'largo@somnet.com.mx', 'noc', 'clave-del-operador-larga', { mustChange: false });
    const operator = new ConsoleClient(server.url);
    expect((await operator.login('largo@somnet.com.mx', 'clave-del-operador-larga')).status).toBe(303);
    const cookie = [...operator.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    // Read, then refused by the console's own CSRF check: the size was not the problem.
    expect((await post('/noc/incidentes/nuevo', cookie)).status).toBe(403);
    expect((await post('/noc/incidentes/nuevo', 'somnet_noc=inventada')).status).toBe(413);
    expect((await chunkedPost('/noc/incidentes/nuevo', 1024 * 1024, cookie)).status).toBe(413);
  });
});

/** node:http, because fetch refuses to send TRACE. */
function rawRequest(method: string, path: string): Promise<{ status: number; allow: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, server.url), { method }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, allow: res.headers.allow }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('methods and unknown paths', () => {
  it('an unknown console path is a 404 page, not a 500', async () => {
    const res = await fetch(`${server.url}/noc/nada`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('Página no encontrada');
    expect(res.headers.get('cache-control')).toBe('private, no-store');
  });

  it('TRACE, PUT, DELETE and OPTIONS on pages and documents are 405 with Allow', async () => {
    for (const [method, path, allow] of [
      ['TRACE', '/', 'GET, HEAD, POST'],
      ['PUT', '/', 'GET, HEAD, POST'],
      ['DELETE', '/historial', 'GET, HEAD, POST'],
      ['OPTIONS', '/noc', 'GET, HEAD, POST'],
      ['TRACE', '/feed.rss', 'GET, HEAD'],
      ['PUT', '/status.txt', 'GET, HEAD'],
    ]) {
      const res = await rawRequest(method, path);
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.allow).toBe(allow);
    }
    expect((await rawRequest('TRACE', '/api/v2/summary.json')).status).toBe(405);
  });

  it('logged no error for any of the above', () => {
    expect(errors).toEqual([]);
  });
});
