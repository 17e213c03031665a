// Without RESEND_API_KEY: each message becomes an .eml file under data/outbox/ (beside the
// database), so a newcomer can open exactly what would have been sent.
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '#db/client.ts';
import type { DeliveryResult, Transport } from '#db/outbox/worker.ts';
import { EMAIL_CHANNEL } from '#db/subscriptions/payload.ts';
import type { Config } from '../config.ts';
import { emailComposer, type OutgoingEmail } from './compose.ts';

/** RFC 2047 encoded-word for non-ASCII header text. */
function encodeHeader(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value).toString('base64')}?=`;
}

function encodeAddress(value: string): string {
  const m = /^(.*?)\s*<([^>]+)>$/.exec(value);
  return m && m[1] ? `${encodeHeader(m[1].replace(/^"|"$/g, ''))} <${m[2]}>` : value;
}

function base64Lines(content: string): string {
  return Buffer.from(content).toString('base64').replace(/.{76}/g, '$&\r\n');
}

/**
 * A complete RFC 5322 / MIME message: multipart/alternative (text, html), attachments mixed in.
 * A calendar travels as mail clients' own invitations do (RFC 6047 §2.4, iMIP): a
 * `text/calendar; method=PUBLISH` part as the last alternative, which Gmail, Outlook, Apple
 * Mail and Thunderbird turn into "add to calendar", and the same file attached as `.ics` for
 * the clients that only open attachments.
 */
export function toEml(m: OutgoingEmail, messageId: string, date: Date): string {
  const alt = `alt-${messageId}`;
  const mixed = `mix-${messageId}`;
  const headers = [
    `From: ${encodeAddress(m.from)}`,
    `To: ${m.to}`,
    ...(m.replyTo ? [`Reply-To: ${m.replyTo}`] : []),
    `Subject: ${encodeHeader(m.subject)}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${messageId}@somnet-estado.local>`,
    ...Object.entries(m.headers).map(([k, v]) => `${k}: ${v}`),
    'MIME-Version: 1.0',
  ];
  const part = (contentType: string, content: string, extra: string[] = []) => [
    contentType,
    ...extra,
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(content),
  ];
  const alternative = [
    `--${alt}`,
    ...part('Content-Type: text/plain; charset=utf-8', m.text),
    `--${alt}`,
    ...part('Content-Type: text/html; charset=utf-8', m.html),
    ...(m.calendar
      ? [
          `--${alt}`,
          ...part(`Content-Type: text/calendar; charset=utf-8; method=${m.calendar.method}`, m.calendar.content),
        ]
      : []),
    `--${alt}--`,
    '',
  ].join('\r\n');
  const attachments = [
    ...(m.calendar
      ? [{ filename: m.calendar.filename, content: m.calendar.content, contentType: 'application/ics' }]
      : []),
    ...(m.attachments ?? []),
  ];
  if (attachments.length === 0)
    return [...headers, `Content-Type: multipart/alternative; boundary="${alt}"`, '', alternative].join('\r\n');
  return [
    ...headers,
    `Content-Type: multipart/mixed; boundary="${mixed}"`,
    '',
    `--${mixed}`,
    `Content-Type: multipart/alternative; boundary="${alt}"`,
    '',
    alternative,
    ...attachments.flatMap((a) => [
      `--${mixed}`,
      ...part(`Content-Type: ${a.contentType}; name="${a.filename}"`, a.content, [
        `Content-Disposition: attachment; filename="${a.filename}"`,
      ]),
    ]),
    `--${mixed}--`,
    '',
  ].join('\r\n');
}

export function fileTransport(
  db: Db,
  config: Config,
  dir: string,
  log: (line: string) => void = console.log,
): Transport {
  return {
    channel: EMAIL_CHANNEL,
    batchSize: 100,
    forgetPayloadWhenSent: true,
    async send(batch) {
      // Messages hold subscribers' addresses: the folder and its files are the service's alone.
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700).catch(() => {});
      const compose = emailComposer(db, config);
      const results: DeliveryResult[] = [];
      for (const row of batch) {
        let eml: string;
        try {
          eml = toEml(compose(row), `outbox-${row.id}`, row.createdAt);
        } catch (err) {
          // The message itself cannot be built: retrying would fail the same way.
          results.push({ id: row.id, outcome: 'failed', error: (err as Error).message });
          continue;
        }
        const name = `${String(row.id).padStart(8, '0')}-${row.kind.replace(/[^a-z0-9.]+/gi, '-')}.eml`;
        // Named after the outbox row: a re-send after a crash overwrites, never duplicates.
        // Written beside it first and renamed, so the folder never shows a message cut short
        // (a full disk leaves the temporary file, removed here, not a truncated .eml).
        const partial = join(dir, `.${name}.partial`);
        try {
          await writeFile(partial, eml, { mode: 0o600 });
          await rename(partial, join(dir, name));
          results.push({ id: row.id, outcome: 'sent', providerMessageId: name });
        } catch (err) {
          await rm(partial, { force: true }).catch(() => {});
          // The disk, not the message: a full disk (ENOSPC), a quota, too many open files.
          // The outbox retries with its backoff, as it does for a provider that is down.
          const code = (err as NodeJS.ErrnoException).code ?? 'error';
          results.push({
            id: row.id,
            outcome: 'retry',
            error: `No se pudo escribir ${name} (${code}): ${(err as Error).message}`,
          });
        }
      }
      const retried = results.filter((r) => r.outcome === 'retry');
      if (retried.length)
        log(
          `Correo (sin RESEND_API_KEY): ${retried.length} mensaje(s) sin escribir en ${dir}; se reintentarán. ${(retried[0] as { error: string }).error}`,
        );
      const first = results.find((r) => r.outcome === 'sent');
      if (first)
        log(
          `Correo (sin RESEND_API_KEY): ${results.filter((r) => r.outcome === 'sent').length} mensaje(s) escritos en ${dir}, p. ej. ${(first as { providerMessageId: string }).providerMessageId} para ${batch[0].recipient}.`,
        );
      return results;
    },
  };
}
