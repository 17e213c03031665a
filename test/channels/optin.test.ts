// Subscribing and leaving on every channel, through the real app: the API's channel/address forms
// and their validation paths, a phone confirmed only by the 6-digit code sent to it, a team chat
// confirmed from the card posted into it, «BAJA»/«STOP» by SMS and WhatsApp, Telegram's /start,
// /zonas and /baja — and every webhook refused when its signature is forged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { createApp } from '../../api/app.ts';
import { confirmSubscription } from '#db/commands/subscribers.ts';
import { drainOutbox } from '#db/outbox/worker.ts';
import { normalizeAddress, normalizePhone } from '#db/subscriptions/channels.ts';
import { createApiToken } from '#db/commands/tokens.ts';
import '#db/notifications/channels.ts';
import { channelTransport } from '../../api/channels/transport.ts';
import { providersFor } from '../../api/channels/providers.ts';
import { telegramWebhookSecret } from '../../api/channels/telegram.ts';
import { twilioSignature } from '../../api/routes/channelWebhooks.ts';
import { loadConfig, type Config } from '../../api/config.ts';
import { freshDb, testClock, testConfig } from '../support/db.ts';
import { startChannelStandins, STANDIN } from '../support/channel-standins.ts';

process.env.WEBHOOK_ALLOW_PRIVATE_TARGETS = '1';
const clock = testClock('2026-12-07T16:00:00Z');
const db = freshDb();
let standin: Awaited<ReturnType<typeof startChannelStandins>>;
let config: Config;
let app: ReturnType<typeof createApp>['app'];
const APP_SECRET = 'meta-app-secret';
let auth: Record<string, string>;

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
const drainAll = async () => {
  for (const p of providersFor(config))
    await drainOutbox(db, channelTransport(db, p, { publicUrl: config.publicUrl, now: clock.now, log: () => {} }), {
      now: clock.now,
    });
};
const subscriber = (channel: string, address: string) =>
  db.get<{ confirmed: number } | undefined>(
    sql`select confirmed_at is not null as confirmed from subscribers where channel = ${channel} and address = ${address}`,
  );

beforeAll(async () => {
  standin = await startChannelStandins();
  config = {
    ...loadConfig({
      PUBLIC_URL: 'https://estado.example.test',
      TWILIO_ACCOUNT_SID: STANDIN.twilioSid,
      TWILIO_AUTH_TOKEN: STANDIN.twilioToken,
      TWILIO_FROM: '+527220000000',
      TWILIO_API_BASE: standin.base,
      WHATSAPP_TOKEN: STANDIN.whatsappToken,
      WHATSAPP_PHONE_NUMBER_ID: STANDIN.whatsappPhoneId,
      WHATSAPP_API_BASE: `${standin.base}/v23.0`,
      WHATSAPP_VERIFY_TOKEN: 'verificame',
      WHATSAPP_APP_SECRET: APP_SECRET,
      TELEGRAM_BOT_TOKEN: STANDIN.telegramToken,
      TELEGRAM_API_BASE: standin.base,
      TELEGRAM_BOT_USERNAME: 'SomnetEstadoBot',
    }),
    databasePath: ':memory:',
  };
  ({ app } = createApp({ db, config, now: clock.now }));
  auth = { authorization: `Bearer ${createApiToken(db, 'pruebas', clock.now()).token}` };
});
afterAll(async () => {
  await standin.close();
  db.$client.close();
});

