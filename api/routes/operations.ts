// GET /healthz (a load balancer's or blackbox probe's question: can this process serve and write?)
// and GET /metrics (Prometheus' scrape). Both compute what they say when asked.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { Gauge, Registry } from 'prom-client';
import { isIP } from 'node:net';
import { disabledWebhookEndpoints } from '#db/queries/index.ts';
import { requestClient } from '../clientIp.ts';
import type { AppDeps } from '../context.ts';
import { errorResponse } from '../errors.ts';
import { processRegistry, startProcessMetrics } from '../metrics/registry.ts';
import { checkWritable, databaseBytes, outboxView, publishView, volumes } from '../metrics/state.ts';
import { fanOutProgress } from '#db/outbox/fanout.ts';

const NO_STORE = { 'cache-control': 'no-store' };

/** The gauges read from the database and the publisher at each scrape, in a registry of this app. */
function scrapeGauges(deps: AppDeps) {
  const registry = new Registry();
  // The publish series exist only with PUBLISH_DIR (and the last publish's time only after one):
  // registered per scrape, below.
  const publishRegistry = () => new Registry();
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = [], always = true) =>
    new Gauge<L>({ name, help, labelNames, registers: always ? [registry] : [] });
  const g = {
    outboxPending: gauge('somnet_outbox_pending', 'Outbox messages not yet delivered, by channel.', ['channel']),
    outboxOldestPending: gauge(
      'somnet_outbox_oldest_pending_seconds',
      'Age of the oldest undelivered outbox message, by channel (0 when none).',
      ['channel'],
    ),
    outboxDue: gauge('somnet_outbox_due', 'Undelivered messages whose next attempt is due now, by channel.', [
      'channel',
    ]),
    outboxOldestDue: gauge(
      'somnet_outbox_oldest_due_seconds',
      'How long the longest-waiting due message has been due, by channel: grows when the worker is stuck, not during a backoff.',
      ['channel'],
    ),
    outboxPreparing: gauge(
      'somnet_outbox_preparing_recipients',
      'Recipients of recorded notices whose outbox message is still to be written (a large notice is expanded in slices right after its commit).',
    ),
    webhooksDisabled: gauge(
      'somnet_webhook_endpoints_disabled',
      'Webhook endpoints disabled after repeated delivery failures.',
    ),
    publishLag: gauge(
      'somnet_publish_lag_seconds',
      'Seconds since the oldest committed change not yet in PUBLISH_DIR was committed; 0 when the files are current.',
      [],
      false,
    ),
    lastPublish: gauge(
      'somnet_last_publish_timestamp_seconds',
      'Unix time of the last publish that wrote everything it had to (one runs at least every minute).',
      [],
      false,
    ),
    backlog: gauge(
      'somnet_publish_backlog_paths',
      'Paths a full publish in progress (first start, new build) has still to write.',
      [],
      false,
    ),
    diskFree: gauge(
      'somnet_disk_free_bytes',
      'Free bytes (for the service user) on the filesystem of the database or the snapshot.',
      ['volume'],
    ),
    diskSize: gauge('somnet_disk_size_bytes', 'Size in bytes of the filesystem of the database or the snapshot.', [
      'volume',
    ]),
    databaseSize: gauge('somnet_database_size_bytes', 'The SQLite file plus its write-ahead log, in bytes.'),
  };
  const update = (): Registry => {
    const now = deps.now();
    for (const m of [g.outboxPending, g.outboxOldestPending, g.outboxDue, g.outboxOldestDue, g.diskFree, g.diskSize])
      m.reset();
    for (const o of outboxView(deps.db, now)) {
      g.outboxPending.set({ channel: o.channel }, o.pending);
      g.outboxOldestPending.set({ channel: o.channel }, o.oldestPendingSeconds);
      g.outboxDue.set({ channel: o.channel }, o.due);
      g.outboxOldestDue.set({ channel: o.channel }, o.oldestDueSeconds);
    }
    const preparing = fanOutProgress(deps.db);
    g.outboxPreparing.set(preparing.total - preparing.expanded);
    g.webhooksDisabled.set(disabledWebhookEndpoints(deps.db));
    // Without PUBLISH_DIR there is nothing to be behind: the publish series are absent.
    const publish = publishView(deps, now);
    const publishing = publishRegistry();
    if (publish) {
      g.publishLag.set(publish.lagSeconds);
      g.backlog.set(publish.fullPublishRemaining);
      publishing.registerMetric(g.publishLag);
      publishing.registerMetric(g.backlog);
      if (publish.lastPublishAt) {
        g.lastPublish.set(publish.lastPublishAt.getTime() / 1000);
        publishing.registerMetric(g.lastPublish);
      }
    }
    for (const v of volumes(deps)) {
      g.diskFree.set({ volume: v.volume }, v.freeBytes);
      g.diskSize.set({ volume: v.volume }, v.sizeBytes);
    }
    g.databaseSize.set(databaseBytes(deps.config.databasePath));
    return Registry.merge([processRegistry, registry, publishing]);
  };
  return { update };
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** 127.0.0.0/8 and ::1 (an IPv4-mapped loopback is already its IPv4 form: api/clientIp.ts). */
function isLoopback(address: string): boolean {
  return (isIP(address) === 4 && address.startsWith('127.')) || address === '::1';
}

