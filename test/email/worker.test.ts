import { createMaintenance } from '#db/commands/maintenances.ts';
import { systemActor } from '#db/commands/audit.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { testApp } from '../support/db.ts';
import { startResendStandin } from '../support/resend-standin.ts';
import { importSubscribers } from '#db/commands/subscribers.ts';
import { createIncident } from '#db/commands/incidents.ts';
import { outboxHealth } from '#db/outbox/enqueue.ts';
import { drainOutbox } from '#db/outbox/worker.ts';
import { enqueueMessages } from '#db/outbox/enqueue.ts';
import { emailNotices } from '#db/schema/index.ts';
import { emailTransportFor, emailWorker } from '../../api/workers/email.ts';
import { resendTransport } from '../../api/email/resend.ts';
import { ConfigError, loadConfig } from '../../api/config.ts';
import { maintenanceEmail } from '../../api/email/templates.ts';

const standin = await startResendStandin();
afterAll(() => standin.close());

async function until(check: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condición no alcanzada');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('email BackgroundWorker', () => {
  it('drains new notices while running and stops promptly', async () => {
    const t = testApp({ clock: undefined });
    const deps = { ...t.deps, now: () => new Date() };
    const config = {
      ...deps.config,
      resendApiKey: standin.apiKey,
      resendBaseUrl: standin.url,
      resendRequestsPerSecond: 0,
    };
    const stop = emailWorker({ idleMs: 20 }).start({ ...deps, config });
    importSubscribers(t.db, [{ email: 'guardia@cliente.mx' }], {
      now: new Date(Date.now() - 1000),
      actor: { kind: 'cli', name: 'pruebas' },
    });
    createIncident(
      t.db,
      { name: 'Falla', status: 'investigating', body: 'Revisando.', components: { 'lerma-fibra': 'major_outage' } },
      { now: new Date(Date.now() - 1000), actor: { kind: 'cli', name: 'pruebas' } },
    );
    await until(() => standin.delivered.some((d) => d.to === 'guardia@cliente.mx'));
    const started = Date.now();
    await stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(outboxHealth(t.db, 'email')).toMatchObject({ pending: 0, sent: 1, failed: 0 });
    t.db.$client.close();
  });

  it('writes .eml files beside the database when no RESEND_API_KEY is set', async () => {
    const t = testApp();
    const databasePath = t.db.$client.name;
    importSubscribers(t.db, [{ email: 'archivo@cliente.mx' }], {
      now: t.clock.now(),
      actor: { kind: 'cli', name: 'pruebas' },
    });
    createIncident(
      t.db,
      { name: 'Falla', status: 'investigating', body: 'Revisando.', components: { 'lerma-fibra': 'major_outage' } },
      { now: t.clock.now(), actor: { kind: 'cli', name: 'pruebas' } },
    );
    const logs: string[] = [];
    const original = console.log;
    console.log = (line: string) => {
      logs.push(line);
    };
    try {
      const transport = emailTransportFor(t.db, { ...t.deps.config, databasePath });
      await drainOutbox(t.db, transport, { now: t.clock.now });
    } finally {
      console.log = original;
    }
    const dir = join(dirname(databasePath), 'outbox');
    expect(existsSync(dir)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.eml'))).toHaveLength(1);
    expect(logs).toHaveLength(1);
    t.db.$client.close();
  });
});

