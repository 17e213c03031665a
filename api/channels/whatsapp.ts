// WhatsApp through Meta's WhatsApp Business Cloud API: POST {base}/{phone-number-id}/messages with
// a Bearer token. Messages a business starts must be approved templates, so every notice is a
// template message (es_MX) chosen by the notice's tense (db/domain/noticeWording.ts), its text in
// body parameters, its links in URL buttons. The definitions to submit are here, printed by
// `npm run noc -- whatsapp plantillas`.
import type { Config } from '../config.ts';
import type { ChannelMessage } from './message.ts';
import { byStatus, callApi, parseJson, type Provider, type Verdict } from './transport.ts';
import type { NoticeMoment } from '#db/domain/noticeWording.ts';

export const WHATSAPP_LANGUAGE = 'es_MX';

const FOOTER = 'Responda BAJA para dejar de recibir estos avisos.';

/** Template per tense: the fixed words around the notice's title ({{1}}) and its sentence ({{2}}). */
const NOTICE_TEMPLATES: Record<NoticeMoment['tense'], { name: string; body: string; example: [string, string] }> = {
  present: {
    name: 'somnet_afectacion_actual',
    body: 'Aviso de SOMNET sobre el estado de su servicio: {{1}}.\n\n{{2}}\n\nLe avisaremos por este medio cuando cambie.',
    example: ['Corte de fibra en Metepec', 'Su servicio SOM-40110, Sucursal Centro se ve afectado.'],
  },
  monitoring: {
    name: 'somnet_en_monitoreo',
    body: 'Aviso de SOMNET: {{1}}.\n\n{{2}}\n\nSeguimos vigilando el servicio.',
    example: [
      'Corte de fibra en Metepec',
      'Afectó a Metepec · Fibra óptica; aplicamos una solución y lo mantenemos en monitoreo.',
    ],
  },
  past: {
    name: 'somnet_servicio_restablecido',
    body: 'Servicio restablecido. SOMNET informa: {{1}}.\n\n{{2}}\n\nGracias por su paciencia.',
    example: [
      'Corte de fibra en Metepec',
      'Su servicio SOM-40110 se vio afectado durante 1 h 20 min (de 00:48 a 02:08, hora del centro de México) y ya está restablecido.',
    ],
  },
  future: {
    name: 'somnet_mantenimiento_programado',
    body: 'SOMNET programó un mantenimiento: {{1}}.\n\n{{2}}\n\nPuede consultar el detalle y añadirlo a su calendario.',
    example: [
      'Cambio de tarjetas en el nodo Metepec',
      'Su servicio SOM-40110 se verá afectado la noche del viernes 11 al sábado 12 de diciembre, de 00:00 a 03:00 (hora del centro de México).',
    ],
  },
  withdrawn: {
    name: 'somnet_mantenimiento_cancelado',
    body: 'SOMNET canceló un mantenimiento: {{1}}.\n\n{{2}}',
    example: [
      'Cambio de tarjetas en el nodo Metepec',
      'Ya no se verá afectado: se canceló el mantenimiento previsto para la noche del viernes 11 al sábado 12 de diciembre.',
    ],
  },
};

/** Meta's authentication template: its text is Meta's own ("{{1}} es tu código de verificación."). */
export const CODE_TEMPLATE = 'somnet_codigo_verificacion';

/**
 * The template definitions as the Graph API's POST /{WABA-ID}/message_templates takes them, with
 * the buttons' URLs on this server's PUBLIC_URL: print, submit, wait for approval.
 */
export function whatsappTemplateDefinitions(publicUrl: string) {
  const notices = Object.values(NOTICE_TEMPLATES).map((t) => ({
    name: t.name,
    language: WHATSAPP_LANGUAGE,
    category: 'UTILITY',
    components: [
      { type: 'BODY', text: t.body, example: { body_text: [t.example] } },
      { type: 'FOOTER', text: FOOTER },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'URL', text: 'Ver detalle', url: `${publicUrl}/{{1}}`, example: [`${publicUrl}/incidentes/abc123`] },
          {
            type: 'URL',
            text: 'Dejar de recibir',
            url: `${publicUrl}/suscripcion/baja?token={{1}}`,
            example: [`${publicUrl}/suscripcion/baja?token=12.abc`],
          },
        ],
      },
    ],
  }));
  return [
    ...notices,
    {
      name: CODE_TEMPLATE,
      language: WHATSAPP_LANGUAGE,
      category: 'AUTHENTICATION',
      components: [
        { type: 'BODY', add_security_recommendation: true },
        { type: 'FOOTER', code_expiration_minutes: 10 },
        { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copiar código' }] },
      ],
    },
  ];
}

