// Two real servers on one database (a blue/green restart, a second `npm start` by mistake), with a
// webhook receiver slow enough that a delivery is still in flight when the other process looks at
// the outbox. Only the holder of the background lease delivers, runs the maintenance clock and
// publishes: each delivery reaches the receiver exactly once, each maintenance transition happens
// once, every publish is the holder's. Killed with SIGKILL, the holder is replaced within 15 s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createHttpServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '#db/client.ts';
import { seedDemoCatalogue } from '#db/seed.ts';
import { createApiToken } from '#db/commands/tokens.ts';
import { tempDatabasePath } from '../support/db.ts';
import { readQuery, startServerProcess, stopServerProcess, waitFor, type ServerProcess } from '../support/processes.ts';

const dbPath = tempDatabasePath();
const publishDir = join(mkdtempSync(join(tmpdir(), 'somnet-two-')), 'public');
const publishLog = join(mkdtempSync(join(tmpdir(), 'somnet-two-log-')), 'publicaciones.txt');
let token = '';
let receiver: Server;
let receiverUrl = '';
/** X-Somnet-Delivery → how many POSTs carried it. */
const posts = new Map<string, number>();

type Child = ServerProcess;
const children: Child[] = [];

async function startServer(): Promise<Child> {
  const child = await startServerProcess(dbPath, {
    PUBLISH_DIR: publishDir,
    // $PPID is the server that ran the publish: the log says who published each time.
    PUBLISH_COMMAND: `echo $PPID >> ${publishLog}`,
    WEBHOOK_ALLOW_PRIVATE_TARGETS: '1',
    PUBLIC_URL: 'https://status.example.test',
  });
  children.push(child);
  return child;
}

const api = (base: string, method: string, path: string, body?: unknown) =>
  fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

/** Every webhook row delivered, and each delivery POSTed exactly as many times as there are rows. */
function webhooksSettled(): boolean {
  const rows = query<{ status: string }>("SELECT status FROM outbox_messages WHERE channel = 'webhook'");
  return rows.every((r) => r.status === 'sent') && posts.size === rows.length;
}

const query = <T>(sql: string, ...params: unknown[]) => readQuery<T>(dbPath, sql, ...params);

beforeAll(async () => {
  const db = openDatabase(dbPath);
  seedDemoCatalogue(db, new Date());
  token = createApiToken(db, 'pruebas', new Date()).token;
  db.$client.close();
  // Slow on purpose: each delivery is still unanswered when the other process's worker wakes.
  receiver = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const id = String(req.headers['x-somnet-delivery']);
      posts.set(id, (posts.get(id) ?? 0) + 1);
      setTimeout(() => {
        res.writeHead(200).end('ok');
      }, 2_500);
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
});

afterAll(async () => {
  for (const c of children) await stopServerProcess(c);
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
});

