// deploy/nginx.conf in a real nginx in front of a real server process (`node api/start.ts` with
// PUBLISH_DIR): nginx serves the snapshot as Node would, an update posted through it shows up,
// no reader ever gets half a page, and once Node is killed every published page is still served
// while a form post gets the static Spanish page.
import { chmodSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST, MANIFEST_JOURNAL } from '../../api/publish/files.ts';
import { createApiToken } from '#db/commands/tokens.ts';
import { createIncident } from '#db/commands/incidents.ts';
import { createMaintenance } from '#db/commands/maintenances.ts';
import { systemActor } from '#db/commands/audit.ts';
import { replaceServiceInventory } from '#db/commands/services.ts';
import { inventory } from '../services/fixtures.ts';
import { zonedMonthKey } from '#db/domain/time.ts';
import { freshDb } from '../support/db.ts';
import { shippedConfig, startNginx, type RunningNginx } from '../support/nginx.ts';
import { startServerProcess, stopServerProcess, type ServerProcess } from '../support/processes.ts';

const work = mkdtempSync(join(tmpdir(), 'somnet-nginx-test-'));
chmodSync(work, 0o755);
const publishDir = join(work, 'public');
let node: ServerProcess | undefined;
let nodeBase: string;
let nginx: RunningNginx;
let token: string;
let incidentId: string;
let maintenanceId: string;
/** Resolved weeks ago: history, stored as its .gz alone. */
let resolvedId: string;

/** GET with the raw bytes (no decoding), on a fresh connection; a header given as '' is not sent. */
function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const sent = Object.fromEntries(
      Object.entries({ 'accept-encoding': 'identity', ...headers }).filter(([, value]) => value !== ''),
    );
    request(url, { headers: sent, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`esperando ${what}`);
}

const post = (base: string, path: string, body: unknown) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  const db = freshDb({ now: new Date(Date.now() - 30 * 86_400_000) });
  token = createApiToken(db, 'pruebas-nginx', new Date()).token;
  const now = new Date();
  incidentId = createIncident(
    db,
    {
      name: 'Corte de fibra en Metepec',
      status: 'identified',
      impact: 'critical',
      body: 'Cuadrilla en camino.',
      cause: 'Obra civil',
      components: { 'metepec-fibra': 'major_outage' },
    },
    { now, actor: systemActor },
  ).id;
  maintenanceId = createMaintenance(
    db,
    {
      name: 'Cambio de tarjetas',
      body: 'Cortes breves.',
      scheduledFor: new Date(now.getTime() + 5 * 86_400_000),
      scheduledUntil: new Date(now.getTime() + 5 * 86_400_000 + 3_600_000),
      components: ['zinacantepec'],
    },
    { now, actor: systemActor },
  ).maintenance.id;
  resolvedId = createIncident(
    db,
    {
      name: 'Saturación resuelta en Lerma',
      status: 'resolved',
      impact: 'minor',
      body: 'Se amplió la capacidad del enlace; el servicio es normal.',
      components: { 'lerma-inalambrico': 'degraded_performance' },
    },
    { now: new Date(now.getTime() - 20 * 86_400_000), actor: systemActor },
  ).id;
  replaceServiceInventory(db, inventory, { now, actor: systemActor });
  const databasePath = db.$client.name;
  db.$client.close();
  node = await startServerProcess(databasePath, { PUBLISH_DIR: publishDir });
  nodeBase = node.base;
  const port = Number(new URL(node.base).port);
  // The manifest is written after the first slice of the full publish; the last paths come later.
  await waitFor(
    'la primera publicación completa',
    async () =>
      existsSync(join(publishDir, MANIFEST)) &&
      (await fetch(`${nodeBase}/healthz`).then((r) => r.json())).publish?.full_publish_remaining === 0,
  );
  nginx = await startNginx((nginxPort) => shippedConfig({ port: nginxPort, root: publishDir, nodePort: port }));
}, 60_000);

afterAll(async () => {
  await stopServerProcess(node);
  await nginx?.stop();
});

const published = () => [
  '/',
  '/historial',
  `/historial/${new Date().toISOString().slice(0, 7)}`,
  '/mantenimiento',
  `/incidentes/${incidentId}`,
  `/incidentes/${resolvedId}`,
  `/mantenimiento/${maintenanceId}`,
  `/mantenimiento/${maintenanceId}.ics`,
  '/mantenimiento.ics',
  '/componentes/zinacantepec/mantenimiento.ics',
  '/feed.rss',
  '/feed.atom',
  '/feed.json',
  '/history.rss',
  '/componentes/metepec/feed.rss',
  '/componentes/metepec-fibra/feed.json',
  '/componentes/metepec-fibra/badge.svg',
  '/badge.svg',
  '/status.txt',
  '/embed.js',
  '/api/coverage.geojson',
  '/api/v2/summary.json',
  '/api/v2/status.json',
  '/api/v2/components.json',
  '/api/v2/incidents.json',
  '/api/v2/incidents/unresolved.json',
  '/api/v2/scheduled-maintenances.json',
  '/api/v2/scheduled-maintenances/upcoming.json',
  '/api/v2/scheduled-maintenances/active.json',
  '/autodiagnostico',
  '/soporte',
  '/leds',
  '/cobertura',
  '/suscribirse',
  '/integraciones',
  '/no-disponible',
  '/disponibilidad',
  `/disponibilidad/${zonedMonthKey(new Date())}`,
  `/disponibilidad/${zonedMonthKey(new Date())}.csv`,
];

