// Notices on every channel through the real outbox, each provider a local stand-in speaking its
// own API: exactly one message per recipient and event in that provider's shape, 429 honoured
// with the provider's retry hint, 5xx retried, and an address the provider says is gone ends its
// subscription and tells the NOC (audit `subscriber.gone`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createIncident, publishIncidentUpdate } from '#db/commands/incidents.ts';
import { importSubscribers } from '#db/commands/subscribers.ts';
import { drainOutbox } from '#db/outbox/worker.ts';
import '#db/notifications/channels.ts';
import { channelTransport, type Provider } from '../../api/channels/transport.ts';
import { twilioProvider, smsSegments, smsText } from '../../api/channels/sms.ts';
import { whatsappProvider } from '../../api/channels/whatsapp.ts';
import { telegramProvider } from '../../api/channels/telegram.ts';
import { chatProvider } from '../../api/channels/chats.ts';
import { freshDb, testClock } from '../support/db.ts';
import { startChannelStandins, STANDIN, type ProviderName } from '../support/channel-standins.ts';

const clock = testClock('2026-12-07T07:56:00Z');
const ctx = () => ({ now: clock.now(), actor: { kind: 'token' as const, name: 'pruebas' } });
const db = freshDb();
const publicUrl = 'https://estado.example.test';
let standin: Awaited<ReturnType<typeof startChannelStandins>>;
let providers: Provider[] = [];

const drainAll = async () => {
  for (const p of providers)
    await drainOutbox(db, channelTransport(db, p, { publicUrl, now: clock.now, log: () => {} }), { now: clock.now });
};
const got = (provider: ProviderName) => standin.received.filter((r) => r.provider === provider);
const outbox = (channel: string) =>
  db.all<{ status: string; attempts: number; next_attempt_at: number; last_error: string | null; recipient: string }>(
    sql`select status, attempts, next_attempt_at, last_error, recipient from outbox_messages where channel = ${channel} order by id`,
  );

beforeAll(async () => {
  standin = await startChannelStandins();
  providers = [
    twilioProvider(
      { accountSid: STANDIN.twilioSid, authToken: STANDIN.twilioToken, from: '+527220000000', apiBase: standin.base },
      publicUrl,
    ),
    whatsappProvider({
      token: STANDIN.whatsappToken,
      phoneNumberId: STANDIN.whatsappPhoneId,
      apiBase: `${standin.base}/v23.0`,
    }),
    telegramProvider({ botToken: STANDIN.telegramToken, apiBase: standin.base }),
    chatProvider('slack', { allowPrivateTargets: true }),
    chatProvider('teams', { allowPrivateTargets: true }),
    chatProvider('google_chat', { allowPrivateTargets: true }),
    chatProvider('discord', { allowPrivateTargets: true }),
  ];
  importSubscribers(
    db,
    [
      { channel: 'sms', address: '722 167 5865', components: ['metepec-fibra'] },
      { channel: 'whatsapp', address: '+52 722 100 0001', components: ['metepec-fibra'] },
      { channel: 'telegram', address: '123456789', components: ['metepec-fibra'] },
      { channel: 'slack', address: standin.urls.slack(1), components: ['metepec-fibra'] },
      { channel: 'teams', address: standin.urls.teams(1), components: ['metepec-fibra'] },
      { channel: 'google_chat', address: standin.urls.googleChat(1), components: ['metepec-fibra'] },
      { channel: 'discord', address: standin.urls.discord(1), components: ['metepec-fibra'] },
    ],
    ctx(),
    { allowPrivateTargets: true },
  );
});
afterAll(async () => {
  await standin.close();
  db.$client.close();
});

let incidentId = '';

