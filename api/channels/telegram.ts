// Telegram through a bot: POST {base}/bot<token>/sendMessage with parse_mode HTML (only <, >
// and & need escaping, and only the tags Telegram knows are used). Answers are
// { ok, result } or { ok: false, error_code, description, parameters: { retry_after } }.
import { createHmac } from 'node:crypto';
import type { Config } from '../config.ts';
import type { ChannelMessage } from './message.ts';
import { byStatus, callApi, parseJson, secondsToMs, type Provider, type Verdict } from './transport.ts';

type TelegramConfig = NonNullable<NonNullable<Config['channels']>['telegram']>;

/** Telegram's HTML mode: <, > and & as entities (https://core.telegram.org/bots/api#html-style). */
export function telegramEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * The secret Telegram sends back in X-Telegram-Bot-Api-Secret-Token with every update (set with
 * setWebhook's secret_token): derived from the bot token, so it needs no setting of its own.
 */
export function telegramWebhookSecret(botToken: string): string {
  return createHmac('sha256', botToken).update('somnet-telegram-webhook').digest('hex');
}

export function telegramText(message: ChannelMessage): string {
  if (message.kind === 'code') return `SOMNET: su código es <b>${message.code}</b>.`;
  if (message.kind === 'confirm')
    return [
      '<b>Confirme los avisos de estado de SOMNET en este chat</b>',
      '',
      ...message.scope.map((s) => `• ${telegramEscape(s)}`),
      '',
      `<a href="${telegramEscape(message.confirmUrl)}">Confirmar suscripción</a>`,
    ].join('\n');
  return [
    `<b>${telegramEscape(message.title)}</b>`,
    '',
    telegramEscape(message.summary),
    '',
    ...message.facts.map(([k, v]) => `<b>${telegramEscape(k)}:</b> ${telegramEscape(v)}`),
    '',
    `<a href="${telegramEscape(message.url)}">Ver detalle</a> · <a href="${telegramEscape(message.leaveUrl)}">Dejar de recibir</a> (o envíe /baja)`,
  ].join('\n');
}

/** Bot API call; the answer's body as JSON. */
export async function telegramCall(config: TelegramConfig, method: string, params: Record<string, unknown>) {
  const res = await callApi(`${config.apiBase}/bot${config.botToken}/${method}`, {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  return { status: res.status, body: parseJson(res.text), text: res.text };
}

/**
 * Gone: 403 (the user blocked the bot, was deactivated, or the bot was removed from the group)
 * and 400 «chat not found». 429 carries parameters.retry_after (seconds).
 */
export function telegramProvider(config: TelegramConfig): Provider {
  return {
    channel: 'telegram',
    async deliver(row, message): Promise<Verdict> {
      const res = await telegramCall(config, 'sendMessage', {
        chat_id: row.recipient,
        text: telegramText(message),
        parse_mode: 'HTML',
        link_preview_options: { is_disabled: true },
      });
      if (res.status === 200 && res.body.ok === true) {
        const result = res.body.result as { message_id?: number } | undefined;
        return {
          outcome: 'sent',
          providerMessageId: result?.message_id !== undefined ? String(result.message_id) : null,
        };
      }
      const description = String(res.body.description ?? res.text);
      const parameters = (res.body.parameters ?? {}) as { retry_after?: number };
      if (res.status === 403 || (res.status === 400 && /chat not found|user is deactivated/i.test(description)))
        return { outcome: 'gone', error: `Telegram ${res.status}: ${description}` };
      return byStatus('Telegram', res.status, description, () => false, secondsToMs(parameters.retry_after));
    },
  };
}
