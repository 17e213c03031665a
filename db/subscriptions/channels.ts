// The channels a subscriber can be told on, and the form of an address on each: the one rule the
// API, the sign-up form, the import and the webhooks of SMS, WhatsApp and Telegram all use.
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { subscriberChannels, type SubscriberChannel } from '../enums.ts';
import { webhookUrlProblem } from '../domain/webhookTargets.ts';
import { normalizeEmail } from './tokens.ts';

export { subscriberChannels, type SubscriberChannel };

/** How a channel confirms that whoever signs up can read it. */
export type ChannelKind = 'email' | 'phone' | 'telegram' | 'chat';

export interface ChannelInfo {
  kind: ChannelKind;
  /** As the sign-up form offers it. */
  label: string;
  /** For counts: «1,240 correos, 312 WhatsApp, 45 SMS y 12 canales de Teams». */
  one: string;
  many: string;
  /** The provider charges per message (SMS, WhatsApp): large fan-outs ask for one more confirmation. */
  paid: boolean;
  /** Where the address is, in the footer's «Recibe este aviso porque …» */
  where: string;
}

export const CHANNELS: Record<SubscriberChannel, ChannelInfo> = {
  email: {
    kind: 'email',
    label: 'Correo electrónico',
    one: 'correo',
    many: 'correos',
    paid: false,
    where: 'esta dirección',
  },
  sms: { kind: 'phone', label: 'SMS', one: 'SMS', many: 'SMS', paid: true, where: 'este número' },
  whatsapp: { kind: 'phone', label: 'WhatsApp', one: 'WhatsApp', many: 'WhatsApp', paid: true, where: 'este número' },
  telegram: {
    kind: 'telegram',
    label: 'Telegram',
    one: 'chat de Telegram',
    many: 'chats de Telegram',
    paid: false,
    where: 'este chat',
  },
  slack: {
    kind: 'chat',
    label: 'Slack',
    one: 'canal de Slack',
    many: 'canales de Slack',
    paid: false,
    where: 'este canal',
  },
  teams: {
    kind: 'chat',
    label: 'Microsoft Teams',
    one: 'canal de Teams',
    many: 'canales de Teams',
    paid: false,
    where: 'este canal',
  },
  google_chat: {
    kind: 'chat',
    label: 'Google Chat',
    one: 'espacio de Google Chat',
    many: 'espacios de Google Chat',
    paid: false,
    where: 'este espacio',
  },
  discord: {
    kind: 'chat',
    label: 'Discord',
    one: 'canal de Discord',
    many: 'canales de Discord',
    paid: false,
    where: 'este canal',
  },
};

export const PAID_CHANNELS = subscriberChannels.filter((c) => CHANNELS[c].paid);

export function isSubscriberChannel(value: unknown): value is SubscriberChannel {
  return typeof value === 'string' && (subscriberChannels as readonly string[]).includes(value);
}

/**
 * A phone number in E.164 («722 167 5865» → +527221675865): numbers without a country code are
 * Mexican. The long-gone Mexican prefixes people still type (044/045 for mobiles, 01 for long
 * distance, +52 1 for mobiles) are dropped first. Null when it is not a valid number.
 */
export function normalizePhone(raw: string): string | null {
  let value = raw.trim().replace(/[\s().-]/g, '');
  if (!/^\+?\d{7,16}$/.test(value)) return null;
  if (!value.startsWith('+')) {
    if (/^04[45]\d{10}$/.test(value)) value = value.slice(3);
    else if (/^01\d{10}$/.test(value)) value = value.slice(2);
    else if (/^52\d{10}$/.test(value)) value = `+${value}`;
  }
  if (/^\+521\d{10}$/.test(value)) value = `+52${value.slice(4)}`;
  const parsed = parsePhoneNumberFromString(value, 'MX');
  return parsed && parsed.isValid() ? parsed.number : null;
}

/**
 * The incoming-webhook hosts of each team chat. A URL elsewhere is refused at sign-up, so the
 * server posts only to those providers (unless WEBHOOK_ALLOW_PRIVATE_TARGETS=1, for a local stand-in).
 * Teams: the Workflows app's "When a Teams webhook request is received" trigger (Power Automate,
 * *.logic.azure.com or *.api.powerplatform.com); the Office 365 connectors are retired.
 */
