// kill -9 during a mixed fan-out (email + SMS + WhatsApp + Teams): the delivering process dies
// while Twilio holds an SMS it accepted but has not answered; restarted, it loses nothing and
// sends nothing twice. Email relies on Resend's Idempotency-Key; the SMS in flight is looked up
// among the messages Twilio sent (GET Messages.json) before it would be sent again.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { openDatabase } from '#db/client.ts';
import { seedDemoCatalogue } from '#db/seed.ts';
import { importSubscribers } from '#db/commands/subscribers.ts';
import { createIncident } from '#db/commands/incidents.ts';
import '#db/notifications/channels.ts';
import { tempDatabasePath } from '../support/db.ts';
import { startResendStandin } from '../support/resend-standin.ts';
import { startChannelStandins } from '../support/channel-standins.ts';

const child = fileURLToPath(new URL('./support/drain-child.ts', import.meta.url));
const path = tempDatabasePath();
const db = openDatabase(path);
const resend = await startResendStandin();
const channels = await startChannelStandins();
afterAll(async () => {
  await resend.close();
  await channels.close();
  db.$client.close();
});

function run(): { proc: ChildProcess; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, [child, path, resend.url, resend.apiKey, channels.base], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, WEBHOOK_ALLOW_PRIVATE_TARGETS: '1' },
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, exited };
}

const N = 25;

describe('kill -9 during a mixed fan-out', () => {
  it('loses nothing and sends nothing twice', async () => {
    const now = new Date(); // the child process uses the real clock
    const ctx = { now, actor: { kind: 'token' as const, name: 'pruebas' } };
    seedDemoCatalogue(db, now);
    const n = (i: number) => String(i).padStart(4, '0');
    importSubscribers(
      db,
      [
        ...Array.from({ length: N }, (_, i) => ({ email: `contacto${i}@cliente.mx` })),
        ...Array.from({ length: N }, (_, i) => ({ channel: 'sms' as const, address: `722 100 ${n(i)}` })),
        ...Array.from({ length: N }, (_, i) => ({ channel: 'whatsapp' as const, address: `722 200 ${n(i)}` })),
        ...Array.from({ length: N }, (_, i) => ({ channel: 'teams' as const, address: channels.urls.teams(i) })),
      ],
      ctx,
      { allowPrivateTargets: true },
    );
    createIncident(
      db,
      {
        name: 'Corte general',
        status: 'investigating',
        body: 'Revisando.',
        components: { 'red-troncal': 'major_outage' },
      },
      ctx,
    );
    expect(db.get<{ n: number }>(sql`select count(*) as n from outbox_messages`).n).toBe(4 * N);

    // Twilio takes each SMS at once and answers 300 ms later; the 10th is where the process dies.
    channels.setAnswerDelay('twilio', 300);
    let sms = 0;
    const first = run();
    await new Promise<void>((resolve) =>
      channels.onRequest((provider) => {
        if (provider === 'twilio' && ++sms === 10) {
          setTimeout(() => {
            first.proc.kill('SIGKILL');
            resolve();
          }, 50);
        }
      }),
    );
    await first.exited;
    channels.onRequest(undefined);
    channels.setAnswerDelay('twilio', 0);
    await new Promise((r) => setTimeout(r, 400)); // the stand-in finishes the orphaned answer
    const taken = channels.received.filter((r) => r.provider === 'twilio').length;
    expect(taken).toBe(10); // Twilio took a message the worker never heard back about
    expect(
      db.get<{ n: number }>(sql`select count(*) as n from outbox_messages where channel = 'sms' and status = 'sent'`).n,
    ).toBe(9);

    const second = run();
    expect(await second.exited).toBe(0);

    const perRecipient = (provider: string) => {
      const counts = new Map<string, number>();
      for (const r of channels.received.filter((x) => x.provider === provider))
        counts.set(r.to, (counts.get(r.to) ?? 0) + 1);
      return counts;
    };
    for (const provider of ['twilio', 'whatsapp', 'teams']) {
      const counts = perRecipient(provider);
      expect(counts.size, provider).toBe(N);
      expect(
        [...counts.values()].every((c) => c === 1),
        provider,
      ).toBe(true);
    }
    const emails = new Map<string, number>();
    for (const d of resend.delivered) emails.set(d.to, (emails.get(d.to) ?? 0) + 1);
    expect(emails.size).toBe(N);
    expect([...emails.values()].every((c) => c === 1)).toBe(true);
    expect(db.get<{ n: number }>(sql`select count(*) as n from outbox_messages where status = 'sent'`).n).toBe(4 * N);
    // Two child processes start and drain 100 messages: slow on a loaded two-core machine.
  }, 120_000);
});