/** The headers nginx must send as Node does (validators and framing differ by nature). */
const compared = [
  'content-type',
  'cache-control',
  'content-security-policy',
  'referrer-policy',
  'x-content-type-options',
  'content-disposition',
  'access-control-allow-origin',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-expose-headers',
  'cross-origin-resource-policy',
  'vary',
];

describe('nginx with deploy/nginx.conf in front of the published snapshot', () => {
  it('serves every published page, feed and document as Node does, gzip included', async () => {
    for (const path of published()) {
      const [fromNode, fromNginx, gzipped] = await Promise.all([
        get(`${nodeBase}${path}`),
        get(`${nginx.url}${path}`),
        get(`${nginx.url}${path}`, { 'accept-encoding': 'gzip' }),
      ]);
      expect(fromNginx.status, path).toBe(200);
      expect(fromNginx.body.equals(fromNode.body), path).toBe(true);
      for (const name of compared) expect(fromNginx.headers[name], `${path} ${name}`).toBe(fromNode.headers[name]);
      expect(fromNginx.headers.etag, path).toBeTruthy();
      if (fromNode.body.length >= 512) {
        expect(gzipped.headers['content-encoding'], path).toBe('gzip');
        expect(gunzipSync(gzipped.body).equals(fromNode.body), path).toBe(true);
      }
    }
    // A query string the page does not read is the same file; one it reads goes to Node.
    expect((await get(`${nginx.url}/?utm_source=correo`)).body.equals((await get(`${nginx.url}/`)).body)).toBe(true);
    expect((await get(`${nginx.url}/historial?mes=2026-01`)).body.toString()).toContain('enero de 2026');
    // CORS preflight of the v2 API is answered by nginx itself.
    const preflight = await new Promise<number>((resolve) =>
      request(`${nginx.url}/api/v2/summary.json`, { method: 'OPTIONS', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      }).end(),
    );
    expect(preflight).toBe(204);
  });

  it('serves a history page stored as its .gz alone, decompressed for a client without gzip', async () => {
    const path = `/incidentes/${resolvedId}`;
    const file = join(publishDir, 'incidentes', resolvedId, 'index.html');
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.gz`)).toBe(true);
    expect(existsSync(`${file}.br`)).toBe(false);
    const fromNode = await get(`${nodeBase}${path}`);
    expect(fromNode.body.toString()).toContain('Saturación resuelta en Lerma');
    // No Accept-Encoding at all, identity only, brotli only, gzip refused.
    for (const encoding of ['', 'identity', 'br', 'gzip;q=0']) {
      const plain = await get(`${nginx.url}${path}`, { 'accept-encoding': encoding });
      expect(plain.status, encoding).toBe(200);
      expect(plain.headers['content-encoding'], encoding).toBeUndefined();
      expect(plain.body.equals(fromNode.body), encoding).toBe(true);
      for (const name of compared) expect(plain.headers[name], `${encoding} ${name}`).toBe(fromNode.headers[name]);
    }
    const gzipped = await get(`${nginx.url}${path}`, { 'accept-encoding': 'gzip, deflate, br' });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.body.equals(readFileSync(`${file}.gz`))).toBe(true);
    expect(gunzipSync(gzipped.body).equals(fromNode.body)).toBe(true);
    // Revalidation works for both: the ETag of the .gz (weak once decompressed).
    for (const encoding of ['identity', 'gzip']) {
      const first = await get(`${nginx.url}${path}`, { 'accept-encoding': encoding });
      const again = await get(`${nginx.url}${path}`, {
        'accept-encoding': encoding,
        'if-none-match': String(first.headers.etag),
      });
      expect(again.status, encoding).toBe(304);
    }
    // A page in no file (not even a .gz) still reaches Node, with the path the client asked for.
    const unknown = await get(`${nginx.url}/incidentes/no-existe`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.toString()).toContain('<html');
  });

  it('sends HSTS on what it serves itself when the request came over https, never over plain http', async () => {
    for (const path of published()) {
      const secure = await get(`${nginx.url}${path}`, { 'x-forwarded-proto': 'https' });
      expect(secure.headers['strict-transport-security'], path).toBe('max-age=31536000');
      expect((await get(`${nginx.url}${path}`)).headers['strict-transport-security'], path).toBeUndefined();
    }
  });

  it('sends "¿Me afecta?" lookups to Node, never to a file: per service, private, behind the per-IP limit', async () => {
    expect(existsSync(join(publishDir, 'mi-servicio'))).toBe(false);
    const page = await get(`${nginx.url}/mi-servicio`);
    expect(page.status).toBe(200);
    expect(page.body.toString()).toContain('¿Me afecta? Consulte su servicio');
    const lookup = await get(`${nginx.url}/mi-servicio/SOM-12345`);
    expect(lookup.status).toBe(200);
    expect(lookup.headers['cache-control']).toBe('private, no-store');
    expect(lookup.body.toString()).toContain('Sí: hay una falla que afecta a su servicio');
    const unknown = await get(`${nginx.url}/mi-servicio/SOM-00000`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.toString()).toContain('No encontramos el servicio');
    // The form's query string reaches Node, which answers with the lookup's own URL.
    const form = await get(`${nginx.url}/mi-servicio?id_servicio=som-30001`);
    expect(form.status).toBe(303);
    expect(form.headers.location).toBe('/mi-servicio/SOM-30001');
  });

  it('shows an update posted through nginx at once, and no reader gets half a page', async () => {
    const readers: Array<Promise<void>> = [];
    let reading = true;
    const problems: string[] = [];
    let reads = 0;
    for (const encoding of ['identity', 'gzip']) {
      readers.push(
        (async () => {
          while (reading) {
            const res = await get(`${nginx.url}/`, { 'accept-encoding': encoding });
            reads++;
            const html =
              encoding === 'gzip' && res.headers['content-encoding'] === 'gzip'
                ? gunzipSync(res.body).toString()
                : res.body.toString();
            if (res.status !== 200 || html.length < 5_000 || !html.trimEnd().endsWith('</html>'))
              problems.push(`${res.status} ${html.length} …${html.slice(-40)}`);
          }
        })(),
      );
    }
    for (let i = 1; i <= 15; i++) {
      const res = await post(nginx.url, `/api/v1/incidents/${incidentId}/updates`, {
        status: 'identified',
        body: `Avance ${i}: empalme en curso.`,
      });
      expect(res.status).toBe(201);
      await new Promise((r) => setTimeout(r, 40));
    }
    const posted = Date.now();
    await waitFor(
      'la última actualización en nginx',
      async () => (await get(`${nginx.url}/`)).body.toString().includes('Avance 15: empalme en curso.'),
      5_000,
    );
    expect(Date.now() - posted).toBeLessThan(2_500);
    reading = false;
    await Promise.all(readers);
    expect(reads).toBeGreaterThan(20);
    expect(problems).toEqual([]);
  });

  it('keeps serving every published page when Node is killed; forms get the Spanish page', async () => {
    // The publish of the last updates may still be writing: wait until the manifest and its
    // journal (written last) stay the same for longer than a publish takes.
    let manifest = '';
    let since = Date.now();
    await waitFor('el fin de la publicación', () => {
      const journal = join(publishDir, MANIFEST_JOURNAL);
      const now =
        readFileSync(join(publishDir, MANIFEST), 'utf8') + (existsSync(journal) ? readFileSync(journal, 'utf8') : '');
      if (now !== manifest) {
        manifest = now;
        since = Date.now();
      }
      return Date.now() - since > 1_500;
    });
    const before = new Map<string, Buffer>();
    for (const path of published()) before.set(path, (await get(`${nginx.url}${path}`)).body);
    node!.proc.kill('SIGKILL');
    await node!.exited;
    for (const path of published()) {
      const res = await get(`${nginx.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.body.equals(before.get(path)!), path).toBe(true);
    }
    const form = await fetch(`${nginx.url}/suscribirse`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=cliente%40empresa.mx',
    });
    expect(form.status).toBe(503);
    expect(form.headers.get('cache-control')).toBe('no-store');
    expect(form.headers.get('retry-after')).toBe('30');
    const text = await form.text();
    expect(text).toContain('Formularios no disponibles por un momento');
    expect(text).toContain('722 167 5865');
    expect(text).not.toContain('nginx');
    // The API and pages that only Node answers get the same page, not nginx's.
    for (const path of ['/historial?mes=2026-01', '/noc', '/suscripcion/baja?token=x', '/mi-servicio/SOM-12345']) {
      const res = await get(`${nginx.url}${path}`);
      expect(res.status, path).toBe(503);
      expect(res.body.toString(), path).toContain('722 167 5865');
    }
    expect(dirname(publishDir)).toBe(work);
  });
});