/**
 * Who may scrape: a client on this machine (decided by api/clientIp.ts, so a request nginx
 * proxies from outside is not loopback), or anyone presenting METRICS_TOKEN as a bearer token.
 * A token that is presented and wrong is refused wherever it comes from.
 */
function metricsRefusal(c: Context, deps: AppDeps): Response | null {
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
  const expected = deps.config.metricsToken;
  if (presented !== undefined) {
    if (expected && timingSafeEqual(digest(presented), digest(expected))) return null;
    c.header('www-authenticate', 'Bearer realm="metrics"');
    return errorResponse(c, 401, 'unauthorized', 'Token de métricas no válido.');
  }
  if (isLoopback(requestClient(c, deps.trustedProxies).address)) return null;
  if (expected) {
    c.header('www-authenticate', 'Bearer realm="metrics"');
    return errorResponse(
      c,
      401,
      'unauthorized',
      'Las métricas piden el token METRICS_TOKEN (Authorization: Bearer …).',
    );
  }
  return errorResponse(
    c,
    403,
    'forbidden',
    'Las métricas solo se sirven a esta misma máquina; configure METRICS_TOKEN para leerlas desde otra.',
  );
}

export function operationsRoutes(deps: AppDeps) {
  const app = new Hono();

  app.get('/healthz', (c) => {
    const now = deps.now();
    const write = checkWritable(deps);
    let state;
    try {
      state = { publish: publishView(deps, now), outbox: outboxView(deps.db, now) };
    } catch (err) {
      return c.json(
        {
          status: 'unavailable',
          error: {
            code: 'database_unavailable',
            message: `No se puede leer la base de datos: ${(err as Error).message}`,
          },
        },
        503,
        NO_STORE,
      );
    }
    const body = {
      status: write.writable ? 'ok' : 'unavailable',
      ...(write.writable ? {} : { error: { code: write.code, message: write.message } }),
      database: { writable: write.writable },
      // Another server on the same database does the background work while this one is on standby.
      background: deps.background?.role ?? null,
      publish: state.publish && {
        lag_seconds: state.publish.lagSeconds,
        last_publish_at: state.publish.lastPublishAt?.toISOString() ?? null,
        full_publish_remaining: state.publish.fullPublishRemaining,
      },
      outbox: Object.fromEntries(
        state.outbox.map((o) => [
          o.channel,
          {
            pending: o.pending,
            due: o.due,
            oldest_pending_seconds: o.oldestPendingSeconds,
            oldest_due_seconds: o.oldestDueSeconds,
          },
        ]),
      ),
      checked_at: now.toISOString(),
    };
    if (!write.writable) c.header('retry-after', '5');
    return c.json(body, write.writable ? 200 : 503, NO_STORE);
  });

  let scrape: ReturnType<typeof scrapeGauges> | undefined;
  app.get('/metrics', async (c) => {
    const refusal = metricsRefusal(c, deps);
    if (refusal) return refusal;
    startProcessMetrics();
    scrape ??= scrapeGauges(deps);
    const registry = scrape.update();
    return c.body(await registry.metrics(), 200, { 'content-type': registry.contentType, ...NO_STORE });
  });

  return app;
}
