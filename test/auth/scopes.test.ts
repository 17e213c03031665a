// Token scopes across every /api/v1 route: the table below is what each route declares where it
// is registered (api/scopes.ts); the test checks the registry says exactly this, that every
// /api/v1 route has a scope, and that a token outside it gets 403 insufficient_scope naming it.
import { describe, expect, it } from 'vitest';
import { createApiToken } from '#db/commands/tokens.ts';
import { apiScopes } from '#db/enums.ts';
import { routeScopes } from '../../api/scopes.ts';
import { testApp } from '../support/db.ts';

const TABLE: Record<string, string> = {
  'POST /api/v1/alerts/alertmanager': 'alerts',
  'POST /api/v1/alerts/grafana': 'alerts',
  'POST /api/v1/alerts': 'alerts',
  'GET /api/v1/alerts': 'alerts',
  'GET /api/v1/alert-rules': 'catalogue',
  'PUT /api/v1/alert-rules': 'catalogue',
  'GET /api/v1/components': 'catalogue',
  'GET /api/v1/components/:ref': 'catalogue',
  'POST /api/v1/components': 'catalogue',
  'PATCH /api/v1/components/:ref': 'catalogue',
  'GET /api/v1/groups': 'catalogue',
  'GET /api/v1/groups/:ref': 'catalogue',
  'POST /api/v1/groups': 'catalogue',
  'PATCH /api/v1/groups/:ref': 'catalogue',
  'GET /api/v1/coverage': 'catalogue',
  'PUT /api/v1/coverage': 'catalogue',
  'GET /api/v1/incidents/:id': 'incidents',
  'GET /api/v1/incidents/:id/report': 'incidents',
  'PUT /api/v1/incidents/:id/report': 'incidents',
  'POST /api/v1/incidents': 'incidents',
  'POST /api/v1/incidents/:id/updates': 'incidents',
  'PATCH /api/v1/incidents/:id': 'incidents',
  'PATCH /api/v1/incidents/:id/updates/:updateId': 'incidents',
  'GET /api/v1/maintenances': 'maintenances',
  'GET /api/v1/maintenances/:id': 'maintenances',
  'POST /api/v1/maintenances': 'maintenances',
  'PATCH /api/v1/maintenances/:id': 'maintenances',
  'POST /api/v1/maintenances/:id/updates': 'maintenances',
  'POST /api/v1/maintenances/:id/cancel': 'maintenances',
  'PUT /api/v1/services': 'services',
  'POST /api/v1/quality': 'quality',
  'GET /api/v1/quality/sources': 'quality',
  'PUT /api/v1/quality/sources': 'quality',
  'GET /api/v1/quality/thresholds': 'quality',
  'PUT /api/v1/quality/thresholds': 'quality',
  'GET /api/v1/services': 'services',
  'GET /api/v1/services/:service_id': 'services',
  'GET /api/v1/feasibility-requests': 'services',
  'GET /api/v1/subscribers': 'subscribers',
  'GET /api/v1/subscribers.csv': 'subscribers',
  'DELETE /api/v1/subscribers/:id': 'subscribers',
  'POST /api/v1/subscribers/import': 'subscribers',
  'GET /api/v1/email/outbox': 'subscribers',
  'GET /api/v1/webhooks': 'subscribers',
  'GET /api/v1/webhooks/:id': 'subscribers',
  'POST /api/v1/webhooks': 'subscribers',
  'POST /api/v1/webhooks/:id/enable': 'subscribers',
  'DELETE /api/v1/webhooks/:id': 'subscribers',
  'GET /api/v1/reports/availability': 'reports',
  'GET /api/v1/reports/services': 'reports',
  'POST /api/v1/subscribers': 'public',
  'POST /api/v1/subscribers/unsubscribe': 'public',
  'POST /api/v1/subscribers/verify': 'public',
  'GET /api/v1/openapi.json': 'public',
  'GET /api/v1/notifications/outbox': 'subscribers',
};

