import { Hono } from 'hono';
import {
  deleteSubscriber,
  importRequestInput,
  importSubscribers,
  requestSubscription,
  subscriptionInput,
  unsubscribe,
  type ImportRow,
} from '#db/commands/subscribers.ts';
import { componentCatalogue, failedEmails, listSubscribers, type SubscriberView } from '#db/queries/index.ts';
import { outboxHealth } from '#db/outbox/enqueue.ts';
import { requireToken } from '../auth.ts';
import { publicRoute, scopeGuard } from '../scopes.ts';
import type { AppDeps, Env } from '../context.ts';
import { requestClient } from '../clientIp.ts';
import { commandInput, parseJsonBody } from '../validate.ts';
import { limitBody, tokenContext } from '../http.ts';
import { csvDocument } from '../render/csv.ts';

export const SUBSCRIBE_ACCEPTED = {
  status: 'pending_confirmation',
  message:
    'Si la dirección puede recibir avisos, le enviamos un correo. Abra el enlace que contiene para confirmar la suscripción.',
};

function subscriberJson(s: SubscriberView, slugs: Map<string, string>) {
  return {
    id: s.id,
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
    requestSubscription(
      db,
      { ...input, ip: requestClient(c, deps.trustedProxies).key },
      { now: now(), actor: publicCtx },
    );
    return c.json(SUBSCRIBE_ACCEPTED, 202);
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
    const list = listSubscribers(db, { email: c.req.query('email') });
    return c.json({ subscribers: list.map((s) => subscriberJson(s, slugs)) });
  });

  app.get('/subscribers.csv', auth, needs('subscribers'), (c) => {
    const slugs = new Map(componentCatalogue(db).all.map((x) => [x.id, x.slug]));
    const records = listSubscribers(db).map((s) => [
      s.id,
      s.email,
      s.kind,
      s.customerId ?? '',
      s.confirmedAt?.toISOString() ?? '',
      s.createdAt.toISOString(),
      s.allComponents ? '*' : s.componentIds.map((id) => slugs.get(id) ?? id).join(' '),
    ]);
    const csv = csvDocument(
      ['id', 'email', 'kind', 'customer_id', 'confirmed_at', 'created_at', 'components'],
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
    const result = importSubscribers(db, input.subscribers as ImportRow[], tokenContext(c, deps)); // the command parses each row
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

  return app;
}
