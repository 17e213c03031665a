import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  enableWebhookEndpoint,
  webhookEndpointInput,
} from '#db/commands/webhooks.ts';
import { notFound } from '#db/commands/errors.ts';
import { webhookEndpointList, type WebhookEndpointView } from '#db/queries/index.ts';
import type { AppDeps } from '../context.ts';
import { nocRoutes, tokenContext } from '../http.ts';
import { scopeGuard } from '../scopes.ts';
import { commandInput } from '../validate.ts';
import { allowPrivateWebhookTargets } from '../workers/webhooks.ts';

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
  const { db } = deps;
  const one = (id: string) => {
    const view = webhookEndpointList(db, id)[0];
    if (!view) throw notFound('el webhook', id);
    return webhookJson(view);
  };
  const app = nocRoutes(deps);
  const needs = scopeGuard(deps);

  app.get('/', needs('subscribers'), (c) =>
    c.json({ webhooks: webhookEndpointList(db).map(webhookJson) }, 200, { 'cache-control': 'no-store' }),
  );
  app.get('/:id', needs('subscribers'), (c) => c.json(one(c.req.param('id')), 200, { 'cache-control': 'no-store' }));
  app.post('/', needs('subscribers'), async (c) => {
    const row = createWebhookEndpoint(db, await commandInput(c, webhookEndpointInput), tokenContext(c, deps), {
      allowPrivateTargets: allowPrivateWebhookTargets(),
    });
    // The secret is returned this once; the list never shows it.
    return c.json({ ...one(row.id), secret: row.secret }, 201, { 'cache-control': 'no-store' });
  });
  app.post('/:id/enable', needs('subscribers'), (c) => {
    const row = enableWebhookEndpoint(db, c.req.param('id'), tokenContext(c, deps));
    return c.json(one(row.id));
  });
  app.delete('/:id', needs('subscribers'), (c) => {
    deleteWebhookEndpoint(db, c.req.param('id'), tokenContext(c, deps));
    return c.body(null, 204);
  });
  return app;
}
