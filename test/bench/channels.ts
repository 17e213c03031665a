// `npm run bench:channels`: the enqueue of a 100,000-recipient fan-out mixed over every channel
// (email, SMS, WhatsApp, Telegram, Slack, Teams, Google Chat, Discord) — the time the NOC waits
// for its update to be published — next to a reference measured in the same run: the same
// number of recipients, all by email (what `npm run bench:email` measures).
import { openDatabase, type Db } from '#db/client.ts';
import { seedDemoCatalogue } from '#db/seed.ts';
import { createIncident, publishIncidentUpdate } from '#db/commands/incidents.ts';
import { expandFanOuts } from '#db/outbox/fanout.ts';
import { newSecrets } from '#db/subscriptions/tokens.ts';
import type { SubscriberChannel } from '#db/enums.ts';
import { tempDatabasePath } from '../support/db.ts';
import '#db/notifications/channels.ts';

const RECIPIENTS = Number(process.env.BENCH_SUBSCRIBERS ?? 100_000);
/** A plausible mix: most by email, a fifth by WhatsApp, a tenth by SMS, the rest in chats. */
const MIX: Array<[SubscriberChannel, number]> = [
  ['email', 0.5],
  ['whatsapp', 0.2],
  ['sms', 0.1],
  ['telegram', 0.08],
  ['teams', 0.04],
  ['slack', 0.04],
  ['google_chat', 0.02],
  ['discord', 0.02],
];

function addressFor(channel: SubscriberChannel, i: number): string {
  switch (channel) {
    case 'email':
      return `suscriptor${i}@cliente${i % 997}.mx`;
    case 'sms':
    case 'whatsapp':
      return `+52722${String(i).padStart(7, '0')}`;
    case 'telegram':
      return String(100_000_000 + i);
    case 'slack':
      return `https://hooks.slack.com/services/T${i}/B${i}/x${i}`;
    case 'teams':
      return `https://prod-1.westus.logic.azure.com/workflows/w${i}/triggers/manual/paths/invoke?sig=s${i}`;
    case 'google_chat':
      return `https://chat.googleapis.com/v1/spaces/S${i}/messages?key=k&token=t${i}`;
    case 'discord':
      return `https://discord.com/api/webhooks/${i}/t${i}`;
  }
}

async function timeFanOut(
  mix: Array<[SubscriberChannel, number]>,
): Promise<{ ms: number; expandMs: number; perChannel: Record<string, number> }> {
  const db: Db = openDatabase(tempDatabasePath());
  const start = new Date();
  seedDemoCatalogue(db, start);
  const ids = newSecrets(RECIPIENTS);
  const insert = db.$client.prepare(
    "INSERT INTO subscribers (id, channel, address, kind, all_components, confirmed_at, created_at, updated_at) VALUES (?, ?, ?, 'public', 1, ?, ?, ?)",
  );
  db.$client.transaction(() => {
    let i = 0;
    for (const [channel, share] of mix)
      for (let k = 0; k < Math.round(RECIPIENTS * share); k++, i++)
        insert.run(
          ids[i].slice(0, 12),
          channel,
          addressFor(channel, i),
          start.getTime(),
          start.getTime(),
          start.getTime(),
        );
  })();
  const ctx = () => ({ now: new Date(), actor: { kind: 'cli' as const, name: 'bench' } });
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
  const t0 = performance.now();
  publishIncidentUpdate(
    db,
    incident.id,
    { status: 'identified', body: 'Corte localizado; cuadrilla en camino.', cause: 'Corte de fibra por obra civil' },
    ctx(),
  );
  const ms = performance.now() - t0;
  // The rows past the first slice, as the server's fan-out worker writes them after the commit.
  const t1 = performance.now();
  await expandFanOuts(db);
  const expandMs = performance.now() - t1;
  const rows = db.$client
    .prepare("SELECT channel, count(*) AS n FROM outbox_messages WHERE status = 'pending' GROUP BY channel")
    .all() as Array<{ channel: string; n: number }>;
  db.$client.close();
  return { ms, expandMs, perChannel: Object.fromEntries(rows.map((r) => [r.channel, r.n])) };
}

const reference = await timeFanOut([['email', 1]]);
const mixed = await timeFanOut(MIX);
const total = Object.values(mixed.perChannel).reduce((a, b) => a + b, 0);
console.log(
  `Fan-out de ${RECIPIENTS.toLocaleString('es-MX')} destinatarios (la transacción de la actualización; después, las tandas que escriben el resto):`,
);
console.log(
  `  mezcla de canales: ${mixed.ms.toFixed(0)} ms + ${mixed.expandMs.toFixed(0)} ms en tandas para ${total.toLocaleString('es-MX')} mensajes ${JSON.stringify(mixed.perChannel)}`,
);
console.log(
  `  referencia (solo correo, misma corrida): ${reference.ms.toFixed(0)} ms + ${reference.expandMs.toFixed(0)} ms en tandas (${((mixed.ms + mixed.expandMs) / (reference.ms + reference.expandMs)).toFixed(2)}×)`,
);
if (total !== RECIPIENTS) {
  console.error(`Se esperaban ${RECIPIENTS} mensajes y se encolaron ${total}.`);
  process.exit(1);
}