describe('two servers on one database', () => {
  let holder: Child;
  let standby: Child;

  it('one holds the background work, the other says in one line that it is on standby', async () => {
    const first = await startServer();
    const second = await startServer();
    // «En espera» can arrive in the output chunk after «escuchando en», which startServer waits for.
    await waitFor('la línea de espera', () => [first, second].some((c) => /En espera/.test(c.output())), 10_000);
    const waiting = [first, second].filter((c) => /En espera/.test(c.output()));
    expect(waiting).toHaveLength(1);
    standby = waiting[0];
    holder = standby === first ? second : first;
    expect(
      standby
        .output()
        .split('\n')
        .filter((l) => l.startsWith('En espera')),
    ).toHaveLength(1);
    expect(standby.output()).toContain(`pid ${holder.proc.pid}`);
    const [lease] = query<{ pid: number }>('SELECT pid FROM background_leases');
    expect(lease.pid).toBe(holder.proc.pid);
    // Both answer HTTP.
    for (const c of [holder, standby]) expect((await fetch(`${c.base}/healthz`)).status).toBe(200);
  });

  it('delivers each webhook exactly once, whichever server took the write, with a slow receiver', async () => {
    const created = await api(standby.base, 'POST', '/api/v1/webhooks', { url: receiverUrl });
    expect(created.status).toBe(201);
    // Six notices, written alternately through both servers.
    for (let i = 0; i < 6; i++) {
      const via = i % 2 ? holder : standby;
      const res = await api(via.base, 'POST', '/api/v1/incidents', {
        name: `Prueba ${i}`,
        status: 'investigating',
        body: 'Revisando.',
      });
      expect(res.status).toBe(201);
    }
    const rows = () =>
      query<{ id: number; status: string }>("SELECT id, status FROM outbox_messages WHERE channel = 'webhook'");
    expect(rows()).toHaveLength(6);
    await waitFor('las seis entregas', () => rows().every((r) => r.status === 'sent'), 60_000);
    // A last look after both workers have had several more passes.
    await new Promise((r) => setTimeout(r, 4_000));
    expect(posts.size).toBe(6);
    expect([...posts.values()]).toEqual([1, 1, 1, 1, 1, 1]);
  }, 90_000);

  it('runs each maintenance transition once and every publish in the holder', async () => {
    const start = new Date(Date.now() + 3_000);
    const res = await api(holder.base, 'POST', '/api/v1/maintenances', {
      name: 'Cambio de tarjetas',
      body: 'Cortes breves.',
      scheduled_for: start.toISOString(),
      scheduled_until: new Date(start.getTime() + 4_000).toISOString(),
      components: ['metepec-fibra'],
      emergency: true,
      emergency_reason: 'Tarjeta dañada.',
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const transitions = () =>
      query<{ action: string }>(
        "SELECT action FROM audit_log WHERE subject_id = ? AND action IN ('maintenance.start', 'maintenance.complete')",
        id,
      ).map((r) => r.action);
    await waitFor('inicio y fin del mantenimiento', () => transitions().length >= 2, 30_000);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(transitions()).toEqual(['maintenance.start', 'maintenance.complete']);
    const statusEvents = query<{ status: string }>(
      "SELECT e.status FROM component_status_events e JOIN components c ON c.id = e.component_id WHERE c.slug = 'metepec-fibra' AND e.cause_kind = 'maintenance' ORDER BY e.id",
    );
    expect(statusEvents.map((e) => e.status)).toEqual(['under_maintenance', 'operational']);
    const publishers = new Set(readFileSync(publishLog, 'utf8').trim().split('\n'));
    expect(publishers).toEqual(new Set([String(holder.proc.pid)]));
  }, 60_000);

  it('takes over within 15 s when the holder is killed, and goes on delivering exactly once', async () => {
    // Killed between deliveries (one killed mid-request is sent again by the next holder, under
    // the same X-Somnet-Delivery: the receiver's cue to drop it).
    await waitFor('las entregas del mantenimiento', webhooksSettled, 30_000);
    const killedAt = Date.now();
    holder.proc.kill('SIGKILL');
    await holder.exited;
    await waitFor('el relevo', () => /lo tomó; ya no está en espera/.test(standby.output()), 15_000);
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    const [lease] = query<{ pid: number }>('SELECT pid FROM background_leases');
    expect(lease.pid).toBe(standby.proc.pid);

    const res = await api(standby.base, 'POST', '/api/v1/incidents', {
      name: 'Después del relevo',
      status: 'investigating',
      body: 'Revisando.',
    });
    expect(res.status).toBe(201);
    await waitFor('la entrega tras el relevo', webhooksSettled, 30_000);
    await waitFor(
      'la publicación tras el relevo',
      () =>
        existsSync(join(publishDir, 'index.html')) &&
        readFileSync(join(publishDir, 'index.html'), 'utf8').includes('Después del relevo'),
      30_000,
    );
    await new Promise((r) => setTimeout(r, 3_000));
    expect([...posts.values()].every((n) => n === 1)).toBe(true);
    const publishers = readFileSync(publishLog, 'utf8').trim().split('\n');
    expect(publishers.at(-1)).toBe(String(standby.proc.pid));
  }, 60_000);

  it('replaces a frozen holder once its lease expires; woken, it steps back instead of working twice', async () => {
    await waitFor('las entregas anteriores', webhooksSettled, 30_000);
    const third = await startServer();
    await waitFor('la línea de espera', () => /En espera/.test(third.output()), 10_000);
    const frozen = standby;
    frozen.proc.kill('SIGSTOP');
    const stoppedAt = Date.now();
    await waitFor('el relevo del congelado', () => /lo tomó; ya no está en espera/.test(third.output()), 20_000);
    // Not before the lease (10 s) has run out: a slow holder is not a dead one.
    expect(Date.now() - stoppedAt).toBeGreaterThan(8_000);
    frozen.proc.kill('SIGCONT');
    await waitFor('el congelado cede', () => /perdió el turno/.test(frozen.output()), 10_000);
    const [lease] = query<{ pid: number }>('SELECT pid FROM background_leases');
    expect(lease.pid).toBe(third.proc.pid);

    const res = await api(frozen.base, 'POST', '/api/v1/incidents', {
      name: 'Tras despertar',
      status: 'investigating',
      body: 'Revisando.',
    });
    expect(res.status).toBe(201);
    await waitFor('la entrega tras despertar', webhooksSettled, 30_000);
    await new Promise((r) => setTimeout(r, 3_000));
    expect([...posts.values()].every((n) => n === 1)).toBe(true);
  }, 60_000);
});
