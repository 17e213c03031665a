import { Hono, type Context } from 'hono';
import {
  genericAlertInput,
  receiveEnvelopeBody,
  receiveGenericAlert,
  type IntakeContext,
  type IntakeResult,
} from '#db/commands/alerts/index.ts';
import type { AlertFormat } from '#db/enums.ts';
import { alertRulesInput, replaceAlertRules } from '#db/commands/alertRules.ts';
import { parseInput } from '#db/commands/input.ts';
import { alertList, alertListQuery, alertRuleDocument, componentCatalogue, recentDrafts } from '#db/queries/index.ts';
import { requireToken } from '../auth.ts';
import type { AppDeps, Env } from '../context.ts';
import { limitBody, limitStreamedBody, MAX_BODY_BYTES, nocRoutes, tokenContext } from '../http.ts';
import { alertJson, alertRulesJson, draftJson, intakeJson, intakeJsonText } from '../render/alerts.ts';
import { scopeGuard } from '../scopes.ts';
import { commandInput, readJsonChunks } from '../validate.ts';
import { countAlerts } from '../metrics/registry.ts';

/**
 * A whole Alertmanager group can be large (every alert with its labels and annotations, resent
 * each group_interval); refusing it would lose the group, since Alertmanager does not retry a 4xx.
 */
export const MAX_ALERT_BODY_BYTES = 4 * 1024 * 1024;
const ALERT_BODY_LIMIT = { maxBytes: MAX_ALERT_BODY_BYTES, what: 'El envío de alertas' };

/**
 * Alert intake and the alert list (/api/v1/alerts…), bearer token like the rest of /api/v1.
 * Mounted before the NOC routes so the intake's body limit, not the 64 KB one, applies.
 */
export function alertRoutes(deps: AppDeps) {
  const { db, now } = deps;
  const app = new Hono<Env>();
  app.use('*', requireToken(db, now));
  const needs = scopeGuard(deps);
  const intakeLimit = limitStreamedBody(ALERT_BODY_LIMIT);
  const context = (c: Context<Env>): IntakeContext => ({
    now: now(),
    tokenName: c.get('tokenName'),
    applier: deps.instanceId,
  });
  const counted = (source: AlertFormat, result: IntakeResult) => {
    countAlerts(
      source,
      result.alerts.map((a) => a.effect),
    );
    return result;
  };

  // The body as its chunks: a large group's go to the intake worker as they arrive (decoded and
  // parsed there, never gathered on the event loop); its text is kept with the delivery.
  for (const format of ['alertmanager', 'grafana'] as const)
    app.post(`/${format}`, needs('alerts'), intakeLimit, async (c) => {
      const body = readJsonChunks(c, ALERT_BODY_LIMIT);
      const result = counted(format, await receiveEnvelopeBody(db, format, body, context(c)));
      // A group's answer is written a slice at a time, after a turn that lets requests through.
      await new Promise<void>((resolve) => setImmediate(resolve));
      return c.body(await intakeJsonText(result, componentCatalogue(db)), 200, {
        'content-type': 'application/json',
      });
    });
  app.post('/', needs('alerts'), limitBody(MAX_BODY_BYTES), async (c) => {
    const input = await commandInput(c, genericAlertInput);
    const result = counted('generic', receiveGenericAlert(db, input, await c.req.text(), context(c)));
    return c.json(intakeJson(result, componentCatalogue(db)));
  });

  app.get('/', needs('alerts'), (c) => {
    const query = parseInput(alertListQuery, c.req.query(), { message: 'Parámetros de consulta no válidos.' });
    const catalogue = componentCatalogue(db);
    return c.json(
      {
        alerts: alertList(db, query, catalogue).map(alertJson),
        drafts: recentDrafts(db, query.limit ?? 100, catalogue).map(draftJson),
      },
      200,
      { 'cache-control': 'no-store' },
    );
  });
  return app;
}

/** GET|PUT /api/v1/alert-rules: the NOC's mapping rules, replaced as a whole. */
export function alertRuleRoutes(deps: AppDeps) {
  const { db } = deps;
  const app = nocRoutes(deps);
  const needs = scopeGuard(deps);
  app.get('/', needs('catalogue'), (c) =>
    c.json(alertRulesJson(alertRuleDocument(db), componentCatalogue(db)), 200, { 'cache-control': 'no-store' }),
  );
  app.put('/', needs('catalogue'), async (c) => {
    replaceAlertRules(db, await commandInput(c, alertRulesInput), tokenContext(c, deps));
    return c.json(alertRulesJson(alertRuleDocument(db), componentCatalogue(db)));
  });
  return app;
}
