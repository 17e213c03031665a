// An alert storm against a real server process: a group of thousands of alerts is validated
// whole, then applied in slices (the server answers between them); the identical group sent again
// is one comparison and writes nothing; a server killed half-way through a group leaves it
// 'applying', and the next holder of the background lease applies the rest from the stored body,
// each alert once. How fast is the benchmark's business (npm run bench:alerts), not this test's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '#db/client.ts';
import { seedDemoCatalogue } from '#db/seed.ts';
import { createApiToken } from '#db/commands/tokens.ts';
import { ALERT_SLICE } from '#db/commands/alerts/index.ts';
import { deliveryBodyText } from '#db/queries/alerts.ts';
import { tempDatabasePath } from '../support/db.ts';
import { readQuery, startServerProcess, stopServerProcess, waitFor, type ServerProcess } from '../support/processes.ts';
import { alertmanagerPayload } from '../alerts/payloads.ts';
import { statusOnPage } from '../support/alertmanager.ts';

const dbPath = tempDatabasePath();
let token = '';
const servers: ServerProcess[] = [];
const query = <T>(sql: string, ...params: unknown[]) => readQuery<T>(dbPath, sql, ...params);

/** A group of `n` alerts of one outage over the demo catalogue's components. */
function storm(name: string, n: number, slugs: string[]) {
  return alertmanagerPayload(
    Array.from({ length: n }, (_, i) => ({
      labels: { alertname: name, onu: `onu-${i}`, component: slugs[i % slugs.length], severity: 'critical' },
      annotations: { summary: `ONU ${i} sin señal óptica` },
    })),
  );
}

const post = (base: string, body: unknown) =>
  fetch(`${base}/api/v1/alerts/alertmanager`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

let slugs: string[] = [];

beforeAll(() => {
  const db = openDatabase(dbPath);
  seedDemoCatalogue(db, new Date());
  token = createApiToken(db, 'pruebas', new Date()).token;
  slugs = db.$client.prepare("SELECT slug FROM components WHERE slug LIKE '%-fibra'").pluck().all() as string[];
  db.$client.close();
});

afterAll(async () => {
  for (const s of servers) await stopServerProcess(s);
});

describe('an alert storm', () => {
  it('a large group is applied whole in slices, and the identical resend writes nothing', async () => {
    const server = await startServerProcess(dbPath);
    servers.push(server);
    const payload = storm('OnuSinLuzGrupo', ALERT_SLICE * 4 + 17, slugs);
    const res = await post(server.base, payload);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { duplicate: boolean; alerts: Array<{ change: string }> };
    expect(body.duplicate).toBe(false);
    expect(body.alerts).toHaveLength(payload.alerts.length);
    expect(new Set(body.alerts.map((a) => a.change))).toEqual(new Set(['fired']));
    expect(query<{ n: number }>("SELECT count(*) AS n FROM alerts WHERE labels LIKE '%OnuSinLuzGrupo%'")[0].n).toBe(
      payload.alerts.length,
    );
    const [delivery] = query<{ state: string; cursor: number; outcome: string }>(
      'SELECT state, cursor, outcome FROM alert_deliveries',
    );
    expect(delivery).toMatchObject({ state: 'applied', cursor: payload.alerts.length });
    expect(JSON.parse(delivery.outcome)).toEqual({ fired: payload.alerts.length });
    // Every component the alerts name is red once the delivery is whole.
    const statuses = query<{ status: string }>(
      `SELECT status FROM components WHERE slug IN (${slugs.map(() => '?').join(',')})`,
      ...slugs,
    );
    expect(statuses.every((s) => s.status === 'major_outage')).toBe(true);
    // And the public page says so as soon as the answer came: the storm's result, whole.
    const page = await (await fetch(`${server.base}/`)).text();
    for (const slug of slugs)
      expect(statusOnPage(page, slug.replace(/-fibra$/, ''), 'Fibra óptica')).toBe('major_outage');

    // The same group again, as Alertmanager sends it every group_interval: nothing is written.
    const changes = () =>
      query<{ alerts: number; audit: number; received: number }>(
        'SELECT (SELECT max(last_received_at) FROM alerts) AS alerts, (SELECT count(*) FROM audit_log) AS audit, (SELECT max(last_received_at) FROM alert_deliveries) AS received',
      )[0];
    const before = changes();
    const again = await post(server.base, payload);
    expect(again.status).toBe(200);
    const resent = (await again.json()) as { duplicate: boolean; alerts: Array<{ change: string }> };
    expect(resent.duplicate).toBe(true);
    expect(resent.alerts).toHaveLength(payload.alerts.length);
    expect(new Set(resent.alerts.map((a) => a.change))).toEqual(new Set(['resent']));
    expect(changes()).toEqual(before);
  }, 120_000);

  it('a server killed half-way through a group: the next holder applies the rest, each alert once', async () => {
    const first = servers[0];
    const payload = storm('OnuSinLuzCaida', 5_000, slugs);
    const sent = post(first.base, payload).catch(() => null);
    // Killed once some slices are written and before the last.
    await waitFor(
      'un envío a medio aplicar',
      () =>
        query<{ cursor: number }>("SELECT cursor FROM alert_deliveries WHERE state = 'applying' AND cursor > 0")
          .length > 0,
      60_000,
      5,
    );
    first.proc.kill('SIGKILL');
    await first.exited;
    await sent;
    const [halfway] = query<{ cursor: number; state: string }>(
      'SELECT cursor, state FROM alert_deliveries WHERE alert_count = 5000',
    );
    expect(halfway.state).toBe('applying');
    expect(halfway.cursor).toBeLessThan(5_000);

    const next = await startServerProcess(dbPath);
    servers.push(next);
    await waitFor(
      'el resto del envío',
      () =>
        query<{ state: string }>('SELECT state FROM alert_deliveries WHERE alert_count = 5000')[0].state === 'applied',
      60_000,
    );
    await waitFor('el aviso en el registro', () => /se terminó de aplicar el envío/.test(next.output()), 10_000);
    const rows = query<{ n: number; fingerprints: number }>(
      "SELECT count(*) AS n, count(DISTINCT fingerprint) AS fingerprints FROM alerts WHERE labels LIKE '%OnuSinLuzCaida%'",
    )[0];
    expect(rows).toEqual({ n: 5_000, fingerprints: 5_000 });
    const [delivery] = query<{ outcome: string }>('SELECT outcome FROM alert_deliveries WHERE alert_count = 5000');
    expect(JSON.parse(delivery.outcome)).toEqual({ fired: 5_000 });
    // Resumed from the body as stored: gzipped by the intake worker, the text as sent once unzipped.
    const [stored] = query<{ body: string; gzip: Buffer | null }>(
      'SELECT body, gzip FROM alert_delivery_bodies WHERE delivery_id IN (SELECT id FROM alert_deliveries WHERE alert_count = 5000)',
    );
    expect(stored.gzip).not.toBeNull();
    expect(stored.gzip!.length).toBeLessThan(JSON.stringify(payload).length / 10);
    expect(deliveryBodyText(stored)).toBe(JSON.stringify(payload));
    // One audit row per alert fired, however the delivery was split.
    const fired = query<{ n: number }>(
      "SELECT count(*) AS n FROM audit_log WHERE action = 'alert.fire' AND subject_id IN (SELECT id FROM alerts WHERE labels LIKE '%OnuSinLuzCaida%')",
    )[0].n;
    expect(fired).toBe(5_000);
  }, 180_000);
});