const CHAT_HOSTS: Record<'slack' | 'teams' | 'google_chat' | 'discord', (host: string, url: URL) => boolean> = {
  slack: (h, u) => h === 'hooks.slack.com' && u.pathname.startsWith('/services/'),
  teams: (h) => h.endsWith('.logic.azure.com') || h.endsWith('.api.powerplatform.com'),
  google_chat: (h, u) => h === 'chat.googleapis.com' && /^\/v1\/spaces\/[^/]+\/messages$/.test(u.pathname),
  discord: (h, u) =>
    ['discord.com', 'discordapp.com', 'ptb.discord.com', 'canary.discord.com'].includes(h) &&
    /^\/api\/(v\d+\/)?webhooks\/\d+\/[\w-]+$/.test(u.pathname),
};

const CHAT_EXAMPLES: Record<keyof typeof CHAT_HOSTS, string> = {
  slack: 'https://hooks.slack.com/services/T…/B…/…',
  teams: 'la URL del flujo «Cuando se recibe una solicitud de webhook de Teams» (…logic.azure.com/workflows/…)',
  google_chat: 'https://chat.googleapis.com/v1/spaces/…/messages?key=…&token=…',
  discord: 'https://discord.com/api/webhooks/…/…',
};

export interface AddressPolicy {
  /** WEBHOOK_ALLOW_PRIVATE_TARGETS=1: any http(s) URL (a local stand-in in tests). */
  allowPrivateTargets: boolean;
}

export type AddressCheck = { ok: true; address: string } | { ok: false; message: string };

/** The address in its stored form for that channel, or the Spanish reason it is not one. */
export function normalizeAddress(channel: SubscriberChannel, raw: string, policy: AddressPolicy): AddressCheck {
  const value = raw.trim();
  switch (CHANNELS[channel].kind) {
    case 'email': {
      const email = normalizeEmail(value);
      return email
        ? { ok: true, address: email }
        : { ok: false, message: 'Escriba una dirección de correo válida, p. ej. noc@empresa.com.mx.' };
    }
    case 'phone': {
      const phone = normalizePhone(value);
      return phone
        ? { ok: true, address: phone }
        : {
            ok: false,
            message:
              'Escriba un número de teléfono válido de 10 dígitos, p. ej. 722 167 5865, o con su código de país (+1 …).',
          };
    }
    case 'telegram':
      // A private chat's id is the user's id (positive); groups and channels are negative.
      return /^-?\d{1,20}$/.test(value)
        ? { ok: true, address: value }
        : { ok: false, message: 'El chat de Telegram se indica con su número (chat_id), p. ej. 123456789.' };
    case 'chat': {
      const kind = channel as keyof typeof CHAT_HOSTS;
      const problem = webhookUrlProblem(value, policy);
      if (problem) return { ok: false, message: problem };
      const url = new URL(value);
      if (
        !policy.allowPrivateTargets &&
        (url.protocol !== 'https:' || !CHAT_HOSTS[kind](url.hostname.toLowerCase(), url))
      )
        return {
          ok: false,
          message: `No es una URL de webhook de ${CHANNELS[channel].label}; cópiela de su configuración: ${CHAT_EXAMPLES[kind]}.`,
        };
      return { ok: true, address: url.toString() };
    }
  }
}

/** An address as the NOC sees it in lists: a chat webhook's secret path is not shown whole. */
export function maskedAddress(channel: SubscriberChannel, address: string): string {
  if (CHANNELS[channel].kind !== 'chat') return address;
  try {
    const url = new URL(address);
    return `${url.host}${url.pathname.slice(0, 24)}…`;
  } catch {
    return '…';
  }
}

/** «1,240 correos, 312 WhatsApp, 45 SMS y 12 canales de Teams»: most first, channels with none left out. */
export function channelCountsPhrase(counts: ReadonlyArray<{ channel: SubscriberChannel; count: number }>): string {
  const n = new Intl.NumberFormat('es-MX');
  const parts = counts
    .filter((c) => c.count > 0)
    .map((c, i) => ({ ...c, i }))
    .sort((a, b) => b.count - a.count || a.i - b.i)
    .map((c) => `${n.format(c.count)} ${c.count === 1 ? CHANNELS[c.channel].one : CHANNELS[c.channel].many}`);
  if (parts.length === 0) return 'nadie';
  return parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} y ${parts[parts.length - 1]}`;
}
