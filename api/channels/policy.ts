// Which channels this server offers: email always, SMS, WhatsApp and Telegram when configured,
// the team chats listed in NOTIFY_CHAT_CHANNELS. A channel without configuration is not offered.
import type { ChannelPolicy } from '#db/commands/subscribers.ts';
import type { SubscriberChannel } from '#db/enums.ts';
import type { Config } from '../config.ts';
import { allowPrivateWebhookTargets } from '../workers/webhooks.ts';

export function offeredChannels(config: Config): SubscriberChannel[] {
  const c = config.channels;
  return [
    'email',
    ...(c?.sms ? (['sms'] as const) : []),
    ...(c?.whatsapp ? (['whatsapp'] as const) : []),
    ...(c?.telegram ? (['telegram'] as const) : []),
    ...(c?.chats ?? []),
  ];
}

export function channelPolicy(config: Config, env: Record<string, string | undefined> = process.env): ChannelPolicy {
  return { offered: offeredChannels(config), allowPrivateTargets: allowPrivateWebhookTargets(env) };
}
