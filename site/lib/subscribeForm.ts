// /suscribirse: the sign-up on every offered channel, decided here (the page renders). Email
// confirms by link, a phone (SMS, WhatsApp) by the 6-digit code typed back on this page, a team
// chat by the card posted into it; Telegram is a deep link to the bot, one per zone.
import type { Db } from '#db/client.ts';
import { CommandError } from '#db/commands/errors.ts';
import { confirmCode, requestSubscription, type ChannelPolicy } from '#db/commands/subscribers.ts';
import { clip, LIMITS } from '#db/commands/input.ts';
import { componentCatalogue, type Catalogue } from '#db/queries/index.ts';
import { CHANNELS, isSubscriberChannel, type SubscriberChannel } from '#db/subscriptions/channels.ts';
import { readChoices } from './subscriptionForm.ts';

export interface SubscribeRequest {
  db: Db;
  now: Date;
  clientAddress: string;
  channels: ChannelPolicy & { telegramBot?: string };
}

/** The form's address fields, by how a channel is reached. */
const FIELD = { email: 'email', phone: 'telefono', chat: 'webhook', telegram: 'webhook' } as const;

export interface SubscribeView {
  catalogue: Catalogue;
  /** What the page shows: the form, the code to type, or what happens next. */
  step: 'form' | 'code' | 'link' | 'card' | 'confirmed';
  values: {
    canal: SubscriberChannel;
    email: string;
    telefono: string;
    webhook: string;
    cliente: string;
    servicio: string;
    selected: string[];
  };
  /** The address as stored (E.164 for a phone), for the next step. */
  address?: string;
  errors: Record<string, string>;
  message: string | null;
  /** Channels offered by the form (Telegram is a link, not a form). */
  formChannels: Array<{ channel: SubscriberChannel; label: string }>;
  /** Deep links to the bot: every zone, and the whole network. */
  telegram: Array<{ label: string; url: string }> | null;
  status: number;
}

/** https://t.me/<bot>?start=<zona>: the bot's /start receives the zone (letters, digits, _ and -, up to 64). */
export function telegramLink(bot: string, start: string): string {
  return `https://t.me/${bot}?start=${encodeURIComponent(start.slice(0, 64))}`;
}

export function telegramLinks(bot: string | undefined, catalogue: Catalogue): SubscribeView['telegram'] {
  if (!bot) return null;
  return [
    { label: 'Toda la red', url: telegramLink(bot, 'todas') },
    ...catalogue.groups.map((g) => ({ label: g.name, url: telegramLink(bot, g.slug) })),
  ];
}

const field = (form: FormData, name: string, max: number) => clip(form.get(name), max);

export async function subscribePage(req: SubscribeRequest, url: URL, form: FormData | null): Promise<SubscribeView> {
  const catalogue = componentCatalogue(req.db);
  const offered = req.channels.offered;
  const view: SubscribeView = {
    catalogue,
    step: 'form',
    values: {
      canal: 'email',
      email: '',
      telefono: '',
      webhook: '',
      cliente: '',
      // A link from «¿Me afecta?» (/suscribirse?id_servicio=SOM-12345) fills in the service.
      servicio: clip(url.searchParams.get('id_servicio'), LIMITS.serviceId),
      selected: [],
    },
    errors: {},
    message: null,
    formChannels: offered
      .filter((c) => c !== 'telegram')
      .map((channel) => ({ channel, label: CHANNELS[channel].label })),
    telegram: offered.includes('telegram') ? telegramLinks(req.channels.telegramBot, catalogue) : null,
    status: 200,
  };
  if (!form) return view;
  const canal = String(form.get('canal') ?? 'email');
  const choices = readChoices(form);
  view.values = {
    canal: isSubscriberChannel(canal) ? canal : 'email',
    email: field(form, 'email', LIMITS.email),
    telefono: field(form, 'telefono', LIMITS.address),
    webhook: field(form, 'webhook', LIMITS.address),
    cliente: field(form, 'cliente', LIMITS.customerId),
    servicio: field(form, 'id_servicio', LIMITS.serviceId),
    selected: choices.components.map((slug) => catalogue.all.find((c) => c.slug === slug)?.id ?? '').filter(Boolean),
  };
  const kind = CHANNELS[view.values.canal].kind;
  const addressField = FIELD[kind];
  const typed = view.values[addressField];
  const ctx = { now: req.now, actor: { kind: 'user' as const, name: 'público' } };
  try {
    if (form.get('accion') === 'verificar') {
      view.address = String(form.get('direccion') ?? '');
      view.step = 'code';
      confirmCode(
        req.db,
        { channel: view.values.canal, address: view.address, code: field(form, 'codigo', 20), policy: req.channels },
        ctx,
      );
      view.step = 'confirmed';
      return view;
    }
    const services = view.values.servicio.trim() ? [view.values.servicio] : [];
    const { address, step } = requestSubscription(
      req.db,
      {
        ...(view.values.canal === 'email' ? { email: typed } : { channel: view.values.canal, address: typed }),
        components: choices.components,
        customerId: choices.customerId,
        services,
        ip: req.clientAddress,
        policy: req.channels,
      },
      ctx,
    );
    view.address = address;
    view.step = step;
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    view.status = err.status;
    view.message = err.message;
    for (const f of err.fields ?? []) {
      const key = f.path.startsWith('components')
        ? 'componentes'
        : f.path === 'customer_id'
          ? 'cliente'
          : f.path.startsWith('services')
            ? 'servicio'
            : f.path === 'address' || f.path === 'email'
              ? addressField
              : f.path === 'code'
                ? 'codigo'
                : f.path === 'channel'
                  ? 'canal'
                  : f.path;
      view.errors[key] ??= f.message;
    }
  }
  return view;
}