const t = testApp();
const registered = routeScopes(t.app.routes);
let made = 0;
const tokenFor = (scopes: string[]) => createApiToken(t.db, `t${++made}`, t.clock.now(), undefined, { scopes }).token;
const request = (method: string, path: string, token: string) =>
  t.app.request(path.replace(/:(\w+)/g, 'x'), {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: method === 'GET' || method === 'DELETE' ? undefined : '{}',
  });

describe('token scopes', () => {
  it('every /api/v1 route declares a scope where it is registered, and the table is that registry', () => {
    expect(registered.filter((r) => r.scope === undefined)).toEqual([]);
    expect(Object.fromEntries(registered.map((r) => [`${r.method} ${r.path}`, r.scope]))).toEqual(TABLE);
  });

  it.each(registered.filter((r) => r.scope !== 'public').map((r) => [r.method, r.path, r.scope!] as const))(
    '%s %s needs %s: other scopes get 403 naming it, its own and all pass',
    async (method, path, scope) => {
      const others = apiScopes.filter((s) => s !== scope && s !== 'all');
      const refused = await request(method, path, tokenFor(others));
      expect(refused.status).toBe(403);
      const body = await refused.json();
      expect(body.error.code).toBe('insufficient_scope');
      expect(body.error.message).toContain(`«${scope}»`);
      expect(refused.headers.get('www-authenticate')).toContain(`scope="${scope}"`);
      for (const token of [tokenFor([scope]), tokenFor(['all'])]) {
        const res = await request(method, path, token);
        expect([401, 403]).not.toContain(res.status);
      }
    },
  );

  it('audits a token used outside its scope (visible in /noc/auditoria), and refuses an expired token', async () => {
    const { token } = createApiToken(t.db, 'alertmanager', t.clock.now(), undefined, { scopes: ['alerts'] });
    const res = await t.json('POST', '/api/v1/incidents', { name: 'x' }, { authorization: `Bearer ${token}` });
    expect(res.status).toBe(403);
    const row = t.db.$client
      .prepare(
        "SELECT actor_name, details FROM audit_log WHERE action = 'token.out_of_scope' AND subject_id = 'alertmanager'",
      )
      .get() as { actor_name: string; details: string };
    expect(row.actor_name).toBe('alertmanager');
    expect(JSON.parse(row.details)).toMatchObject({
      method: 'POST',
      path: '/api/v1/incidents',
      needed: 'incidents',
      scopes: ['alerts'],
    });
    const soon = createApiToken(t.db, 'temporal', t.clock.now(), undefined, {
      scopes: ['all'],
      expiresAt: new Date(t.clock.now().getTime() + 60_000),
    }).token;
    expect((await t.json('GET', '/api/v1/components', undefined, { authorization: `Bearer ${soon}` })).status).toBe(
      200,
    );
    t.clock.advance(61_000);
    const expired = await t.json('GET', '/api/v1/components', undefined, { authorization: `Bearer ${soon}` });
    expect(expired.status).toBe(401);
    expect((await expired.json()).error.message).toContain('venció');
  });

  it('keeps `all` for tokens made before scopes, and refuses unknown scopes and past expiry dates', () => {
    expect(t.db.$client.prepare("SELECT scopes FROM api_tokens WHERE name = 'tests'").get()).toEqual({ scopes: 'all' });
    expect(() => createApiToken(t.db, 'raro', t.clock.now(), undefined, { scopes: ['todo'] })).toThrow(
      expect.objectContaining({ status: 422, fields: [expect.objectContaining({ path: 'scopes.0' })] }),
    );
    expect(() =>
      createApiToken(t.db, 'pasado', t.clock.now(), undefined, {
        scopes: ['alerts'],
        expiresAt: new Date('2020-01-01T00:00:00Z'),
      }),
    ).toThrow(/futura/);
  });
});
