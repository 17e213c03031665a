// `npm run bench:email`: 100,000 confirmed subscribers. Measures the time to publish an
// incident update (the NOC's request: its transaction records the fan-out; target < 2 s), the
// time to write the rest of its outbox rows afterwards (db/outbox/fanout.ts), and the time to
// drain it to the local Resend stand-in at an unlimited request rate.
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { openDatabase } from '#db/client.ts';
import { seedDemoCatalogue } from '#db/seed.ts';
import { createIncident, publishIncidentUpdate } from '#db/commands/incidents.ts';
import { drainOutbox } from '#db/outbox/worker.ts';
import { expandFanOuts } from '#db/outbox/fanout.ts';
import { newSecrets } from '#db/subscriptions/tokens.ts';
import { resendTransport } from '../../api/email/resend.ts';
import { tempDatabasePath } from '../support/db.ts';
import { startResendStandin } from '../support/resend-standin.ts';
import '#db/notifications/channels.ts';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 100_000);
const path = tempDatabasePath();
const db = openDatabase(path);
const start = new Date();
seedDemoCatalogue(db, start);
const ctx = () => ({ now: new Date(), actor: { kind: 'cli' as const, name: 'bench' } });

// Subscribers straight into the table: the import API caps at 10,000 per call by design.
const ids = newSecrets(SUBSCRIBERS);
const insert = db.$client.prepare(
  "INSERT INTO subscribers (id, channel, address, kind, all_components, confirmed_at, created_at, updated_at) VALUES (?, 'email', ?, 'public', 1, ?, ?, ?)",
);
db.$client.transaction(() => {
  for (let i = 0; i < SUBSCRIBERS; i++)
    insert.run(
      ids[i].slice(0, 12),
      `suscriptor${i}@cliente${i % 997}.mx`,
      start.getTime(),
      start.getTime(),
      start.getTime(),
    );
})();

const incident = createIncident(
  db,
  {
    name: 'Corte de fibra troncal',
    status: 'investigating',
    body: 'Revisando.',
    components: { 'red-troncal': 'major_outage' },
    deliverNotifications: false,
  },
  ctx(),
);

const queued = () =>
  (
    db.$client
      .prepare("SELECT count(*) AS n FROM outbox_messages WHERE channel = 'email' AND status = 'pending'")
      .get() as { n: number }
  ).n;

const t0 = performance.now();
publishIncidentUpdate(
  db,
  incident.id,
  {
    status: 'identified',
    body: 'Corte localizado en Metepec; cuadrilla en camino.',
    cause: 'Corte de fibra por obra civil',
    eta: new Date(Date.now() + 4 * 3_600_000),
  },
  ctx(),
);
const enqueueMs = performance.now() - t0;
// The rows past the first slice, as the server's fan-out worker writes them after the commit.
const t2 = performance.now();
await expandFanOuts(db);
const expandMs = performance.now() - t2;
const queuedAfter = queued();

const standin = await startResendStandin({ keepBodies: false });
const transport = resendTransport(
  db,
  { port: 0, host: '127.0.0.1', databasePath: path, publicUrl: 'https://status.somnet.com.mx' },
  { apiKey: standin.apiKey, baseUrl: standin.url, requestsPerSecond: 0 },
);
const t1 = performance.now();
let drained = 0;
for (;;) {
  const n = await drainOutbox(db, transport);
  if (n === 0) break;
  drained += n;
}
const drainMs = performance.now() - t1;
await standin.close();
const unique = new Set(standin.delivered.map((d) => d.to)).size;

console.log(`Suscriptores confirmados:            ${SUBSCRIBERS.toLocaleString('es-MX')}`);
console.log(
  `Publicar la actualización (commit):  ${enqueueMs.toFixed(0)} ms (objetivo < 2000 ms); después, en tandas: ${expandMs.toFixed(0)} ms hasta ${queuedAfter.toLocaleString('es-MX')} correos en la cola`,
);
console.log(
  `Vaciar al stand-in de Resend:        ${(drainMs / 1000).toFixed(1)} s, ${standin.stats.batchRequests.toLocaleString('es-MX')} lotes, ${Math.round(drained / (drainMs / 1000)).toLocaleString('es-MX')} correos/s`,
);
console.log(
  `Entregados: ${standin.delivered.length.toLocaleString('es-MX')} (destinatarios distintos: ${unique.toLocaleString('es-MX')})`,
);
db.$client.close();
rmSync(dirname(path), { recursive: true, force: true });
if (enqueueMs >= 2000 || unique !== SUBSCRIBERS || standin.delivered.length !== SUBSCRIBERS) process.exitCode = 1;
