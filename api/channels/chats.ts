// Team chats through their incoming webhooks: Slack (Block Kit), Microsoft Teams (a Workflows
// webhook taking an Adaptive Card), Google Chat (cardsV2) and Discord (embeds). The URLs are the
// subscribers' own, so every POST goes through the SSRF guard of the webhooks (api/webhooks/post.ts);
// sign-up only accepts these providers' hosts (db/subscriptions/channels.ts).
import type { SubscriberChannel } from '#db/subscriptions/channels.ts';
import { postWebhook } from '../webhooks/post.ts';
import type { ChannelMessage } from './message.ts';
import { byStatus, parseJson, secondsToMs, type Provider, type Verdict } from './transport.ts';

type Chat = 'slack' | 'teams' | 'google_chat' | 'discord';

interface Card {
  title: string;
  text: string;
  facts: Array<[string, string]>;
  buttons: Array<{ label: string; url: string }>;
  footer: string;
  tone: 'bad' | 'good' | 'info';
}

function cardOf(message: ChannelMessage): Card {
  if (message.kind === 'confirm')
    return {
      title: 'Confirme los avisos de estado de SOMNET en este canal',
      text: `Alguien pidió enviar a este canal los avisos de incidentes y mantenimientos de SOMNET sobre: ${message.scope.join('; ') || 'toda la red'}. Si fue su equipo, confirme con el enlace; si no, ignore este mensaje.`,
      facts: [],
      buttons: [{ label: 'Confirmar suscripción', url: message.confirmUrl }],
      footer: 'El enlace vence en 48 horas.',
      tone: 'info',
    };
  if (message.kind === 'code')
    return { title: 'Código', text: message.code, facts: [], buttons: [], footer: '', tone: 'info' };
  return {
    title: message.title,
    text: message.summary,
    facts: message.facts,
    buttons: [
      { label: 'Ver detalle', url: message.url },
      { label: 'Dejar de recibir', url: message.leaveUrl },
    ],
    footer: message.reason,
    tone:
      message.moment.tense === 'past' || message.moment.tense === 'withdrawn'
        ? 'good'
        : message.moment.tense === 'future'
          ? 'info'
          : 'bad',
  };
}

