// SMS through Twilio's Messages API (POST /2010-04-01/Accounts/{Sid}/Messages.json, form-encoded
// To, From, Body, HTTP Basic with the Account SID and Auth Token). Texts are written for the
// segment limits: one character outside GSM-7 (á, í, ó, ú…) makes the whole message UCS-2, 70
// characters a segment (67 when concatenated) instead of 160 (153); a notice is kept to at most
// 2 segments, the status link always in it.
import type { Config } from '../config.ts';
import type { ChannelMessage } from './message.ts';
import { byStatus, callApi, parseJson, secondsToMs, type Provider, type Verdict } from './transport.ts';

/** GSM 03.38 basic set (one septet each) and its extension table (two septets each: ESC + char). */
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM_EXTENDED = new Set('^{}\\[~]|€\f');

/** Segments and encoding of a text as an SMS (3GPP TS 23.038 / 23.040). */
export function smsSegments(text: string): { encoding: 'GSM-7' | 'UCS-2'; units: number; segments: number } {
  let septets = 0;
  let gsm = true;
  for (const ch of text) {
    if (GSM_BASIC.has(ch)) septets += 1;
    else if (GSM_EXTENDED.has(ch)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm) return { encoding: 'GSM-7', units: septets, segments: septets <= 160 ? 1 : Math.ceil(septets / 153) };
  // UTF-16 code units: an emoji takes two.
  const units = text.length;
  return { encoding: 'UCS-2', units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}

/** Spanish accents GSM-7 lacks, folded (é, ñ, ü, ¿ and ¡ are GSM-7 and stay). */
export function foldToGsm(text: string): string {
  const map: Record<string, string> = {
    á: 'a',
    í: 'i',
    ó: 'o',
    ú: 'u',
    Á: 'A',
    Í: 'I',
    Ó: 'O',
    Ú: 'U',
    '…': '...',
    '–': '-',
    '—': '-',
    '«': '"',
    '»': '"',
    '·': '-',
    º: 'o',
    '“': '"',
    '”': '"',
    '‘': "'",
    '’': "'",
  };
  return [...text]
    .map(
      (ch) =>
        map[ch] ??
        (GSM_BASIC.has(ch) || GSM_EXTENDED.has(ch) ? ch : ch.normalize('NFD').replace(/[\u0300-\u036f]/g, '')),
    )
    .join('');
}

export const MAX_SMS_SEGMENTS = 2;

/**
 * The SMS of a message, within MAX_SMS_SEGMENTS: as written if it fits; else with the accents
 * GSM-7 lacks folded (twice the room); else the summary, then the title, shortened. The link
 * and the way to leave («Responda BAJA») are never cut.
 */
export function smsText(message: ChannelMessage): string {
  if (message.kind === 'code')
    return `SOMNET: su código de verificación es ${message.code}. Vence en 10 minutos. Si no lo pidió, ignore este mensaje.`;
  if (message.kind === 'confirm') return `SOMNET: confirme sus avisos de estado en ${message.confirmUrl}`;
  const tail = ` ${message.url} Baja: responda BAJA`;
  const fits = (t: string) => smsSegments(t).segments <= MAX_SMS_SEGMENTS;
  const compose = (title: string, summary: string) => `SOMNET: ${title}. ${summary}${tail}`;
  let text = compose(message.title, message.summary);
  if (fits(text)) return text;
  text = foldToGsm(text);
  if (fits(text)) return text;
  let title = foldToGsm(message.title);
  let summary = foldToGsm(message.summary);
  while (!fits(compose(title, summary)) && summary.length > 40)
    summary = `${summary.slice(0, summary.length - 10).trimEnd()}...`;
  while (!fits(compose(title, summary)) && title.length > 20)
    title = `${title.slice(0, title.length - 10).trimEnd()}...`;
  return compose(title, summary);
}

/**
 * Twilio answers errors as { code, message, more_info, status }. These codes mean the number
 * cannot get SMS: 21610 (it replied STOP to the carrier), 21211 (not a valid number), 21614
 * (not a mobile number), 21612 (cannot be routed), 21408 (region not enabled… for this number).
 */
const GONE_CODES = new Set([21610, 21211, 21614, 21612]);

export function twilioProvider(
  config: NonNullable<NonNullable<Config['channels']>['sms']>,
  publicUrl: string,
): Provider {
  const auth = `Basic ${Buffer.from(`${config.accountSid}:${config.authToken}`).toString('base64')}`;
  const url = `${config.apiBase}/2010-04-01/Accounts/${config.accountSid}/Messages.json`;
  return {
    channel: 'sms',
    // Twilio takes no idempotency key: after a crash, a message in flight is looked up among
    // those sent to the number since it was queued (GET Messages.json?To=&DateSent>=), by its text.
    async reconcile(row, message) {
      const since = row.createdAt.toISOString().slice(0, 10);
      const query = new URLSearchParams({ To: row.recipient, 'DateSent>': since, PageSize: '100' });
      const res = await callApi(`${url}?${query}`, { method: 'GET', headers: { authorization: auth } });
      if (res.status !== 200) throw new Error(`Twilio ${res.status} al consultar los mensajes enviados.`);
      const list = (parseJson(res.text).messages ?? []) as Array<{ body?: string; to?: string }>;
      const text = smsText(message);
      return list.some((m) => m.to === row.recipient && m.body === text) ? 'sent' : 'unsent';
    },
    async deliver(row, message): Promise<Verdict> {
      const form = new URLSearchParams({
        To: row.recipient,
        [config.from.startsWith('MG') ? 'MessagingServiceSid' : 'From']: config.from,
        Body: smsText(message),
        // Delivery receipts (a number that became unreachable) come back to our webhook.
        StatusCallback: `${publicUrl}/api/sms/webhook`,
      });
      const res = await callApi(url, {
        headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
      const body = parseJson(res.text);
      if (res.status === 201 || res.status === 200)
        return { outcome: 'sent', providerMessageId: String(body.sid ?? '') || null };
      const code = Number(body.code);
      const detail = `${code || ''} ${String(body.message ?? res.text)}`.trim();
      if (res.status === 400 && GONE_CODES.has(code))
        return { outcome: 'gone', error: `Twilio ${res.status}: ${detail}` };
      return byStatus('Twilio', res.status, detail, () => false, secondsToMs(res.headers.get('retry-after')));
    },
  };
}
