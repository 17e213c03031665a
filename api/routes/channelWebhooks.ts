// What the providers send back: replies and delivery statuses. Each request is authenticated by
// the provider's own signature, checked before anything is read: WhatsApp's X-Hub-Signature-256
// (HMAC-SHA256 of the raw body with the app secret), Twilio's X-Twilio-Signature (HMAC-SHA1 of the
// URL and the sorted form fields with the auth token), Telegram's X-Telegram-Bot-Api-Secret-Token
// (set with setWebhook). A forged request is refused (401) and changes nothing.
import { Hono, type Context } from 'hono';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { endSubscription, subscribeTelegramChat, unsubscribeAddress } from '#db/commands/subscribers.ts';
import { CommandError } from '#db/commands/errors.ts';
import { componentCatalogue } from '#db/queries/index.ts';
import type { AppDeps } from '../context.ts';
import { errorResponse } from '../errors.ts';
import { limitBody } from '../http.ts';
import { WHATSAPP_GONE } from '../channels/whatsapp.ts';
import { telegramEscape, telegramWebhookSecret } from '../channels/telegram.ts';

/** «BAJA», «STOP» (and the words people use for them) end a phone subscription. */
export const LEAVE_WORDS = /^\s*(baja|stop|alto|cancelar|unsubscribe|darme de baja)\s*[.!]*\s*$/i;

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Twilio's request signature: base64 HMAC-SHA1 of the full URL followed by each POST field (sorted by name) as name+value. */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

/** Meta's X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256 of the raw body with the app secret. */
export function metaSignature(appSecret: string, raw: Buffer): string {
  return `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`;
}

const forged = (c: Context) =>
  errorResponse(c, 401, 'invalid_signature', 'Firma inválida: la solicitud no viene del proveedor.');
const notOffered = (c: Context, name: string) =>
  errorResponse(c, 404, 'not_found', `${name} no está configurado en este servidor.`);

/** Twilio's undelivered statuses that mean the number cannot get SMS any more. */
const SMS_GONE = new Set(['21610', '30004', '30005', '30006']);

