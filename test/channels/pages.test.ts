// /suscribirse on a server that offers SMS, Telegram and the team chats: the form offers each
// configured channel (and no other), a phone is confirmed by the code typed back on the page,
// a refused address is explained next to its field, and Telegram's deep links are on the page,
// the zone pages and /mi-servicio. Real server, plain form posts (no JavaScript).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { drainOutbox } from '#db/outbox/worker.ts';
import { replaceServiceInventory } from '#db/commands/services.ts';
import '#db/notifications/channels.ts';
import { loadConfig } from '../../api/config.ts';
import { channelTransport } from '../../api/channels/transport.ts';
import { providersFor } from '../../api/channels/providers.ts';
import { startTestServer } from '../support/server.ts';
import { testConfig } from '../support/db.ts';
import { startChannelStandins, STANDIN } from '../support/channel-standins.ts';

let server: Awaited<ReturnType<typeof startTestServer>>;
let standin: Awaited<ReturnType<typeof startChannelStandins>>;
let channels: NonNullable<ReturnType<typeof loadConfig>['channels']>;

beforeAll(async () => {
  standin = await startChannelStandins();
  channels = loadConfig({
    TWILIO_ACCOUNT_SID: STANDIN.twilioSid,
    TWILIO_AUTH_TOKEN: STANDIN.twilioToken,
    TWILIO_FROM: '+527220000000',
    TWILIO_API_BASE: standin.base,
    TELEGRAM_BOT_TOKEN: STANDIN.telegramToken,
    TELEGRAM_API_BASE: standin.base,
    TELEGRAM_BOT_USERNAME: 'SomnetEstadoBot',
    NOTIFY_CHAT_CHANNELS: 'slack,teams',
  }).channels!;
  server = await startTestServer({ config: { channels } });
});
afterAll(async () => {
  await server?.close();
  await standin?.close();
});

const post = (path: string, fields: Array<[string, string]>) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
    body: new URLSearchParams(fields).toString(),
  });

describe('/suscribirse offers each configured channel', () => {
  it('lists email, SMS, Slack and Teams in the form, Telegram as deep links per zone, and nothing unconfigured', async () => {
    const html = await (await fetch(`${server.url}/suscribirse`)).text();
    for (const value of ['email', 'sms', 'slack', 'teams']) expect(html).toContain(`value="${value}"`);
    expect(html).not.toContain('value="whatsapp"');
    expect(html).not.toContain('value="discord"');
    expect(html).toContain('href="https://t.me/SomnetEstadoBot?start=metepec"');
    expect(html).toContain('href="https://t.me/SomnetEstadoBot?start=todas"');
    const zone = await (await fetch(`${server.url}/zonas/metepec`)).text();
    expect(zone).toContain('href="https://t.me/SomnetEstadoBot?start=metepec"');
  });

  it('a number is subscribed once its owner types back the code sent by SMS; a bad number is explained at its field', async () => {
    const bad = await post('/suscribirse', [
      ['canal', 'sms'],
      ['telefono', '12345'],
    ]);
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toMatch(/id="telefono-error"[^>]*>\s*Escriba un número de teléfono válido/);

    const res = await post('/suscribirse', [
      ['canal', 'sms'],
      ['telefono', '(722) 167-5865'],
      ['componentes', 'metepec-fibra'],
    ]);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Escriba el código que le enviamos');
    expect(html).toContain('<strong>+527221675865</strong>');
    const [sms] = providersFor({ ...testConfig, channels }).filter((p) => p.channel === 'sms');
    await drainOutbox(server.db, channelTransport(server.db, sms, { publicUrl: testConfig.publicUrl, log: () => {} }));
    const code = /es (\d{6})\./.exec(String(standin.received.at(-1)!.body.Body))![1];
    const wrong = await post('/suscribirse', [
      ['accion', 'verificar'],
      ['canal', 'sms'],
      ['direccion', '+527221675865'],
      ['codigo', code === '123456' ? '654321' : '123456'],
    ]);
    expect(wrong.status).toBe(422);
    expect(await wrong.text()).toMatch(/id="codigo-error"[^>]*>\s*El código no es correcto/);
    const right = await post('/suscribirse', [
      ['accion', 'verificar'],
      ['canal', 'sms'],
      ['direccion', '+527221675865'],
      ['codigo', code],
    ]);
    expect(right.status).toBe(200);
    expect(await right.text()).toContain('responda «BAJA»');
    expect(
      server.db.get<{ confirmed: number }>(
        sql`select confirmed_at is not null as confirmed from subscribers where channel = 'sms' and address = '+527221675865'`,
      ),
    ).toEqual({ confirmed: 1 });
  });

  it('a team chat is told to confirm from the card posted into it', async () => {
    const res = await post('/suscribirse', [
      ['canal', 'slack'],
      ['webhook', 'https://hooks.slack.com/services/T1/B2/abc'],
    ]);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Confirme desde Slack');
  });

  it('/mi-servicio links its service to the Telegram bot', async () => {
    replaceServiceInventory(
      server.db,
      {
        services: [
          {
            service_id: 'SOM-40110',
            customer_id: 'C-1',
            company: 'Ferretería',
            label: 'Centro',
            technology: 'Fibra óptica',
            component: 'metepec-fibra',
            contacts: [],
          },
        ],
      },
      { now: new Date(), actor: { kind: 'token', name: 'pruebas' } },
    );
    const html = await (await fetch(`${server.url}/mi-servicio/SOM-40110`)).text();
    expect(html).toContain('href="https://t.me/SomnetEstadoBot?start=SOM-40110"');
  });
});
