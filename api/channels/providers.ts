// The provider of each configured channel (email has its own worker, api/workers/email.ts).
import type { Config } from '../config.ts';
import { allowPrivateWebhookTargets } from '../workers/webhooks.ts';
import { chatProvider } from './chats.ts';
import { twilioProvider } from './sms.ts';
import { telegramProvider } from './telegram.ts';
import type { Provider } from './transport.ts';
import { whatsappProvider } from './whatsapp.ts';

export function providersFor(config: Config, env: Record<string, string | undefined> = process.env): Provider[] {
  const c = config.channels;
  if (!c) return [];
  const allowPrivateTargets = allowPrivateWebhookTargets(env);
  return [
    ...(c.sms ? [twilioProvider(c.sms, config.publicUrl)] : []),
    ...(c.whatsapp ? [whatsappProvider(c.whatsapp)] : []),
    ...(c.telegram ? [telegramProvider(c.telegram)] : []),
    ...c.chats.map((chat) => chatProvider(chat, { allowPrivateTargets })),
  ];
}