export function channelWebhookRoutes(deps: AppDeps) {
  const { db, now } = deps;
  const app = new Hono();
  const ctx = (name: string) => ({ now: now(), actor: { kind: 'system' as const, name } });

  // Meta's verification handshake (Webhooks › Configure): echo hub.challenge when hub.verify_token matches.
  app.get('/api/whatsapp/webhook', (c) => {
    const wa = deps.config.channels?.whatsapp;
    if (!wa?.verifyToken) return notOffered(c, 'WhatsApp');
    if (c.req.query('hub.mode') === 'subscribe' && safeEqual(c.req.query('hub.verify_token') ?? '', wa.verifyToken))
      return c.text(c.req.query('hub.challenge') ?? '', 200);
    return errorResponse(c, 403, 'forbidden', 'El token de verificación no coincide con WHATSAPP_VERIFY_TOKEN.');
  });

  app.post('/api/whatsapp/webhook', limitBody(1024 * 1024), async (c) => {
    const wa = deps.config.channels?.whatsapp;
    if (!wa?.appSecret) return notOffered(c, 'WhatsApp');
    const raw = Buffer.from(await c.req.arrayBuffer());
    if (!safeEqual(c.req.header('x-hub-signature-256') ?? '', metaSignature(wa.appSecret, raw))) return forged(c);
    let payload: { entry?: Array<{ changes?: Array<{ value?: Record<string, any> }> }> };
    try {
      payload = JSON.parse(raw.toString('utf8'));
    } catch {
      return errorResponse(c, 400, 'invalid_json', 'JSON inválido.');
    }
    for (const entry of payload.entry ?? [])
      for (const change of entry.changes ?? []) {
        const value = change.value ?? {};
        for (const m of (value.messages ?? []) as Array<Record<string, any>>) {
          const text = m.text?.body ?? m.button?.text ?? m.button?.payload ?? m.interactive?.button_reply?.title ?? '';
          if (typeof m.from === 'string' && LEAVE_WORDS.test(String(text)))
            unsubscribeAddress(db, 'whatsapp', `+${m.from.replace(/\D/g, '')}`, ctx('whatsapp: BAJA'));
        }
        for (const s of (value.statuses ?? []) as Array<Record<string, any>>) {
          const code = Number(s.errors?.[0]?.code);
          if (s.status === 'failed' && WHATSAPP_GONE.has(code) && typeof s.recipient_id === 'string')
            endSubscription(
              db,
              'whatsapp',
              `+${s.recipient_id.replace(/\D/g, '')}`,
              `WhatsApp (#${code}) ${s.errors?.[0]?.title ?? ''}`.trim(),
              ctx('canal whatsapp'),
            );
        }
      }
    // Meta retries anything but a 200.
    return c.text('EVENT_RECEIVED', 200);
  });

  app.post('/api/sms/webhook', limitBody(64 * 1024), async (c) => {
    const sms = deps.config.channels?.sms;
    if (!sms) return notOffered(c, 'SMS');
    const raw = await c.req.text();
    const params = Object.fromEntries(new URLSearchParams(raw));
    const url = `${deps.config.publicUrl}/api/sms/webhook`;
    if (!safeEqual(c.req.header('x-twilio-signature') ?? '', twilioSignature(sms.authToken, url, params)))
      return forged(c);
    const twiml = (text?: string) =>
      c.body(
        `<?xml version="1.0" encoding="UTF-8"?><Response>${text ? `<Message>${text.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</Message>` : ''}</Response>`,
        200,
        { 'content-type': 'text/xml; charset=utf-8' },
      );
    if (params.MessageStatus && !params.Body) {
      const code = params.ErrorCode ?? '';
      if (
        (params.MessageStatus === 'undelivered' || params.MessageStatus === 'failed') &&
        SMS_GONE.has(code) &&
        params.To
      )
        endSubscription(db, 'sms', params.To, `Twilio ${params.MessageStatus} (${code})`, ctx('canal sms'));
      return twiml();
    }
    if (params.From && LEAVE_WORDS.test(params.Body ?? '')) {
      const removed = unsubscribeAddress(db, 'sms', params.From, ctx('sms: BAJA'));
      return twiml(removed ? 'SOMNET: ya no recibirá avisos de estado por SMS.' : undefined);
    }
    return twiml();
  });

  app.post('/api/telegram/webhook', limitBody(1024 * 1024), async (c) => {
    const tg = deps.config.channels?.telegram;
    if (!tg) return notOffered(c, 'Telegram');
    if (!safeEqual(c.req.header('x-telegram-bot-api-secret-token') ?? '', telegramWebhookSecret(tg.botToken)))
      return forged(c);
    let update: { message?: { text?: string; chat?: { id?: number | string } } };
    try {
      update = await c.req.json();
    } catch {
      return errorResponse(c, 400, 'invalid_json', 'JSON inválido.');
    }
    const chatId = update.message?.chat?.id;
    const text = update.message?.text?.trim() ?? '';
    if (chatId === undefined || !text.startsWith('/')) return c.json({}, 200);
    const chat = String(chatId);
    // The answer rides the webhook's response (Bot API: a method in the reply to an update).
    const reply = (lines: string[]) =>
      c.json(
        {
          method: 'sendMessage',
          chat_id: chatId,
          text: lines.join('\n'),
          parse_mode: 'HTML',
          link_preview_options: { is_disabled: true },
        },
        200,
      );
    const [command, ...args] = text.split(/\s+/);
    const name = command.replace(/@\w+$/, '').toLowerCase();
    const catalogue = componentCatalogue(db);
    if (name === '/start') {
      try {
        const { scope, manageToken } = subscribeTelegramChat(db, chat, args[0] ?? '', ctx('telegram: /start'));
        return reply([
          '<b>Listo: este chat recibirá los avisos de estado de SOMNET</b> sobre:',
          ...scope.map((s) => `• ${telegramEscape(s)}`),
          '',
          '/zonas para elegir otra zona · /baja para dejar de recibirlos',
          `<a href="${telegramEscape(`${deps.config.publicUrl}/suscripcion/preferencias?token=${encodeURIComponent(manageToken)}`)}">Administrar preferencias</a>`,
        ]);
      } catch (err) {
        if (!(err instanceof CommandError)) throw err;
        return reply([telegramEscape(err.message), 'Envíe /zonas para ver las zonas.']);
      }
    }
    if (name === '/zonas')
      return reply([
        '<b>Zonas</b> (toque una para recibir sus avisos):',
        ...catalogue.groups.map((g) => `/start ${g.slug} — ${telegramEscape(g.name)}`),
        '/start todas — toda la red',
      ]);
    if (name === '/baja') {
      const removed = unsubscribeAddress(db, 'telegram', chat, ctx('telegram: /baja'));
      return reply([
        removed ? 'Este chat ya no recibirá avisos de SOMNET.' : 'Este chat no estaba suscrito.',
        '/start para volver a suscribirlo.',
      ]);
    }
    return reply(['Comandos: /start (suscribirse), /zonas (elegir zona), /baja (dejar de recibir avisos).']);
  });

  return app;
}
