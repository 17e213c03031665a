import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { createWebhookEndpoint, deleteWebhookEndpoint, enableWebhookEndpoint } from '../../db/commands/webhooks.ts';
import { notFound } from '../../db/commands/errors.ts';
import { webhookEndpointList, type WebhookEndpointView } from '../../db/queries/index.ts';
import { requireToken } from '../auth.ts';
import type { AppDeps, Env } from '../context.ts';
import { errorResponse } from '../errors.ts';
import { MAX_BODY_BYTES, parseJsonBody } from '../validate.ts';
import { allowPrivateWebhookTargets } from '../workers/webhooks.ts';

const webhookCreate = z.strictObject({
  url: z.string().trim().min(1).max(2000),
  components: z.array(z.string().min(1).max(100)).min(1).max(500).nullable().optional(),
  secret: z.string().min(16, 'El secreto debe tener al menos 16 caracteres.').max(200).optional(),
  description: z.string().trim().max(500).nullable().optional(),
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function webhookJson(v: WebhookEndpointView) {
  return {
    id: v.id,
    url: v.url,
    description: v.description,
    components: v.componentIds,
    groups: v.groupIds,
    enabled: v.enabled,
    disabled_at: iso(v.disabledAt),
    disabled_reason: v.disabledReason,
    consecutive_failures: v.consecutiveFailures,
    failing_since: iso(v.failingSince),
    last_attempt_at: iso(v.lastAttemptAt),
    last_success_at: iso(v.lastSuccessAt),
    last_failure_at: iso(v.lastFailureAt),
    last_error: v.lastError,
    deliveries: v.deliveries,
    created_at: iso(v.createdAt),
  };
}

/** NOC API for webhook subscribers: register, list (with health), re-enable, delete. */
export function webhookRoutes(deps: AppDeps) {
  const { db, now } = deps;
  const ctx = (c: { get(key: 'tokenName'): string }) => ({ now: now(), actor: { kind: 'token' as const, name: c.get('tokenName') } });
  const one = (id: string) => {
    const view = webhookEndpointList(db, id)[0];
    if (!view) throw notFound('el webhook', id);
    return webhookJson(view);
  };
  const app = new Hono<Env>();
  app.use('*', requireToken(db));
  app.use('*', bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => errorResponse(c, 413, 'payload_too_large', `El cuerpo supera el máximo de ${MAX_BODY_BYTES / 1024} KB.`),
  }));

  app.get('/', (c) => c.json({ webhooks: webhookEndpointList(db).map(webhookJson) }, 200, { 'cache-control': 'no-store' }));
  app.get('/:id', (c) => c.json(one(c.req.param('id')), 200, { 'cache-control': 'no-store' }));
  app.post('/', async (c) => {
    const input = await parseJsonBody(c, webhookCreate);
    const row = createWebhookEndpoint(db, input, ctx(c), { allowPrivateTargets: allowPrivateWebhookTargets() });
    // The secret is returned this once; the list never shows it.
    return c.json({ ...one(row.id), secret: row.secret }, 201, { 'cache-control': 'no-store' });
  });
  app.post('/:id/enable', (c) => {
    const row = enableWebhookEndpoint(db, c.req.param('id'), ctx(c));
    return c.json(one(row.id));
  });
  app.delete('/:id', (c) => {
    deleteWebhookEndpoint(db, c.req.param('id'), ctx(c));
    return c.body(null, 204);
  });
  return app;
}