/** Slack mrkdwn: &, < and > escaped (https://api.slack.com/reference/surfaces/formatting#escaping). */
const slackEscape = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function slackBody(message: ChannelMessage) {
  const c = cardOf(message);
  return {
    text: `${c.title}: ${c.text}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: c.title.slice(0, 150), emoji: false } },
      { type: 'section', text: { type: 'mrkdwn', text: slackEscape(c.text) } },
      ...(c.facts.length
        ? [
            {
              type: 'section',
              fields: c.facts
                .slice(0, 10)
                .map(([k, v]) => ({ type: 'mrkdwn', text: `*${slackEscape(k)}*\n${slackEscape(v)}` })),
            },
          ]
        : []),
      {
        type: 'actions',
        elements: c.buttons.map((b, i) => ({
          type: 'button',
          action_id: `somnet-${i}`,
          text: { type: 'plain_text', text: b.label },
          url: b.url,
        })),
      },
      ...(c.footer ? [{ type: 'context', elements: [{ type: 'plain_text', text: c.footer }] }] : []),
    ],
  };
}

export function teamsBody(message: ChannelMessage) {
  const c = cardOf(message);
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            {
              type: 'TextBlock',
              text: c.title,
              weight: 'Bolder',
              size: 'Medium',
              wrap: true,
              color: c.tone === 'bad' ? 'Attention' : c.tone === 'good' ? 'Good' : 'Default',
            },
            { type: 'TextBlock', text: c.text, wrap: true },
            ...(c.facts.length
              ? [{ type: 'FactSet', facts: c.facts.map(([title, value]) => ({ title, value })) }]
              : []),
            ...(c.footer ? [{ type: 'TextBlock', text: c.footer, wrap: true, size: 'Small', isSubtle: true }] : []),
          ],
          actions: c.buttons.map((b) => ({ type: 'Action.OpenUrl', title: b.label, url: b.url })),
        },
      },
    ],
  };
}

export function googleChatBody(message: ChannelMessage, cardId: string) {
  const c = cardOf(message);
  // Google Chat's textParagraph takes a little HTML: the text is escaped.
  const html = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return {
    text: `${c.title}: ${c.text}`,
    cardsV2: [
      {
        cardId,
        card: {
          header: { title: c.title.slice(0, 200), subtitle: 'SOMNET · Estado de la red' },
          sections: [
            {
              widgets: [
                { textParagraph: { text: html(c.text) } },
                ...c.facts.map(([k, v]) => ({ decoratedText: { topLabel: k, text: html(v), wrapText: true } })),
                {
                  buttonList: {
                    buttons: c.buttons.map((b) => ({ text: b.label, onClick: { openLink: { url: b.url } } })),
                  },
                },
                ...(c.footer ? [{ textParagraph: { text: `<font color="#59636e">${html(c.footer)}</font>` } }] : []),
              ],
            },
          ],
        },
      },
    ],
  };
}

export function discordBody(message: ChannelMessage) {
  const c = cardOf(message);
  return {
    // Nobody is pinged, whatever the text says (no @everyone from an incident title).
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: c.title.slice(0, 256),
        description: [c.text, ...c.buttons.map((b) => `[${b.label}](${b.url})`)].join('\n\n').slice(0, 4096),
        ...(c.buttons[0] ? { url: c.buttons[0].url } : {}),
        color: c.tone === 'bad' ? 0xcf222e : c.tone === 'good' ? 0x1a7f37 : 0x0550ae,
        fields: c.facts
          .slice(0, 25)
          .map(([name, value]) => ({ name: name.slice(0, 256), value: value.slice(0, 1024), inline: false })),
        ...(c.footer ? { footer: { text: c.footer.slice(0, 2048) } } : {}),
      },
    ],
  };
}

/**
 * What each provider's answer means. Gone: Slack 404 no_service / channel_not_found, 410
 * channel_is_archived, 403 action_prohibited; Teams 404 (the workflow was deleted or turned
 * off); Google Chat 404 NOT_FOUND and 403 PERMISSION_DENIED (the webhook was removed); Discord
 * 404 «Unknown Webhook» (10015) and 401 «Invalid Webhook Token». 429: Retry-After (Slack, Teams,
 * Google Chat), `retry_after` in seconds in Discord's body.
 */
const GONE: Record<Chat, (status: number) => boolean> = {
  slack: (s) => s === 404 || s === 410 || s === 403,
  teams: (s) => s === 404 || s === 410,
  google_chat: (s) => s === 404 || s === 403,
  discord: (s) => s === 404 || s === 401,
};
const NAMES: Record<Chat, string> = { slack: 'Slack', teams: 'Teams', google_chat: 'Google Chat', discord: 'Discord' };

export function chatProvider(channel: Chat, options: { allowPrivateTargets: boolean; timeoutMs?: number }): Provider {
  return {
    channel: channel as SubscriberChannel,
    async deliver(row, message): Promise<Verdict> {
      let url = row.recipient;
      let body: unknown;
      if (channel === 'slack') body = slackBody(message);
      else if (channel === 'teams') body = teamsBody(message);
      else if (channel === 'discord') body = discordBody(message);
      else {
        // Google Chat's messageId makes a resend of the same row idempotent (409 ALREADY_EXISTS).
        const messageId = `client-${row.dedupeKey.replace(/[^a-z0-9-]/gi, '-').toLowerCase()}`.slice(0, 63);
        const u = new URL(url);
        u.searchParams.set('messageId', messageId);
        u.searchParams.set('messageReplyOption', 'REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD');
        url = u.toString();
        body = googleChatBody(message, messageId);
      }
      const res = await postWebhook(
        url,
        JSON.stringify(body),
        { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'SOMNET-Estado/1.0' },
        {
          timeoutMs: options.timeoutMs ?? 30_000,
          allowPrivateTargets: options.allowPrivateTargets,
          readBody: true,
        },
      );
      if (!res.ok)
        return res.permanent ? { outcome: 'failed', error: res.error } : { outcome: 'retry', error: res.error };
      if (channel === 'google_chat' && res.status === 409) return { outcome: 'sent' };
      const parsed = parseJson(res.body ?? '');
      const hint = res.retryAfterMs ?? (channel === 'discord' ? secondsToMs(parsed.retry_after) : undefined);
      return byStatus(NAMES[channel], res.status, res.body ?? '', GONE[channel], hint);
    },
  };
}