/** WhatsApp refuses newlines, tabs and runs of 5+ spaces inside a parameter, and caps its length. */
const param = (text: string, max = 900) => ({
  type: 'text',
  text: text
    .replace(/[\t\r\n]+/g, ' ')
    .replace(/ {4,}/g, '   ')
    .slice(0, max),
});

/** The `template` object of a message (what the Graph API's send takes). */
export function whatsappTemplate(message: ChannelMessage): Record<string, unknown> | null {
  if (message.kind === 'confirm') return null;
  if (message.kind === 'code')
    return {
      name: CODE_TEMPLATE,
      language: { code: WHATSAPP_LANGUAGE },
      components: [
        { type: 'body', parameters: [param(message.code)] },
        { type: 'button', sub_type: 'url', index: '0', parameters: [param(message.code)] },
      ],
    };
  const t = NOTICE_TEMPLATES[message.moment.tense];
  return {
    name: t.name,
    language: { code: WHATSAPP_LANGUAGE },
    components: [
      { type: 'body', parameters: [param(message.title, 200), param(message.summary)] },
      { type: 'button', sub_type: 'url', index: '0', parameters: [param(message.path)] },
      { type: 'button', sub_type: 'url', index: '1', parameters: [param(message.token)] },
    ],
  };
}

/**
 * Graph errors are { error: { message, type, code, error_subcode, error_data, fbtrace_id } }.
 * Gone: 131026 (not on WhatsApp, or blocked us), 131050 (stopped receiving our messages).
 * Later: 130429 (throughput), 131048 (spam rate limit), 131056 (pair rate limit), 80007 / 4
 * (rate limits), 131016 / 1 / 2 (service unavailable). The rest: the message is wrong.
 */
export const WHATSAPP_GONE = new Set([131026, 131050]);
const WHATSAPP_LATER = new Set([130429, 131048, 131056, 80007, 4, 131016, 1, 2, 133016]);

export function whatsappProvider(config: NonNullable<NonNullable<Config['channels']>['whatsapp']>): Provider {
  const url = `${config.apiBase}/${config.phoneNumberId}/messages`;
  return {
    channel: 'whatsapp',
    async deliver(row, message): Promise<Verdict> {
      const template = whatsappTemplate(message);
      if (!template) return { outcome: 'failed', error: 'WhatsApp no recibe tarjetas de confirmación.' };
      const res = await callApi(url, {
        headers: { authorization: `Bearer ${config.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          messaging_product: 'whatsapp',
          recipient_type: 'individual',
          to: row.recipient.replace(/^\+/, ''),
          type: 'template',
          template,
          // Comes back in the delivery-status webhooks: which outbox row a status is about.
          biz_opaque_callback_data: row.dedupeKey,
        }),
      });
      const body = parseJson(res.text);
      if (res.status === 200) {
        const messages = body.messages as Array<{ id: string }> | undefined;
        return { outcome: 'sent', providerMessageId: messages?.[0]?.id ?? null };
      }
      const error = (body.error ?? {}) as { code?: number; message?: string };
      const detail = `(#${error.code ?? '?'}) ${error.message ?? res.text}`;
      if (error.code !== undefined && WHATSAPP_GONE.has(error.code))
        return { outcome: 'gone', error: `WhatsApp ${res.status}: ${detail}` };
      if (error.code !== undefined && WHATSAPP_LATER.has(error.code))
        return { outcome: 'retry', error: `WhatsApp ${res.status}: ${detail}` };
      return byStatus('WhatsApp', res.status, detail, () => false);
    },
  };
}
