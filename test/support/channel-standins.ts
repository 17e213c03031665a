// Local stand-ins for the notice channels' providers, each a real HTTP server path speaking that
// provider's request shape, authentication and error answers (as documented by each):
// - Twilio Messages: POST /2010-04-01/Accounts/{Sid}/Messages.json, form-encoded, HTTP Basic;
//   201 {sid, status:"queued", num_segments}; 400 {code:21211|21610}; 429 {code:20429}; 401 {code:20003}.
// - WhatsApp Cloud API: POST /v23.0/{phone-number-id}/messages, Bearer; 200 {messages:[{id}]};
//   400 {error:{code:131026}}; 429 {error:{code:130429}}; 401 {error:{code:190}}; only known templates.
// - Telegram Bot API: POST /bot{token}/sendMessage; {ok:true,result}; 403 blocked; 429
//   {parameters:{retry_after}}; 401 wrong token; refuses HTML a parse_mode=HTML message cannot parse.
// - Slack incoming webhook: POST /services/T/B/X; 200 "ok"; 404 "no_service"; 429 + Retry-After; 400 invalid_blocks.
// - Teams Workflows: POST /workflows/{id}/triggers/manual/paths/invoke?sig=…; 202; 404 WorkflowNotFound;
//   401 without a valid sig; 400 unless an Adaptive Card attachment.
// - Google Chat: POST /v1/spaces/{space}/messages?key=&token=; 200 {name}; 409 ALREADY_EXISTS for a
//   known messageId; 404 NOT_FOUND; 429 RESOURCE_EXHAUSTED.
// - Discord: POST /api/webhooks/{id}/{token}; 204; 404 {code:10015}; 429 {retry_after} + Retry-After.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export type ProviderName = 'twilio' | 'whatsapp' | 'telegram' | 'slack' | 'teams' | 'google_chat' | 'discord';

export interface Received {
  provider: ProviderName;
  /** Phone number, chat id or webhook path. */
  to: string;
  /** The request body as the provider parsed it (JSON, or the form's fields). */
  body: Record<string, unknown>;
  id: string;
}

export const STANDIN = {
  twilioSid: `AC${'0123456789abcdef'.repeat(2)}`,
  twilioToken: 'twilio-auth-token',
  whatsappToken: 'whatsapp-token',
  whatsappPhoneId: '1098765432',
  telegramToken: '123456:ABCdefGHIjklMNOpqrSTUvwx',
};

const WHATSAPP_TEMPLATES: Record<string, { body: number; buttons: number }> = {
  somnet_afectacion_actual: { body: 2, buttons: 2 },
  somnet_en_monitoreo: { body: 2, buttons: 2 },
  somnet_servicio_restablecido: { body: 2, buttons: 2 },
  somnet_mantenimiento_programado: { body: 2, buttons: 2 },
  somnet_mantenimiento_cancelado: { body: 2, buttons: 2 },
  somnet_codigo_verificacion: { body: 1, buttons: 1 },
};

/** Telegram's HTML mode knows these tags; any other `<` must be &lt;. */
function telegramHtmlProblem(text: string): string | null {
  const tags = text.match(/<\/?([a-z-]+)(\s[^>]*)?>/gi) ?? [];
  for (const t of tags) if (!/^<\/?(b|strong|i|em|u|s|a|code|pre|blockquote|tg-spoiler)(\s[^>]*)?>$/i.test(t)) return t;
  const stripped = text.replace(/<\/?([a-z-]+)(\s[^>]*)?>/gi, '');
  if (/[<>]/.test(stripped)) return 'unescaped < or >';
  if (/&(?!(amp|lt|gt|quot);)/.test(stripped)) return 'unescaped &';
  return null;
}