describe('addresses in each channel’s form', () => {
  it('takes Mexican numbers as people write them, in E.164', () => {
    for (const typed of [
      '722 167 5865',
      '(722) 167-5865',
      '+52 722 167 5865',
      '044 722 167 5865',
      '+52 1 722 167 5865',
      '527221675865',
    ])
      expect(normalizePhone(typed), typed).toBe('+527221675865');
    expect(normalizePhone('+1 415 555 2671')).toBe('+14155552671');
    expect(normalizePhone('12345')).toBeNull();
    expect(normalizePhone('722 167 58')).toBeNull();
  });

  it('accepts only the providers’ webhook hosts for team chats', () => {
    const policy = { allowPrivateTargets: false };
    expect(normalizeAddress('slack', 'https://hooks.slack.com/services/T1/B2/xyz', policy).ok).toBe(true);
    expect(normalizeAddress('slack', 'https://hooks.example.com/services/T1/B2/xyz', policy).ok).toBe(false);
    expect(
      normalizeAddress(
        'teams',
        'https://prod-23.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=x',
        policy,
      ).ok,
    ).toBe(true);
    expect(normalizeAddress('teams', 'https://outlook.office.com/webhook/abc', policy).ok).toBe(false); // retired connectors
    expect(
      normalizeAddress('google_chat', 'https://chat.googleapis.com/v1/spaces/AAA/messages?key=k&token=t', policy).ok,
    ).toBe(true);
    expect(normalizeAddress('discord', 'https://discord.com/api/webhooks/123/abc-DEF', policy).ok).toBe(true);
    expect(normalizeAddress('discord', 'http://10.0.0.1/api/webhooks/123/abc', policy).ok).toBe(false);
    expect(normalizeAddress('telegram', '-1001234567890', policy)).toEqual({ ok: true, address: '-1001234567890' });
  });

  it('POST /api/v1/subscribers takes { channel, address } with the field paths of its errors', async () => {
    const bad = await post('/api/v1/subscribers', { channel: 'sms', address: '12345' });
    expect(bad.status).toBe(422);
    expect((await bad.json()).error.fields).toEqual([
      { path: 'address', message: expect.stringMatching(/número de teléfono válido/) },
    ]);
    const unknown = await post('/api/v1/subscribers', { channel: 'fax', address: '123' });
    expect(unknown.status).toBe(422);
    expect((await unknown.json()).error.fields[0].path).toBe('channel');
    const both = await post('/api/v1/subscribers', { email: 'a@b.mx', address: '123' });
    expect((await both.json()).error.fields[0].path).toBe('address');
    const imported = await post(
      '/api/v1/subscribers/import',
      {
        confirmed: true,
        subscribers: [
          { channel: 'whatsapp', address: '722 100 2000', service_ids: ['SOM-40110'] },
          { channel: 'sms', address: 'no es un número' },
          { email: 'contacto@cliente.mx' },
        ],
      },
      auth,
    );
    expect(imported.status).toBe(422);
    expect((await imported.json()).error.fields).toEqual([
      { path: 'subscribers.1.address', message: expect.stringMatching(/número de teléfono válido/) },
    ]);
    const ok = await post(
      '/api/v1/subscribers/import',
      { confirmed: true, subscribers: [{ channel: 'whatsapp', address: '722 100 2000', service_ids: ['SOM-40110'] }] },
      auth,
    );
    expect(ok.status).toBe(201);
    const list = await (await app.request('/api/v1/subscribers?channel=whatsapp', { headers: auth })).json();
    expect(list.subscribers).toEqual([
      expect.objectContaining({
        channel: 'whatsapp',
        address: '+527221002000',
        email: null,
        kind: 'technical_contact',
      }),
    ]);
  });

  it('a channel without configuration is not offered', async () => {
    const { app: plain } = createApp({ db, config: testConfig, now: clock.now });
    const res = await plain.request('/api/v1/subscribers', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'whatsapp', address: '722 167 5865' }),
    });
    expect(res.status).toBe(422);
    expect((await res.json()).error.fields).toEqual([
      { path: 'channel', message: 'Este servidor no ofrece avisos por WhatsApp.' },
    ]);
  });
});

describe('opt-in', () => {
  it('a phone is subscribed only after its owner types back the 6-digit code sent to it', async () => {
    const res = await post('/api/v1/subscribers', {
      channel: 'sms',
      address: '722 167 5865',
      components: ['metepec-fibra'],
    });
    expect(res.status).toBe(202);
    expect((await res.json()).status).toBe('pending_code');
    expect(subscriber('sms', '+527221675865')).toEqual({ confirmed: 0 });
    await drainAll();
    const sms = standin.received.filter((r) => r.provider === 'twilio').at(-1)!;
    expect(sms.to).toBe('+527221675865');
    const code = /código de verificación es (\d{6})/.exec(String(sms.body.Body))![1];
    const wrong = await post('/api/v1/subscribers/verify', {
      channel: 'sms',
      address: '7221675865',
      code: code === '000000' ? '111111' : '000000',
    });
    expect(wrong.status).toBe(422);
    expect((await wrong.json()).error.code).toBe('invalid_code');
    expect(subscriber('sms', '+527221675865')).toEqual({ confirmed: 0 });
    const right = await post('/api/v1/subscribers/verify', { channel: 'sms', address: '722 167 5865', code });
    expect(right.status).toBe(200);
    expect(subscriber('sms', '+527221675865')).toEqual({ confirmed: 1 });
    // The code's outbox row keeps no code once sent.
    expect(
      db.get<{ payload: string }>(sql`select payload from outbox_messages where kind = 'subscription.code'`).payload,
    ).toBe('{}');
  });

  it('WhatsApp sends the code in Meta’s authentication template; five wrong tries kill it', async () => {
    await post('/api/v1/subscribers', { channel: 'whatsapp', address: '+52 722 300 4000' });
    await drainAll();
    const wa = standin.received.filter((r) => r.provider === 'whatsapp').at(-1)!;
    expect((wa.body as any).template.name).toBe('somnet_codigo_verificacion');
    const code = (wa.body as any).template.components[0].parameters[0].text as string;
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++)
      expect(
        (await post('/api/v1/subscribers/verify', { channel: 'whatsapp', address: '7223004000', code: wrong })).status,
      ).toBe(422);
    expect(
      (await post('/api/v1/subscribers/verify', { channel: 'whatsapp', address: '7223004000', code })).status,
    ).toBe(422);
    expect(subscriber('whatsapp', '+527223004000')).toEqual({ confirmed: 0 });
  });

  it('a team chat gets a confirmation card with a link: only someone who reads the channel confirms it', async () => {
    const url = standin.urls.teams(7);
    const res = await post('/api/v1/subscribers', { channel: 'teams', address: url, components: ['lerma-fibra'] });
    expect(res.status).toBe(202);
    await drainAll();
    const card = standin.received.filter((r) => r.provider === 'teams').at(-1)!;
    const action = (card.body as any).attachments[0].content.actions[0];
    expect(action.title).toBe('Confirmar suscripción');
    expect(subscriber('teams', url)).toEqual({ confirmed: 0 });
    const token = new URL(action.url).searchParams.get('token')!;
    confirmSubscription(db, token, { now: clock.now(), actor: { kind: 'user', name: 'público' } });
    expect(subscriber('teams', url)).toEqual({ confirmed: 1 });
  });
});