describe('one message per recipient and event, in each provider’s shape', () => {
  it('an incident reaches every channel once', async () => {
    incidentId = createIncident(
      db,
      {
        name: 'Corte de fibra <b>en</b> Metepec & Lerma',
        status: 'identified',
        impact: 'critical',
        body: 'Cuadrilla en camino.',
        cause: 'Corte de fibra por obra civil',
        components: { 'metepec-fibra': 'major_outage' },
      },
      ctx(),
    ).id;
    await drainAll();
    await drainAll(); // nothing left to send: nothing twice
    for (const p of ['twilio', 'whatsapp', 'telegram', 'slack', 'teams', 'google_chat', 'discord'] as const)
      expect(got(p), p).toHaveLength(1);

    const sms = got('twilio')[0];
    expect(sms.to).toBe('+527221675865');
    expect(sms.body.From).toBe('+527220000000');
    expect(sms.body.Body).toContain(`${publicUrl}/incidentes/${incidentId}`);
    expect(sms.body.Body).toContain('responda BAJA');
    expect(smsSegments(String(sms.body.Body)).segments).toBeLessThanOrEqual(2);

    const wa = got('whatsapp')[0].body as any;
    expect(got('whatsapp')[0].to).toBe('+527221000001');
    expect(wa.template.name).toBe('somnet_afectacion_actual');
    expect(wa.template.language.code).toBe('es_MX');
    expect(wa.template.components[0].parameters[1].text).toBe('Afecta ahora a Metepec · Fibra óptica.');
    expect(wa.template.components[1].parameters[0].text).toBe(`incidentes/${incidentId}`);

    const tg = got('telegram')[0].body as any;
    expect(tg.chat_id).toBe('123456789');
    expect(tg.text).toContain('<b>Corte de fibra &lt;b&gt;en&lt;/b&gt; Metepec &amp; Lerma</b>');

    const slack = got('slack')[0].body as any;
    expect(slack.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    expect(slack.blocks.at(-2).elements[0].url).toBe(`${publicUrl}/incidentes/${incidentId}`);

    const teams = got('teams')[0].body as any;
    expect(teams.attachments[0].content.actions[0]).toMatchObject({ type: 'Action.OpenUrl', title: 'Ver detalle' });

    const chat = got('google_chat')[0].body as any;
    expect(chat.cardsV2[0].card.header.title).toBe('Corte de fibra <b>en</b> Metepec & Lerma');
    expect(chat.cardsV2[0].card.sections[0].widgets[0].textParagraph.text).toBe(
      'Afecta ahora a Metepec · Fibra óptica.',
    );

    const discord = got('discord')[0].body as any;
    expect(discord.allowed_mentions).toEqual({ parse: [] });
    expect(discord.embeds[0].url).toBe(`${publicUrl}/incidentes/${incidentId}`);
  });

  it('the resolution is worded in the past on every channel', async () => {
    clock.set('2026-12-07T08:08:00Z');
    publishIncidentUpdate(
      db,
      incidentId,
      { status: 'resolved', body: 'Restablecido.', components: { 'metepec-fibra': 'operational' } },
      ctx(),
    );
    await drainAll();
    expect((got('whatsapp')[1].body as any).template.name).toBe('somnet_servicio_restablecido');
    expect(String(got('twilio')[1].body.Body)).toMatch(/servicio restablecido; duro 12 min/);
    expect(String((got('telegram')[1].body as any).text)).not.toMatch(/Afecta ahora/);
    for (const p of ['twilio', 'whatsapp', 'telegram', 'slack', 'teams', 'google_chat', 'discord'] as const)
      expect(got(p), p).toHaveLength(2);
  });
});

describe('provider errors', () => {
  it('429 waits for the provider’s hint (Retry-After, retry_after), then sends once', async () => {
    clock.advance(60_000);
    for (const p of ['twilio', 'telegram', 'slack', 'teams', 'discord'] as const)
      standin.failNext(p, { status: 429, retryAfter: 7 });
    standin.failNext('whatsapp', { status: 429, code: 130429 });
    standin.failNext('google_chat', { status: 429 });
    const before = standin.received.length;
    createIncident(
      db,
      {
        name: 'Intermitencia en Metepec',
        status: 'investigating',
        body: 'Revisamos.',
        components: { 'metepec-fibra': 'partial_outage' },
      },
      ctx(),
    );
    await drainAll();
    expect(standin.received.length).toBe(before);
    const now = clock.now().getTime();
    for (const channel of ['sms', 'telegram', 'slack', 'teams', 'discord']) {
      const [row] = outbox(channel).filter((r) => r.status === 'pending');
      expect(row.next_attempt_at - now, channel).toBe(7_000);
      expect(row.last_error, channel).toMatch(/429/);
    }
    for (const channel of ['whatsapp', 'google_chat']) {
      const [row] = outbox(channel).filter((r) => r.status === 'pending');
      expect(row.next_attempt_at - now, channel).toBe(10_000); // no hint: the outbox's backoff
    }
    clock.advance(6_000);
    await drainAll();
    expect(standin.received.length).toBe(before); // nobody is due before the hint
    clock.advance(5_000);
    await drainAll();
    expect(standin.received.length).toBe(before + 7);
    await drainAll();
    expect(standin.received.length).toBe(before + 7);
  });

  it('5xx and timeouts are retried with backoff', async () => {
    clock.advance(60_000);
    standin.failNext('twilio', { status: 503 });
    standin.failNext('discord', { status: 429, retryAfter: 0.25 });
    const before = standin.received.length;
    createIncident(
      db,
      {
        name: 'Falla eléctrica',
        status: 'investigating',
        body: 'Revisamos.',
        components: { 'metepec-fibra': 'major_outage' },
      },
      ctx(),
    );
    await drainAll();
    expect(standin.received.length).toBe(before + 5);
    clock.advance(10_000);
    await drainAll();
    expect(standin.received.length).toBe(before + 7);
    expect(outbox('sms').every((r) => r.status === 'sent')).toBe(true);
  });

  it('an address the provider says is gone ends that subscription and tells the NOC', async () => {
    standin.gone('+527221675865'); // the number replied STOP to its carrier (Twilio 21610)
    standin.gone('+527221000001'); // not on WhatsApp any more (131026)
    standin.gone('123456789'); // the user blocked the bot (403)
    standin.gone(new URL(standin.urls.slack(1)).pathname); // 404 no_service
    standin.gone(new URL(standin.urls.teams(1)).pathname); // the workflow was deleted
    standin.gone(new URL(standin.urls.googleChat(1)).pathname);
    standin.gone(new URL(standin.urls.discord(1)).pathname); // 10015 Unknown Webhook
    clock.advance(60_000);
    const before = standin.received.length;
    createIncident(
      db,
      {
        name: 'Otra falla',
        status: 'investigating',
        body: 'Revisamos.',
        components: { 'metepec-fibra': 'degraded_performance' },
      },
      ctx(),
    );
    await drainAll();
    expect(standin.received.length).toBe(before);
    const left = db.all<{ channel: string }>(sql`select channel from subscribers where channel != 'email'`);
    expect(left).toEqual([]);
    const audit = db.all<{ action: string; details: string }>(
      sql`select action, details from audit_log where action = 'subscriber.gone' order by id`,
    );
    expect(audit.map((a) => JSON.parse(a.details).channel).sort()).toEqual([
      'discord',
      'google_chat',
      'slack',
      'sms',
      'teams',
      'telegram',
      'whatsapp',
    ]);
    expect(JSON.parse(audit.find((a) => JSON.parse(a.details).channel === 'sms')!.details).reason).toMatch(/21610/);
    // Nobody is told again.
    clock.advance(60_000);
    createIncident(
      db,
      { name: 'Y otra', status: 'investigating', body: 'Revisamos.', components: { 'metepec-fibra': 'major_outage' } },
      ctx(),
    );
    expect(db.get<{ n: number }>(sql`select count(*) as n from outbox_messages where status = 'pending'`).n).toBe(0);
  });
});

describe('SMS segments', () => {
  it('counts GSM-7 and UCS-2 segments and keeps a notice to two', () => {
    expect(smsSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(smsSegments('a'.repeat(161)).segments).toBe(2);
    expect(smsSegments('ñé€'.repeat(1))).toEqual({ encoding: 'GSM-7', units: 4, segments: 1 }); // € takes two septets
    expect(smsSegments('á'.repeat(70))).toEqual({ encoding: 'UCS-2', units: 70, segments: 1 });
    expect(smsSegments('á'.repeat(71)).segments).toBe(2);
    const long = smsText({
      kind: 'notice',
      moment: { tense: 'present' },
      title: 'Interrupción total del servicio de fibra óptica en la zona industrial de Lerma y San Mateo Atenco',
      summary:
        'Sus servicios SOM-40110, Sucursal Centro; SOM-40111, Bodega Norte; SOM-40112, Oficinas Corporativas y SOM-40113, Almacén se ven afectados.',
      facts: [],
      url: 'https://status.somnet.com.mx/incidentes/abcdefghijkl',
      path: 'incidentes/abcdefghijkl',
      leaveUrl: 'https://status.somnet.com.mx/suscripcion/baja?token=1.x',
      token: '1.x',
      reason: '',
    });
    expect(smsSegments(long).segments).toBeLessThanOrEqual(2);
    expect(long).toContain('https://status.somnet.com.mx/incidentes/abcdefghijkl Baja: responda BAJA');
    expect(smsSegments(long).encoding).toBe('GSM-7');
  });
});