export async function startChannelStandins() {
  const received: Received[] = [];
  const scripted = new Map<ProviderName, Array<{ status: number; retryAfter?: number; code?: number }>>();
  const gone = new Set<string>();
  const googleIds = new Set<string>();
  let delayMs = 0;
  const answerDelay = new Map<ProviderName, number>();
  let current: ProviderName | null = null;
  let onRequest: ((provider: ProviderName) => void) | undefined;
  const stats = { requests: 0, refused: 0 };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    // A provider that took the message but has not answered yet (a client killed meanwhile never hears back).
    const wait = current ? (answerDelay.get(current) ?? 0) : 0;
    if (wait > 0) {
      setTimeout(() => reply(res, status, body, headers), wait);
      return;
    }
    reply(res, status, body, headers);
  };
  const reply = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (res.destroyed) return;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
      ...headers,
    });
    res.end(status === 204 ? undefined : text);
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://standin');
    current = null;
    stats.requests++;
    const route =
      /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(url.pathname) && ('twilio' as const)
        ? 'twilio'
        : /^\/v\d+\.\d+\/\d+\/messages$/.test(url.pathname)
          ? 'whatsapp'
          : /^\/bot[^/]+\/sendMessage$/.test(url.pathname)
            ? 'telegram'
            : url.pathname.startsWith('/services/')
              ? 'slack'
              : url.pathname.startsWith('/workflows/')
                ? 'teams'
                : url.pathname.startsWith('/v1/spaces/')
                  ? 'google_chat'
                  : url.pathname.startsWith('/api/webhooks/')
                    ? 'discord'
                    : null;
    // Twilio's message list (GET Messages.json?To=…&DateSent>=…): what was sent to a number.
    if (route === 'twilio' && req.method === 'GET') {
      const expected = `Basic ${Buffer.from(`${STANDIN.twilioSid}:${STANDIN.twilioToken}`).toString('base64')}`;
      if (req.headers.authorization !== expected)
        return send(res, 401, { code: 20003, message: 'Authenticate', status: 401 });
      const to = url.searchParams.get('To');
      const messages = received
        .filter((r) => r.provider === 'twilio' && (!to || r.to === to))
        .map((r) => ({ sid: r.id, to: r.to, from: r.body.From, body: r.body.Body, status: 'delivered' }));
      return send(res, 200, { messages, page: 0, page_size: 100 });
    }
    if (!route || req.method !== 'POST') return send(res, 404, { error: 'not found' });
    const provider = route as ProviderName;
    current = provider;
    onRequest?.(provider);
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    const next = scripted.get(provider)?.shift();
    const refuse = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      stats.refused++;
      return send(res, status, body, headers);
    };
    const accept = (to: string, body: Record<string, unknown>) => {
      const id = randomUUID();
      received.push({ provider, to, body, id });
      return id;
    };

    switch (provider) {
      case 'twilio': {
        const [, sid] = /^\/2010-04-01\/Accounts\/([^/]+)\//.exec(url.pathname)!;
        const expected = `Basic ${Buffer.from(`${STANDIN.twilioSid}:${STANDIN.twilioToken}`).toString('base64')}`;
        if (sid !== STANDIN.twilioSid || req.headers.authorization !== expected)
          return refuse(401, {
            code: 20003,
            message: 'Authenticate',
            more_info: 'https://www.twilio.com/docs/errors/20003',
            status: 401,
          });
        if (!/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? ''))
          return refuse(400, { code: 20001, message: 'Content-Type must be form-encoded', status: 400 });
        const form = Object.fromEntries(new URLSearchParams(raw));
        if (next)
          return refuse(
            next.status,
            {
              code: next.code ?? (next.status === 429 ? 20429 : 20500),
              message: next.status === 429 ? 'Too Many Requests' : 'Internal Server Error',
              status: next.status,
            },
            next.retryAfter !== undefined ? { 'retry-after': String(next.retryAfter) } : {},
          );
        if (!form.To || !/^\+\d{8,15}$/.test(form.To))
          return refuse(400, {
            code: 21211,
            message: `The 'To' number ${form.To} is not a valid phone number.`,
            status: 400,
          });
        if (!form.Body) return refuse(400, { code: 21602, message: 'Message body is required.', status: 400 });
        if (!form.From && !form.MessagingServiceSid)
          return refuse(400, { code: 21603, message: "A 'From' phone number is required.", status: 400 });
        if (gone.has(form.To))
          return refuse(400, { code: 21610, message: 'Attempt to send to unsubscribed recipient', status: 400 });
        const sidOut = `SM${randomUUID().replace(/-/g, '')}`;
        accept(form.To, form);
        return send(res, 201, { sid: sidOut, status: 'queued', to: form.To, body: form.Body, num_segments: '1' });
      }
      case 'whatsapp': {
        if (req.headers.authorization !== `Bearer ${STANDIN.whatsappToken}`)
          return refuse(401, {
            error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190, fbtrace_id: 'x' },
          });
        if (!url.pathname.includes(`/${STANDIN.whatsappPhoneId}/`))
          return refuse(400, {
            error: { message: 'Unsupported post request.', type: 'GraphMethodException', code: 100 },
          });
        const body = JSON.parse(raw) as Record<string, any>;
        if (next)
          return refuse(next.status, {
            error: {
              message: '(#130429) Rate limit hit',
              type: 'OAuthException',
              code: next.code ?? 130429,
              error_data: { messaging_product: 'whatsapp', details: 'Cloud API message throughput has been reached.' },
            },
          });
        const t = body.template;
        const known = t && WHATSAPP_TEMPLATES[t.name];
        if (body.messaging_product !== 'whatsapp' || body.type !== 'template' || !known || t.language?.code !== 'es_MX')
          return refuse(400, {
            error: {
              message: '(#132001) Template name does not exist in the translation',
              type: 'OAuthException',
              code: 132001,
            },
          });
        const bodyParams = t.components?.find((c: any) => c.type === 'body')?.parameters ?? [];
        const buttons = t.components?.filter((c: any) => c.type === 'button') ?? [];
        if (bodyParams.length !== known.body || buttons.length !== known.buttons)
          return refuse(400, {
            error: {
              message: '(#132000) Number of parameters does not match the expected number of params',
              type: 'OAuthException',
              code: 132000,
            },
          });
        for (const p of [...bodyParams, ...buttons.flatMap((b: any) => b.parameters)])
          if (typeof p.text !== 'string' || /[\n\t]| {5,}/.test(p.text))
            return refuse(400, {
              error: { message: '(#131009) Parameter value is not valid', type: 'OAuthException', code: 131009 },
            });
        if (gone.has(`+${body.to}`))
          return refuse(400, {
            error: { message: '(#131026) Message undeliverable', type: 'OAuthException', code: 131026 },
          });
        const id = accept(`+${body.to}`, body);
        return send(res, 200, {
          messaging_product: 'whatsapp',
          contacts: [{ input: body.to, wa_id: body.to }],
          messages: [{ id: `wamid.${id}`, message_status: 'accepted' }],
        });
      }
      case 'telegram': {
        if (url.pathname !== `/bot${STANDIN.telegramToken}/sendMessage`)
          return refuse(401, { ok: false, error_code: 401, description: 'Unauthorized' });
        const body = JSON.parse(raw) as Record<string, any>;
        if (next)
          return refuse(429, {
            ok: false,
            error_code: 429,
            description: `Too Many Requests: retry after ${next.retryAfter ?? 1}`,
            parameters: { retry_after: next.retryAfter ?? 1 },
          });
        if (body.parse_mode !== 'HTML')
          return refuse(400, { ok: false, error_code: 400, description: 'Bad Request: expected HTML' });
        const problem = telegramHtmlProblem(String(body.text ?? ''));
        if (problem)
          return refuse(400, {
            ok: false,
            error_code: 400,
            description: `Bad Request: can't parse entities: ${problem}`,
          });
        if (gone.has(String(body.chat_id)))
          return refuse(403, { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' });
        accept(String(body.chat_id), body);
        return send(res, 200, {
          ok: true,
          result: { message_id: received.length, chat: { id: Number(body.chat_id) }, text: body.text },
        });
      }
      case 'slack': {
        const body = JSON.parse(raw) as Record<string, any>;
        if (next) return refuse(429, 'rate_limited', { 'retry-after': String(next.retryAfter ?? 1) });
        if (gone.has(url.pathname)) return refuse(404, 'no_service');
        if (
          !body.text ||
          !Array.isArray(body.blocks) ||
          body.blocks.some((b: any) => b.type === 'header' && b.text?.text?.length > 150)
        )
          return refuse(400, 'invalid_blocks');
        accept(url.pathname, body);
        return send(res, 200, 'ok');
      }
      case 'teams': {
        if (!url.searchParams.get('sig'))
          return refuse(401, {
            error: { code: 'DirectApiAuthorizationRequired', message: 'The request must be authenticated' },
          });
        const body = JSON.parse(raw) as Record<string, any>;
        if (next)
          return refuse(
            429,
            { error: { code: 'TooManyRequests', message: 'Rate limit is exceeded.' } },
            { 'retry-after': String(next.retryAfter ?? 1) },
          );
        if (gone.has(url.pathname))
          return refuse(404, { error: { code: 'WorkflowNotFound', message: 'The workflow could not be found.' } });
        const card = body.attachments?.[0];
        if (
          body.type !== 'message' ||
          card?.contentType !== 'application/vnd.microsoft.card.adaptive' ||
          card.content?.type !== 'AdaptiveCard'
        )
          return refuse(400, { error: { code: 'InvalidTemplate', message: 'attachments is of type Null' } });
        accept(url.pathname, body);
        return send(res, 202, '');
      }
      case 'google_chat': {
        if (!url.searchParams.get('key') || !url.searchParams.get('token'))
          return refuse(401, {
            error: {
              code: 401,
              message: 'Request is missing required authentication credential.',
              status: 'UNAUTHENTICATED',
            },
          });
        const body = JSON.parse(raw) as Record<string, any>;
        if (next)
          return refuse(429, {
            error: {
              code: 429,
              message: 'Resource has been exhausted (e.g. check quota).',
              status: 'RESOURCE_EXHAUSTED',
            },
          });
        if (gone.has(url.pathname))
          return refuse(404, { error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND' } });
        const messageId = url.searchParams.get('messageId');
        if (messageId && googleIds.has(messageId))
          return refuse(409, {
            error: {
              code: 409,
              message: 'Message with the given client-assigned ID already exists.',
              status: 'ALREADY_EXISTS',
            },
          });
        if (!body.cardsV2?.[0]?.card?.header)
          return refuse(400, { error: { code: 400, message: 'Invalid JSON payload', status: 'INVALID_ARGUMENT' } });
        if (messageId) googleIds.add(messageId);
        accept(url.pathname, body);
        return send(res, 200, { name: `${url.pathname.replace('/v1/', '')}/${messageId ?? randomUUID()}` });
      }
      case 'discord': {
        const body = JSON.parse(raw) as Record<string, any>;
        if (next)
          return refuse(
            429,
            { message: 'You are being rate limited.', retry_after: next.retryAfter ?? 0.5, global: false },
            { 'retry-after': String(Math.ceil(next.retryAfter ?? 1)) },
          );
        if (gone.has(url.pathname)) return refuse(404, { message: 'Unknown Webhook', code: 10015 });
        if (!Array.isArray(body.embeds) || body.embeds.length === 0 || body.embeds.length > 10)
          return refuse(400, { message: 'Invalid Form Body', code: 50035 });
        accept(url.pathname, body);
        return send(res, 204, '');
      }
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => send(res, 500, { error: String(err) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    base,
    received,
    stats,
    /** The next requests to this provider are refused (429 with a retry hint, a 5xx…). */
    failNext(provider: ProviderName, ...answers: Array<{ status: number; retryAfter?: number; code?: number }>) {
      scripted.set(provider, [...(scripted.get(provider) ?? []), ...answers]);
    },
    /** This number, chat id or webhook path no longer exists for its provider. */
    gone(address: string) {
      gone.add(address);
    },
    setDelay(ms: number) {
      delayMs = ms;
    },
    /** This provider accepts each message at once and answers only `ms` later. */
    setAnswerDelay(provider: ProviderName, ms: number) {
      answerDelay.set(provider, ms);
    },
    onRequest(fn: ((provider: ProviderName) => void) | undefined) {
      onRequest = fn;
    },
    urls: {
      slack: (n: number) => `${base}/services/T0001/B000${n}/secret${n}`,
      teams: (n: number) =>
        `${base}/workflows/wf${n}/triggers/manual/paths/invoke?api-version=2016-06-01&sig=firma${n}`,
      googleChat: (n: number) => `${base}/v1/spaces/ESPACIO${n}/messages?key=clave&token=ficha${n}`,
      discord: (n: number) => `${base}/api/webhooks/10${n}/token-${n}`,
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
