// Delivers a mixed fan-out in its own process, so a test can kill it (SIGKILL, no cleanup) and
// start it again: email through a Resend stand-in, SMS, WhatsApp and Teams through theirs, one
// channel after the other as the server's workers would drain them.
// Usage: node drain-child.ts <database> <resend-url> <resend-key> <standin-base>
import { openDatabase } from '#db/client.ts';
import { drainOutbox, type Transport } from '#db/outbox/worker.ts';
import { resendTransport } from '../../../api/email/resend.ts';
import { channelTransport } from '../../../api/channels/transport.ts';
import { twilioProvider } from '../../../api/channels/sms.ts';
import { whatsappProvider } from '../../../api/channels/whatsapp.ts';
import { chatProvider } from '../../../api/channels/chats.ts';
import { STANDIN } from '../../support/channel-standins.ts';

const [databasePath, resendUrl, resendKey, base] = process.argv.slice(2);
const db = openDatabase(databasePath);
const publicUrl = 'https://estado.example.test';
const config = {
  port: 0,
  host: '127.0.0.1',
  databasePath,
  publicUrl,
  mailFrom: 'SOMNET Estado <estado@somnet.com.mx>',
};
const transports: Transport[] = [
  resendTransport(db, config, { apiKey: resendKey, baseUrl: resendUrl, requestsPerSecond: 0 }),
  ...[
    twilioProvider(
      { accountSid: STANDIN.twilioSid, authToken: STANDIN.twilioToken, from: '+527220000000', apiBase: base },
      publicUrl,
    ),
    whatsappProvider({
      token: STANDIN.whatsappToken,
      phoneNumberId: STANDIN.whatsappPhoneId,
      apiBase: `${base}/v23.0`,
    }),
    chatProvider('teams', { allowPrivateTargets: true }),
  ].map((p) => channelTransport(db, p, { publicUrl, log: () => {} })),
];
let total = 0;
for (const transport of transports)
  for (;;) {
    const handled = await drainOutbox(db, transport);
    if (handled === 0) break;
    total += handled;
  }
db.$client.close();
console.log(`drained ${total}`);