describe('opt-out and signed webhooks', () => {
  const smsWebhook = (params: Record<string, string>, signature?: string) => {
    const body = new URLSearchParams(params).toString();
    return app.request('/api/sms/webhook', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature':
          signature ?? twilioSignature(STANDIN.twilioToken, 'https://estado.example.test/api/sms/webhook', params),
      },
      body,
    });
  };

  it('SMS: «BAJA» from the number unsubscribes it; a forged signature changes nothing', async () => {
    const params = {
      From: '+527221675865',
      To: '+527220000000',
      Body: 'Baja',
      MessageSid: 'SM1',
      AccountSid: STANDIN.twilioSid,
    };
    const forged = await smsWebhook(params, 'bm90IGEgc2lnbmF0dXJl');
    expect(forged.status).toBe(401);
    expect(subscriber('sms', '+527221675865')).toEqual({ confirmed: 1 });
    const res = await smsWebhook(params);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<Message>SOMNET: ya no recibirá avisos de estado por SMS.</Message>');
    expect(subscriber('sms', '+527221675865')).toBeUndefined();
  });

  const waWebhook = (payload: unknown, secret = APP_SECRET) => {
    const raw = JSON.stringify(payload);
    return app.request('/api/whatsapp/webhook', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`,
      },
      body: raw,
    });
  };
  const waMessage = (from: string, text: string) => ({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'WABA',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { phone_number_id: STANDIN.whatsappPhoneId },
              contacts: [{ wa_id: from }],
              messages: [{ from, id: 'wamid.1', timestamp: '1765123200', type: 'text', text: { body: text } }],
            },
          },
        ],
      },
    ],
  });

  it('WhatsApp: the GET handshake, «STOP» unsubscribes, a forged signature is refused, a failed status ends a gone number', async () => {
    const challenge = await app.request(
      '/api/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=verificame&hub.challenge=1158201444',
    );
    expect(challenge.status).toBe(200);
    expect(await challenge.text()).toBe('1158201444');
    expect(
      (await app.request('/api/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=otro&hub.challenge=1')).status,
    ).toBe(403);

    expect(subscriber('whatsapp', '+527221002000')).toEqual({ confirmed: 1 });
    expect((await waWebhook(waMessage('527221002000', 'STOP'), 'otro-secreto')).status).toBe(401);
    expect(subscriber('whatsapp', '+527221002000')).toEqual({ confirmed: 1 });
    expect((await waWebhook(waMessage('527221002000', ' stop '))).status).toBe(200);
    expect(subscriber('whatsapp', '+527221002000')).toBeUndefined();

    await post(
      '/api/v1/subscribers/import',
      { confirmed: true, subscribers: [{ channel: 'whatsapp', address: '722 555 0000' }] },
      auth,
    );
    const failed = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: 'WABA',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                statuses: [
                  {
                    id: 'wamid.2',
                    status: 'failed',
                    recipient_id: '527225550000',
                    timestamp: '1765123300',
                    errors: [{ code: 131026, title: 'Message undeliverable' }],
                  },
                ],
              },
            },
          ],
        },
      ],
    };
    expect((await waWebhook(failed)).status).toBe(200);
    expect(subscriber('whatsapp', '+527225550000')).toBeUndefined();
    expect(db.get<{ n: number }>(sql`select count(*) as n from audit_log where action = 'subscriber.gone'`).n).toBe(1);
  });

  it('Telegram: /start <zona> subscribes the chat at once, /zonas lists them, /baja leaves; the secret header is required', async () => {
    const update = (text: string, secret = telegramWebhookSecret(STANDIN.telegramToken)) =>
      app.request('/api/telegram/webhook', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
        body: JSON.stringify({ update_id: 1, message: { message_id: 5, chat: { id: 998877, type: 'private' }, text } }),
      });
    expect((await update('/start metepec', 'adivinado')).status).toBe(401);
    expect(subscriber('telegram', '998877')).toBeUndefined();
    const started = await (await update('/start metepec')).json();
    expect(started).toMatchObject({ method: 'sendMessage', chat_id: 998877, parse_mode: 'HTML' });
    expect(started.text).toContain('• Metepec · Fibra óptica');
    expect(subscriber('telegram', '998877')).toEqual({ confirmed: 1 });
    const zones = await (await update('/zonas')).json();
    expect(zones.text).toContain('/start san-mateo-atenco');
    const left = await (await update('/baja')).json();
    expect(left.text).toContain('ya no recibirá');
    expect(subscriber('telegram', '998877')).toBeUndefined();
  });
});
