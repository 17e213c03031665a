// Runs the email delivery in its own process, so a test can kill it mid-delivery (SIGKILL, no
// cleanup) and start it again. Usage: node drain-child.ts <database> <resend-url> <api-key>
import { openDatabase } from '#db/client.ts';
import { drainOutbox } from '#db/outbox/worker.ts';
import { resendTransport } from '../../../api/email/resend.ts';

const [databasePath, baseUrl, apiKey] = process.argv.slice(2);
const db = openDatabase(databasePath);
const config = {
  port: 0,
  host: '127.0.0.1',
  databasePath,
  publicUrl: 'https://estado.example.test',
  mailFrom: 'SOMNET Estado <estado@somnet.com.mx>',
};
const transport = resendTransport(db, config, { apiKey, baseUrl, requestsPerSecond: 0 });
let total = 0;
for (;;) {
  const handled = await drainOutbox(db, transport);
  if (handled === 0) break;
  total += handled;
}
db.$client.close();
console.log(`drained ${total}`);
