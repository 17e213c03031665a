import { Hono } from 'hono';
import {
  codeInput,
  confirmCode,
  deleteSubscriber,
  importRequestInput,
  importSubscribers,
  requestSubscription,
  subscriptionInput,
  unsubscribe,
  type ImportRow,
} from '#db/commands/subscribers.ts';
import {
  componentCatalogue,
  failedEmails,
  listSubscribers,
  subscriberListQuery,
  type SubscriberView,
} from '#db/queries/index.ts';
import { parseInput } from '#db/commands/input.ts';
import { outboxHealth } from '#db/outbox/enqueue.ts';
import { requireToken } from '../auth.ts';
import { publicRoute, scopeGuard } from '../scopes.ts';
import type { AppDeps, Env } from '../context.ts';
import { requestClient } from '../clientIp.ts';
import { commandInput, parseJsonBody } from '../validate.ts';
import { limitBody, tokenContext } from '../http.ts';
import { csvDocument } from '../render/csv.ts';
import { channelPolicy } from '../channels/policy.ts';
import { maskedAddress } from '#db/subscriptions/channels.ts';
import { outboxHealthByChannel } from '#db/outbox/enqueue.ts';
import { fanOutProgress } from '#db/outbox/fanout.ts';

export const SUBSCRIBE_ACCEPTED = {
  status: 'pending_confirmation',
  message:
    'Si la dirección puede recibir avisos, le enviamos un correo. Abra el enlace que contiene para confirmar la suscripción.',
};

/** What to do next, per way of confirming (the answer looks the same whether the address was known or not). */
const NEXT_STEP = {
  link: SUBSCRIBE_ACCEPTED,
  code: {
    status: 'pending_code',
    message:
      'Si el número puede recibir avisos, le enviamos un código de 6 dígitos. Envíelo a POST /api/v1/subscribers/verify con el canal y el número para confirmar.',
  },
  card: {
    status: 'pending_confirmation',
    message:
      'Publicamos en ese canal una tarjeta con un enlace de confirmación: ábralo desde el canal para confirmar la suscripción.',
  },
} as const;

function subscriberJson(s: SubscriberView, slugs: Map<string, string>) {
  return {
    id: s.id,
    channel: s.channel,
    address: s.address,
    email: s.email,
    kind: s.kind,
    customer_id: s.customerId,
    confirmed_at: s.confirmedAt?.toISOString() ?? null,
    created_at: s.createdAt.toISOString(),
    all_components: s.allComponents,
    components: s.componentIds,
    component_slugs: s.componentIds.map((id) => slugs.get(id) ?? id),
  };
}

/**
 * Subscriber routes under /api/v1, mounted before the NOC routes: sign-up and one-click
 * unsubscribe are public; the rest asks for the NOC bearer token route by route.
 */
