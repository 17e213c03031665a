import type { BlockList } from 'node:net';
import type { Db } from '#db/client.ts';
import type { SubscriberChannel } from '#db/enums.ts';
import type { ApiScope } from '#db/enums.ts';
import type { AuthConfig, Config } from './config.ts';
import type { CachedEntry, RenderedCache } from './cache.ts';
import type { PublishedState } from './publish/publisher.ts';
import type { ApiDescription } from './openapi/document.ts';

/** What every route needs; built once per process (or per test file). */
export interface AppDeps {
  db: Db;
  config: Config;
  /** The clock; tests inject one. */
  now: () => Date;
  cache: RenderedCache;
  /** Whose X-Forwarded-For is believed (loopback + TRUSTED_PROXIES); see api/clientIp.ts. */
  trustedProxies: BlockList;
  /**
   * This server instance, as its background lease names it (db/commands/lease.ts): the outbox
   * batches its workers claim carry it. Unset outside a running server.
   */
  instanceId?: string;
  /** Whether this server does the background work (holds the lease) or is on standby (api/background.ts). */
  background?: { readonly role: 'active' | 'standby' };
  /** Built client files by URL path, when the site is mounted (see api/static.ts). */
  staticFiles?: Map<string, CachedEntry>;
  /**
   * A public page (a path of a route marked `page` in api/publish/routes.ts) as its GET answers
   * it, rendered without an HTTP request around it; null unless it answers 200. Set when the site
   * is mounted (api/pages.ts).
   */
  renderPage?: (path: string) => Promise<CachedEntry | null>;
  /** The publisher keeping PUBLISH_DIR current (set by api/server.ts), for /metrics and /healthz. */
  publishing?: { readonly published: PublishedState; readonly backlogRemaining: number };
}

/** Given to Astro pages as `Astro.locals`, so pages read the same database and clock. */
export interface PageLocals {
  db: Db;
  now: () => Date;
  publicUrl: string;
  /** Tile URL template for the coverage map (config MAP_TILE_URL); the default when absent. */
  mapTileUrl?: string;
  /** Longest maintenance window (config MAINTENANCE_MAX_HOURS); the console enforces it too. */
  maintenanceMaxHours?: number;
  /** PROMETHEUS_URL without its credentials, for the console's quality page; absent when unset. */
  prometheusUrl?: string;
  /** Paid messages above which publishing asks for one more confirmation (NOTIFY_CONFIRM_ABOVE). */
  notifyConfirmAbove?: number;
  /** Channels /suscribirse offers, and the Telegram bot's username for its t.me deep links. */
  channels?: { offered: readonly SubscriberChannel[]; telegramBot?: string; allowPrivateTargets: boolean };
  /**
   * The key per-address limits count for this request's client (api/clientIp.ts: forwarded
   * headers only from a trusted proxy; IPv6 per /64). Pages use this, never Astro.clientAddress.
   */
  clientAddress: string;
  /** The client's address itself (shown in the list of one's sessions and in the audit log). */
  clientIp: string;
  /** Console sign-in settings (CONSOLE_2FA, CONSOLE_IDLE_MINUTES, CONSOLE_PASSWORD_LOGIN, OIDC_*). */
  auth: AuthConfig;
  /**
   * Set when this rendering counts against the client's render budget (api/pages.ts): the
   * middleware asks it once a page route matched, and answers 503 when it says no.
   */
  admitRender?: () => boolean;
  /** The API's OpenAPI description (GET /api/v1/openapi.json), for its reference page /integraciones/api. */
  apiDescription: () => ApiDescription;
}

export type Env = { Variables: { tokenName: string; tokenScopes: ApiScope[] } };
