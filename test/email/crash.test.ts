// Kill the delivering process in the middle of a fan-out, restart it: every recipient ends with
// exactly one copy. The outbox commits each batch's key before calling the provider, and the
// provider (here the stand-in, like Resend) replays a known Idempotency-Key instead of sending.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import { openDatabase } from '#db/client.ts';
import { seedDemoCatalogue } from '#db/seed.ts';
import { importSubscribers } from '#db/commands/subscribers.ts';
import { createIncident } from '#db/commands/incidents.ts';
import { outboxMessages } from '#db/schema/index.ts';
import { expandFanOuts } from '#db/outbox/fanout.ts';
import { tempDatabasePath } from '../support/db.ts';
import { startResendStandin } from '../support/resend-standin.ts';
import '#db/notifications/channels.ts';

const child = fileURLToPath(new URL('./support/drain-child.ts', import.meta.url));
const path = tempDatabasePath();
const db = openDatabase(path);
const standin = await startResendStandin({ delayMs: 100 });
afterAll(async () => {
  await standin.close();
  db.$client.close();
});

function run(): { proc: ChildProcess; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, [child, path, standin.url, standin.apiKey], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, exited };
}

describe('crash during delivery', () => {
  it('loses nothing and sends nothing twice', async () => {
    const now = new Date(); // the child process uses the real clock
    const ctx = { now, actor: { kind: 'token' as const, name: 'pruebas' } };
    seedDemoCatalogue(db, now);
    importSubscribers(
      db,
      Array.from({ length: 450 }, (_, i) => ({ email: `contacto${i}@cliente.mx` })),
      ctx,
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
    // What the server's fan-out worker does right after the commit (db/outbox/fanout.ts).
    await expandFanOuts(db);
    expect(db.select().from(outboxMessages).all()).toHaveLength(450);

    // First run: killed while the provider is handling its third batch (accepted, not answered).
    let batches = 0;
    const first = run();
    await new Promise<void>((resolve) =>
      standin.onRequest(() => {
        if (++batches === 3) {
          first.proc.kill('SIGKILL');
          resolve();
        }
      }),
    );
    await first.exited;
    standin.onRequest(() => {});
    // The stand-in finishes the orphaned request (the third batch) although nobody reads its answer.
    await vi.waitFor(() => expect(standin.delivered.length).toBeGreaterThanOrEqual(300), {
      timeout: 10_000,
      interval: 10,
    });
    const afterCrash = db.select().from(outboxMessages).where(eq(outboxMessages.status, 'sent')).all().length;
    expect(afterCrash).toBe(200);
    expect(standin.delivered).toHaveLength(300); // the provider accepted a batch the worker never heard back about

    // Restart: the claimed batch goes again under the same key and is replayed, not re-sent.
    const second = run();
    expect(await second.exited).toBe(0);
    expect(standin.stats.replays).toBe(1);
    const perRecipient = new Map<string, number>();
    for (const d of standin.delivered) perRecipient.set(d.to, (perRecipient.get(d.to) ?? 0) + 1);
    expect(perRecipient.size).toBe(450);
    expect([...perRecipient.values()].every((n) => n === 1)).toBe(true);
    expect(db.select().from(outboxMessages).where(eq(outboxMessages.status, 'sent')).all()).toHaveLength(450);
  });
});