export function subscriberRoutes(deps: AppDeps) {
  const { db, now } = deps;
  const app = new Hono<Env>();
  const auth = requireToken(db, now);
  const needs = scopeGuard(deps);
  const publicCtx = { kind: 'user' as const, name: 'público' };

  app.post('/subscribers', publicRoute, limitBody(8 * 1024), async (c) => {
    const input = await commandInput(c, subscriptionInput);
    const { step } = requestSubscription(
      db,
      { ...input, ip: requestClient(c, deps.trustedProxies).key, policy: channelPolicy(deps.config) },
      { now: now(), actor: publicCtx },
    );
    return c.json(NEXT_STEP[step], 202);
  });

  // A phone's 6-digit code typed back: the number is subscribed only then.
  app.post('/subscribers/verify', publicRoute, limitBody(8 * 1024), async (c) => {
    const input = await commandInput(c, codeInput);
    confirmCode(db, { ...input, policy: channelPolicy(deps.config) }, { now: now(), actor: publicCtx });
    return c.json({ status: 'confirmed', message: 'Listo: este número recibirá los avisos de estado de SOMNET.' }, 200);
  });

  // RFC 8058 one-click: the mail provider POSTs "List-Unsubscribe=One-Click" to the URL of the
  // List-Unsubscribe header, without cookies or login; the token in the URL is the authority.
  app.post('/subscribers/unsubscribe', publicRoute, limitBody(8 * 1024), async (c) => {
    const token = c.req.query('token') ?? '';
    const removed = unsubscribe(db, token, { now: now(), actor: { kind: 'user', name: 'baja en un clic' } });
    return c.json(
      { status: 'unsubscribed', message: 'La dirección ya no recibirá avisos de estado de SOMNET.', removed },
      200,
      { 'cache-control': 'no-store' },
    );
  });

  app.get('/subscribers', auth, needs('subscribers'), (c) => {
    const slugs = new Map(componentCatalogue(db).all.map((x) => [x.id, x.slug]));
    const filter = parseInput(subscriberListQuery, c.req.query(), { message: 'Parámetros de consulta no válidos.' });
    const list = listSubscribers(db, filter);
    return c.json({ subscribers: list.map((s) => subscriberJson(s, slugs)) });
  });

  app.get('/subscribers.csv', auth, needs('subscribers'), (c) => {
    const slugs = new Map(componentCatalogue(db).all.map((x) => [x.id, x.slug]));
    // The columns email subscribers had first; a subscriber on another channel adds its channel and address last.
    const records = listSubscribers(db).map((s) => [
      s.id,
      s.email ?? '',
      s.kind,
      s.customerId ?? '',
      s.confirmedAt?.toISOString() ?? '',
      s.createdAt.toISOString(),
      s.allComponents ? '*' : s.componentIds.map((id) => slugs.get(id) ?? id).join(' '),
      s.channel,
      maskedAddress(s.channel, s.address),
    ]);
    const csv = csvDocument(
      ['id', 'email', 'kind', 'customer_id', 'confirmed_at', 'created_at', 'components', 'channel', 'address'],
      records,
      { bom: false },
    );
    return c.body(csv, 200, {
      'content-type': 'text/csv; charset=utf-8; header=present',
      'content-disposition': 'attachment; filename="suscriptores.csv"',
      'cache-control': 'no-store',
    });
  });

  app.delete('/subscribers/:id', auth, needs('subscribers'), (c) => {
    deleteSubscriber(db, c.req.param('id'), tokenContext(c, deps));
    return c.body(null, 204);
  });

  // 10,000 contacts are about 1 MB of JSON.
  app.post('/subscribers/import', auth, needs('subscribers'), limitBody(4 * 1024 * 1024), async (c) => {
    const input = await parseJsonBody(c, importRequestInput);
    const result = importSubscribers(
      db,
      input.subscribers as ImportRow[], // the command parses each row
      tokenContext(c, deps),
      channelPolicy(deps.config),
    );
    return c.json(result, 201);
  });

  // Delivery state for the NOC: counts per status and the failed messages with their reason.
  app.get('/email/outbox', auth, needs('subscribers'), (c) => {
    const health = outboxHealth(db, 'email');
    return c.json(
      {
        pending: health.pending,
        sent: health.sent,
        failed: health.failed,
        cancelled: health.cancelled,
        last_error: health.lastError,
        failures: failedEmails(db).map((f) => ({
          id: f.id,
          kind: f.kind,
          recipient: f.recipient,
          attempts: f.attempts,
          error: f.lastError,
          created_at: f.createdAt.toISOString(),
        })),
      },
      200,
      { 'cache-control': 'no-store' },
    );
  });

  // Delivery state of every channel, and the subscriptions providers ended (a blocked number, a deleted webhook).
  app.get('/notifications/outbox', auth, needs('subscribers'), (c) =>
    c.json({ channels: outboxHealthByChannel(db), preparing: fanOutProgress(db) }, 200, {
      'cache-control': 'no-store',
    }),
  );

  return app;
}