describe('attachments', () => {
  it('a maintenance notice carries the window’s calendar, each message sent singly (Resend batches take no attachments)', async () => {
    const t = testApp();
    const config = { ...t.deps.config, mailFrom: 'SOMNET Estado <estado@somnet.com.mx>' };
    const content = maintenanceEmail({
      event: 'maintenance.announced',
      name: 'Cambio de equipo en Toluca',
      areas: ['Toluca · Fibra óptica'],
      body: null,
      window: { from: new Date('2026-12-01T06:00:00Z'), until: new Date('2026-12-01T09:00:00Z') },
      at: new Date('2026-11-26T18:00:00Z'),
      maintenanceUrl: 'https://estado.example.test/mantenimientos/m1',
      links: { manageUrl: 'https://m', unsubscribeUrl: 'https://u' },
      calendar: 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n',
    });
    expect(content.subject).toBe('[Mantenimiento programado] Cambio de equipo en Toluca — 1 dic 2026, 00:00');
    expect(content.text).toContain(
      'Ventana: la noche del lunes 30 de noviembre al martes 1 de diciembre, de 00:00 a 03:00 (hora del centro de México)',
    );
    expect(content.calendar).toMatchObject({ filename: 'mantenimiento.ics', method: 'PUBLISH' });
    // Through the outbox: every message carries the window's real calendar event, so each goes
    // through POST /emails on its own.
    const { maintenance } = createMaintenance(
      t.db,
      {
        name: 'Cambio de equipo en Toluca',
        body: 'Sustitución del equipo de agregación.',
        components: ['toluca'],
        scheduledFor: new Date('2026-12-01T06:00:00Z'),
        scheduledUntil: new Date('2026-12-01T09:00:00Z'),
      },
      { now: t.clock.now(), actor: systemActor },
    );
    const send = async (recipients: string[], notice: string) => {
      t.db
        .insert(emailNotices)
        .values({
          id: notice,
          kind: 'maintenance.announced',
          createdAt: t.clock.now(),
          props: JSON.stringify({
            kind: 'maintenance',
            event: 'maintenance.announced',
            maintenanceId: maintenance.id,
            name: 'Cambio de equipo',
            areas: [],
            scheduledFor: null,
            scheduledUntil: null,
            body: null,
            at: t.clock.now().toISOString(),
          }),
        })
        .run();
      enqueueMessages(
        t.db,
        recipients.map((to) => ({
          channel: 'email',
          kind: 'maintenance.announced',
          dedupeKey: `${notice}:${to}`,
          recipient: to,
          payload: { template: 'notice', notice, subscriber: 's', manageToken: 'A'.repeat(43) },
        })),
        t.clock.now(),
      );
      await drainOutbox(
        t.db,
        resendTransport(t.db, config, { apiKey: standin.apiKey, baseUrl: standin.url, requestsPerSecond: 0 }),
        { now: t.clock.now },
      );
    };
    const singles = standin.stats.singleRequests;
    await send(['solo@cliente.mx'], 'n1');
    expect(standin.stats.singleRequests - singles).toBe(1);
    const lone = standin.delivered.find((d) => d.to === 'solo@cliente.mx')!;
    expect(lone.attachments).toHaveLength(1);
    expect(lone.attachments![0]).toMatchObject({
      filename: 'mantenimiento.ics',
      content_type: 'text/calendar; charset=utf-8; method=PUBLISH',
    });
    const calendar = Buffer.from(String((lone.attachments![0] as { content: string }).content), 'base64').toString(
      'utf8',
    );
    expect(calendar).toMatch(/^BEGIN:VCALENDAR\r\n/);
    expect(calendar).toContain(`UID:maintenance-${maintenance.id}@`);
    expect(calendar).toContain('DTSTART:20261201T060000Z');
    const batches = standin.stats.batchRequests;
    const before = standin.stats.singleRequests;
    await send(['uno@cliente.mx', 'dos@cliente.mx'], 'n2');
    expect(standin.stats.batchRequests - batches).toBe(0);
    expect(standin.stats.singleRequests - before).toBe(2);
    expect(standin.delivered.find((d) => d.to === 'dos@cliente.mx')!.attachments).toHaveLength(1);
    t.db.$client.close();
  });
});

describe('configuration', () => {
  it('defaults MAIL_FROM and the Resend rate, and names a bad variable', () => {
    const config = loadConfig({});
    expect(config.mailFrom).toBe('SOMNET Estado <estado@somnet.com.mx>');
    expect(config.resendRequestsPerSecond).toBe(2);
    expect(config.resendApiKey).toBeUndefined();
    expect(
      loadConfig({ RESEND_API_KEY: 're_x', RESEND_BASE_URL: 'http://127.0.0.1:9999/', RESEND_RATE_LIMIT: '0' }),
    ).toMatchObject({ resendApiKey: 're_x', resendBaseUrl: 'http://127.0.0.1:9999', resendRequestsPerSecond: 0 });
    expect(() => loadConfig({ MAIL_FROM: 'SOMNET sin dirección' })).toThrow(ConfigError);
    expect(() => loadConfig({ MAIL_FROM: 'SOMNET sin dirección' })).toThrow(/MAIL_FROM/);
    expect(() => loadConfig({ RESEND_RATE_LIMIT: 'rápido' })).toThrow(/RESEND_RATE_LIMIT/);
  });
});
