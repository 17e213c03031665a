import { resolve } from 'node:path';
import { z } from 'zod';
import { trustedProxyList } from './clientIp.ts';

export interface Config {
  port: number;
  host: string;
  databasePath: string;
  /** Absolute base for links in feeds and emails, without a trailing slash. */
  publicUrl: string;
  /** Longest maintenance window the NOC may schedule, in hours (MAINTENANCE_MAX_HOURS, default 12). */
  maintenanceMaxHours?: number;
  /** Map tiles for /cobertura, `{z}/{x}/{y}` template; OpenStreetMap when unset. */
  mapTileUrl?: string;
  /** Email notices go through Resend. Without a Resend key, messages are written as .eml files instead. */
  resendApiKey?: string;
  /** Where the Resend SDK sends requests (a local stand-in in tests); the SDK's default otherwise. */
  resendBaseUrl?: string;
  /** "Name <address>" of every email. */
  mailFrom?: string;
  mailReplyTo?: string;
  /** Provider requests per second (Resend's default account limit is 2); 0 = unlimited. */
  resendRequestsPerSecond?: number;
  /** Where the server keeps the published snapshot of the public site (PUBLISH_DIR, absolute); unset: none. */
  publishDir?: string;
  /** Shell command run after each publish that changed files (PUBLISH_COMMAND), e.g. a sync to a CDN. */
  publishCommand?: string;
  /** Processes that render a full publish (PUBLISH_WORKERS; default: the cores, at most 4; 0: the main thread alone). */
  publishWorkers?: number;
  /** Days a delivered outbox message is kept (OUTBOX_RETENTION_DAYS, default 30; 0 keeps them forever). */
  outboxRetentionDays?: number;
  /** Whether a notice's rows are written by a thread of their own (FANOUT_THREAD=1, the default) instead of the event loop (0). */
  fanOutThread?: boolean;
  /**
   * Proxies whose X-Forwarded-For is believed (TRUSTED_PROXIES: addresses or CIDR ranges,
   * comma-separated, or `none`); loopback when unset. See api/clientIp.ts.
   */
  trustedProxies?: string[];
  /** Bearer token that lets a scraper read GET /metrics from anywhere (METRICS_TOKEN); loopback only without it. */
  metricsToken?: string;
  /**
   * Prometheus' base URL (PROMETHEUS_URL), e.g. http://prometheus.somnet.local:9090: the network
   * quality worker reads `/api/v1/query_range` there every minute. Unset: quality comes only by push.
   */
  prometheusUrl?: string;
  /** Notice channels beyond email (docs/notifications.md); a channel without its settings is not offered. */
  channels?: ChannelsConfig;
  /** Console sign-in: second factor, idle timeout, password sign-in, single sign-on. Unset: DEFAULT_AUTH. */
  auth?: AuthConfig;
}

/** OpenID Connect single sign-on (authorization code + PKCE) for the console. */
export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The ID token claim holding the user's roles or groups (OIDC_ROLE_CLAIM); unset: roles are kept as set here. */
  roleClaim?: string;
  /** Claim value → console role (OIDC_ROLE_MAP, `valor=admin,otro=noc`); unset: the values `admin` and `noc`. */
  roleMap: Record<string, 'admin' | 'noc'>;
  /** OIDC_CREATE_USERS=1: a user the provider vouches for who does not exist yet is created. */
  createUsers: boolean;
}

export interface AuthConfig {
  /** CONSOLE_2FA: `required` sends a user without a second factor to enrol before any other page. */
  secondFactor: 'required' | 'optional';
  /** CONSOLE_IDLE_MINUTES: a session without a request for this long ends (besides the 12 h limit). */
  idleMinutes: number;
  /** CONSOLE_PASSWORD_LOGIN=0 leaves single sign-on as the only way in. */
  passwordLogin: boolean;
  oidc?: OidcConfig;
}

/** The production defaults: a second factor required, 30 minutes idle, passwords accepted, no SSO. */
export const DEFAULT_AUTH: AuthConfig = { secondFactor: 'required', idleMinutes: 30, passwordLogin: true };

export function authConfig(config: Pick<Config, 'auth'>): AuthConfig {
  return config.auth ?? DEFAULT_AUTH;
}

export interface ChannelsConfig {
  /** Meta's WhatsApp Business Cloud API (WHATSAPP_*). */
  whatsapp?: { token: string; phoneNumberId: string; apiBase: string; verifyToken?: string; appSecret?: string };
  /** Twilio's Messages API (TWILIO_*). */
  sms?: { accountSid: string; authToken: string; from: string; apiBase: string };
  /** A Telegram bot (TELEGRAM_*); its username for the t.me deep links (asked with getMe when not set). */
  telegram?: { botToken: string; apiBase: string; botUsername?: string };
  /** Team chats offered on /suscribirse (NOTIFY_CHAT_CHANNELS); their webhooks need no server setting. */
  chats: Array<'slack' | 'teams' | 'google_chat' | 'discord'>;
  /** Paid messages (SMS + WhatsApp) above which publishing asks for one more confirmation (NOTIFY_CONFIRM_ABOVE). */
  confirmAbove: number;
}

export const CHAT_CHANNELS = ['slack', 'teams', 'google_chat', 'discord'] as const;
export const DEFAULT_WHATSAPP_API_BASE = 'https://graph.facebook.com/v23.0';
export const DEFAULT_TWILIO_API_BASE = 'https://api.twilio.com';
export const DEFAULT_TELEGRAM_API_BASE = 'https://api.telegram.org';

export const DEFAULT_MAIL_FROM = 'SOMNET Estado <estado@somnet.com.mx>';

const schema = z.object({
  PORT: z
    .string()
    .regex(/^\d+$/, 'debe ser un número entero')
    .transform(Number)
    .pipe(z.number().int().min(1, 'debe estar entre 1 y 65535').max(65535, 'debe estar entre 1 y 65535'))
    .optional(),
  HOST: z.string().min(1, 'no puede estar vacío').optional(),
  DATABASE_PATH: z.string().min(1, 'no puede estar vacío').optional(),
  MAINTENANCE_MAX_HOURS: z
    .string()
    .regex(/^\d+$/, 'debe ser un número entero de horas')
    .transform(Number)
    .pipe(z.number().int().min(1, 'debe estar entre 1 y 168').max(168, 'debe estar entre 1 y 168'))
    .optional(),
  MAP_TILE_URL: z
    .string()
    .optional()
    .refine(
      (v) => v === undefined || isTileUrl(v),
      'debe ser una URL https:// de teselas con {z}, {x} y {y}, p. ej. https://tile.openstreetmap.org/{z}/{x}/{y}.png',
    ),
  RESEND_API_KEY: z.string().min(1).optional(),
  RESEND_BASE_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || isHttpUrl(v), 'debe ser una URL absoluta http:// o https://'),
  MAIL_FROM: z
    .string()
    .regex(
      /^[^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>$|^[^\s@<>]+@[^\s@<>]+$/,
      'debe ser «Nombre <correo@dominio>» o una dirección',
    )
    .optional(),
  MAIL_REPLY_TO: z
    .string()
    .regex(/^[^\s@<>]+@[^\s@<>]+$/, 'debe ser una dirección de correo')
    .optional(),
  RESEND_RATE_LIMIT: z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'debe ser un número de solicitudes por segundo (0 = sin límite)')
    .transform(Number)
    .optional(),
  PUBLISH_DIR: z.string().optional(),
  PUBLISH_COMMAND: z.string().optional(),
  PUBLISH_WORKERS: z
    .string()
    .regex(/^\d+$/, 'debe ser un número entero de procesos (0 = solo el proceso principal)')
    .transform(Number)
    .refine((n) => n <= 16, 'a lo más 16 procesos')
    .optional(),
  OUTBOX_RETENTION_DAYS: z
    .string()
    .regex(/^\d+$/, 'debe ser un número entero de días (0 = conservar siempre)')
    .transform(Number)
    .optional(),
  FANOUT_THREAD: z.enum(['0', '1'], { error: 'debe ser 1 (un hilo aparte) o 0 (el hilo principal)' }).optional(),
  TRUSTED_PROXIES: z
    .string()
    .optional()
    .transform((v) =>
      v
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .refine(
      (v) => v === undefined || trustedProxyList(v) !== null,
      'debe ser una lista de direcciones IP o rangos CIDR separados por comas (p. ej. 127.0.0.1, 10.0.0.0/8) o «none»',
    ),
  METRICS_TOKEN: z
    .string()
    .regex(
      /^[\x21-\x7e]{24,}$/,
      'debe tener al menos 24 caracteres visibles, sin espacios (p. ej. openssl rand -hex 32)',
    )
    .optional(),
  PROMETHEUS_URL: z
    .string()
    .optional()
    .refine(
      (v) => v === undefined || isHttpUrl(v),
      'debe ser la URL base de Prometheus, http:// o https:// sin parámetros, p. ej. http://prometheus.somnet.local:9090',
    ),
  WHATSAPP_TOKEN: z.string().min(1).optional(),
  WHATSAPP_PHONE_NUMBER_ID: z.string().regex(/^\d+$/, 'debe ser el identificador numérico del número').optional(),
  WHATSAPP_API_BASE: z
    .string()
    .optional()
    .refine((v) => v === undefined || isHttpUrl(v), 'debe ser una URL absoluta http:// o https://'),
  WHATSAPP_VERIFY_TOKEN: z.string().min(1).optional(),
  WHATSAPP_APP_SECRET: z.string().min(1).optional(),
  TWILIO_ACCOUNT_SID: z
    .string()
    .regex(/^AC[0-9a-fA-F]{32}$/, 'debe ser un Account SID de Twilio (AC + 32 hexadecimales)')
    .optional(),
  TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
  TWILIO_FROM: z
    .string()
    .regex(
      /^(\+\d{8,15}|MG[0-9a-fA-F]{32})$/,
      'debe ser un número en formato E.164 (+52…) o un Messaging Service SID (MG…)',
    )
    .optional(),
  TWILIO_API_BASE: z
    .string()
    .optional()
    .refine((v) => v === undefined || isHttpUrl(v), 'debe ser una URL absoluta http:// o https://'),
  TELEGRAM_BOT_TOKEN: z
    .string()
    .regex(/^\d+:[\w-]{20,}$/, 'debe ser el token que dio @BotFather (123456:ABC…)')
    .optional(),
  TELEGRAM_API_BASE: z
    .string()
    .optional()
    .refine((v) => v === undefined || isHttpUrl(v), 'debe ser una URL absoluta http:// o https://'),
  TELEGRAM_BOT_USERNAME: z
    .string()
    .regex(/^@?\w{5,32}$/, 'debe ser el nombre de usuario del bot (p. ej. SomnetEstadoBot)')
    .optional(),
  NOTIFY_CHAT_CHANNELS: z
    .string()
    .optional()
    .refine(
      (v) =>
        v === undefined ||
        v.trim() === 'none' ||
        v.split(',').every((c) => (CHAT_CHANNELS as readonly string[]).includes(c.trim())),
      `debe ser una lista de ${CHAT_CHANNELS.join(', ')} separada por comas, o «none»`,
    ),
  NOTIFY_CONFIRM_ABOVE: z.string().regex(/^\d+$/, 'debe ser un número entero de mensajes').transform(Number).optional(),
  CONSOLE_2FA: z.enum(['required', 'optional'], { error: 'debe ser required u optional' }).optional(),
  CONSOLE_IDLE_MINUTES: z
    .string()
    .regex(/^\d+$/, 'debe ser un número entero de minutos')
    .transform(Number)
    .pipe(z.number().int().min(1, 'debe estar entre 1 y 720').max(720, 'debe estar entre 1 y 720'))
    .optional(),
  CONSOLE_PASSWORD_LOGIN: z.enum(['0', '1'], { error: 'debe ser 0 o 1' }).optional(),
  OIDC_ISSUER: z
    .string()
    .optional()
    .refine(
      (v) => v === undefined || isIssuerUrl(v),
      'debe ser la URL https:// del emisor (http:// solo en localhost), p. ej. https://login.microsoftonline.com/<tenant>/v2.0',
    ),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  OIDC_ROLE_CLAIM: z
    .string()
    .regex(/^[\w.:/-]{1,200}$/, 'debe ser el nombre de un claim, p. ej. roles o groups')
    .optional(),
  OIDC_ROLE_MAP: z
    .string()
    .regex(
      /^\s*[^=,]+=\s*(admin|noc)\s*(,\s*[^=,]+=\s*(admin|noc)\s*)*$/,
      'debe ser una lista valor=rol separada por comas, con rol admin o noc (p. ej. NOC-Admins=admin,NOC=noc)',
    )
    .optional(),
  OIDC_CREATE_USERS: z.enum(['0', '1'], { error: 'debe ser 0 o 1' }).optional(),
  PUBLIC_URL: z
    .string()
    .optional()
    .refine(
      (v) => v === undefined || isHttpUrl(v),
      'debe ser una URL absoluta http:// o https:// sin parámetros, p. ej. https://status.somnet.com.mx',
    ),
});

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !u.search && !u.hash;
  } catch {
    return false;
  }
}

function isIssuerUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (
      u.protocol === 'https:' || (u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname))
    );
  } catch {
    return false;
  }
}

function roleMapOf(text: string | undefined): Record<string, 'admin' | 'noc'> {
  if (!text) return { admin: 'admin', noc: 'noc' };
  const map: Record<string, 'admin' | 'noc'> = {};
  for (const pair of text.split(',')) {
    const [value, role] = pair.split('=').map((s) => s.trim());
    map[value] = role as 'admin' | 'noc';
  }
  return map;
}

function isTileUrl(value: string): boolean {
  try {
    const u = new URL(value.replace(/\{[a-z]\}/g, '0'));
    return (u.protocol === 'http:' || u.protocol === 'https:') && ['{z}', '{x}', '{y}'].every((p) => value.includes(p));
  } catch {
    return false;
  }
}

export class ConfigError extends Error {}

const SECRET_VARIABLES = new Set(['RESEND_API_KEY', 'METRICS_TOKEN', 'OIDC_CLIENT_SECRET']);

/** Reads configuration from the environment; throws ConfigError with one readable line. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse({
    PORT: env.PORT || undefined,
    HOST: env.HOST || undefined,
    DATABASE_PATH: env.DATABASE_PATH || undefined,
    PUBLIC_URL: env.PUBLIC_URL || undefined,
    MAINTENANCE_MAX_HOURS: env.MAINTENANCE_MAX_HOURS || undefined,
    MAP_TILE_URL: env.MAP_TILE_URL || undefined,
    RESEND_API_KEY: env.RESEND_API_KEY || undefined,
    RESEND_BASE_URL: env.RESEND_BASE_URL || undefined,
    MAIL_FROM: env.MAIL_FROM || undefined,
    MAIL_REPLY_TO: env.MAIL_REPLY_TO || undefined,
    RESEND_RATE_LIMIT: env.RESEND_RATE_LIMIT || undefined,
    PUBLISH_DIR: env.PUBLISH_DIR || undefined,
    PUBLISH_COMMAND: env.PUBLISH_COMMAND || undefined,
    PUBLISH_WORKERS: env.PUBLISH_WORKERS || undefined,
    OUTBOX_RETENTION_DAYS: env.OUTBOX_RETENTION_DAYS || undefined,
    FANOUT_THREAD: env.FANOUT_THREAD || undefined,
    TRUSTED_PROXIES: env.TRUSTED_PROXIES || undefined,
    METRICS_TOKEN: env.METRICS_TOKEN || undefined,
    PROMETHEUS_URL: env.PROMETHEUS_URL || undefined,
    WHATSAPP_TOKEN: env.WHATSAPP_TOKEN || undefined,
    WHATSAPP_PHONE_NUMBER_ID: env.WHATSAPP_PHONE_NUMBER_ID || undefined,
    WHATSAPP_API_BASE: env.WHATSAPP_API_BASE || undefined,
    WHATSAPP_VERIFY_TOKEN: env.WHATSAPP_VERIFY_TOKEN || undefined,
    WHATSAPP_APP_SECRET: env.WHATSAPP_APP_SECRET || undefined,
    TWILIO_ACCOUNT_SID: env.TWILIO_ACCOUNT_SID || undefined,
    TWILIO_AUTH_TOKEN: env.TWILIO_AUTH_TOKEN || undefined,
    TWILIO_FROM: env.TWILIO_FROM || undefined,
    TWILIO_API_BASE: env.TWILIO_API_BASE || undefined,
    TELEGRAM_BOT_TOKEN: env.TELEGRAM_BOT_TOKEN || undefined,
    TELEGRAM_API_BASE: env.TELEGRAM_API_BASE || undefined,
    TELEGRAM_BOT_USERNAME: env.TELEGRAM_BOT_USERNAME || undefined,
    NOTIFY_CHAT_CHANNELS: env.NOTIFY_CHAT_CHANNELS || undefined,
    NOTIFY_CONFIRM_ABOVE: env.NOTIFY_CONFIRM_ABOVE || undefined,
    CONSOLE_2FA: env.CONSOLE_2FA || undefined,
    CONSOLE_IDLE_MINUTES: env.CONSOLE_IDLE_MINUTES || undefined,
    CONSOLE_PASSWORD_LOGIN: env.CONSOLE_PASSWORD_LOGIN || undefined,
    OIDC_ISSUER: env.OIDC_ISSUER || undefined,
    OIDC_CLIENT_ID: env.OIDC_CLIENT_ID || undefined,
    OIDC_CLIENT_SECRET: env.OIDC_CLIENT_SECRET || undefined,
    OIDC_ROLE_CLAIM: env.OIDC_ROLE_CLAIM || undefined,
    OIDC_ROLE_MAP: env.OIDC_ROLE_MAP || undefined,
    OIDC_CREATE_USERS: env.OIDC_CREATE_USERS || undefined,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0]);
    // A secret is never echoed to the logs, not even a wrong one.
    const received = SECRET_VARIABLES.has(name) ? `${env[name]?.length ?? 0} caracteres` : `«${env[name]}»`;
    throw new ConfigError(`Configuración inválida: ${name} ${issue.message} (valor recibido: ${received}).`);
  }
  const d = parsed.data;
  if (d.OIDC_ISSUER && (!d.OIDC_CLIENT_ID || !d.OIDC_CLIENT_SECRET))
    throw new ConfigError('Configuración inválida: OIDC_ISSUER requiere OIDC_CLIENT_ID y OIDC_CLIENT_SECRET.');
  if (!d.OIDC_ISSUER && (d.OIDC_CLIENT_ID || d.OIDC_CLIENT_SECRET || d.OIDC_ROLE_CLAIM || d.OIDC_CREATE_USERS === '1'))
    throw new ConfigError('Configuración inválida: las variables OIDC_* requieren OIDC_ISSUER.');
  if (d.CONSOLE_PASSWORD_LOGIN === '0' && !d.OIDC_ISSUER)
    throw new ConfigError(
      'Configuración inválida: CONSOLE_PASSWORD_LOGIN=0 requiere inicio de sesión único (OIDC_ISSUER); sin él nadie podría entrar a la consola.',
    );
  const auth: AuthConfig = {
    secondFactor: d.CONSOLE_2FA ?? DEFAULT_AUTH.secondFactor,
    idleMinutes: d.CONSOLE_IDLE_MINUTES ?? DEFAULT_AUTH.idleMinutes,
    passwordLogin: d.CONSOLE_PASSWORD_LOGIN !== '0',
    ...(d.OIDC_ISSUER
      ? {
          oidc: {
            issuer: d.OIDC_ISSUER,
            clientId: d.OIDC_CLIENT_ID!,
            clientSecret: d.OIDC_CLIENT_SECRET!,
            ...(d.OIDC_ROLE_CLAIM ? { roleClaim: d.OIDC_ROLE_CLAIM } : {}),
            roleMap: roleMapOf(d.OIDC_ROLE_MAP),
            createUsers: d.OIDC_CREATE_USERS === '1',
          },
        }
      : {}),
  };
  const port = parsed.data.PORT ?? 4321;
  return {
    port,
    host: parsed.data.HOST ?? '0.0.0.0',
    databasePath: parsed.data.DATABASE_PATH ?? './data/somnet.db',
    publicUrl: (parsed.data.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    maintenanceMaxHours: parsed.data.MAINTENANCE_MAX_HOURS ?? 12,
    ...(parsed.data.MAP_TILE_URL ? { mapTileUrl: parsed.data.MAP_TILE_URL } : {}),
    resendApiKey: parsed.data.RESEND_API_KEY,
    resendBaseUrl: parsed.data.RESEND_BASE_URL?.replace(/\/+$/, ''),
    mailFrom: parsed.data.MAIL_FROM ?? DEFAULT_MAIL_FROM,
    mailReplyTo: parsed.data.MAIL_REPLY_TO,
    resendRequestsPerSecond: parsed.data.RESEND_RATE_LIMIT ?? 2,
    ...(parsed.data.PUBLISH_DIR ? { publishDir: resolve(parsed.data.PUBLISH_DIR) } : {}),
    ...(parsed.data.PUBLISH_COMMAND ? { publishCommand: parsed.data.PUBLISH_COMMAND } : {}),
    ...(parsed.data.PUBLISH_WORKERS !== undefined ? { publishWorkers: parsed.data.PUBLISH_WORKERS } : {}),
    ...(parsed.data.OUTBOX_RETENTION_DAYS !== undefined
      ? { outboxRetentionDays: parsed.data.OUTBOX_RETENTION_DAYS }
      : {}),
    ...(parsed.data.FANOUT_THREAD ? { fanOutThread: parsed.data.FANOUT_THREAD === '1' } : {}),
    ...(parsed.data.TRUSTED_PROXIES?.length ? { trustedProxies: parsed.data.TRUSTED_PROXIES } : {}),
    ...(parsed.data.METRICS_TOKEN ? { metricsToken: parsed.data.METRICS_TOKEN } : {}),
    ...(parsed.data.PROMETHEUS_URL ? { prometheusUrl: parsed.data.PROMETHEUS_URL.replace(/\/+$/, '') } : {}),
    channels: channelsConfig(parsed.data),
    auth,
  };
}

/** A channel is configured when all its required settings are there; half a configuration is refused. */
function channelsConfig(d: z.infer<typeof schema>): ChannelsConfig {
  const trim = (u: string | undefined, fallback: string) => (u ?? fallback).replace(/\/+$/, '');
  const need = (names: string[], given: Record<string, unknown>) => {
    const set = names.filter((n) => given[n] !== undefined);
    if (set.length > 0 && set.length < names.length) {
      const missing = names.find((n) => given[n] === undefined)!;
      throw new ConfigError(`Configuración inválida: falta ${missing} (junto con ${set.join(', ')}).`);
    }
    return set.length === names.length;
  };
  const chats =
    d.NOTIFY_CHAT_CHANNELS === undefined
      ? [...CHAT_CHANNELS]
      : d.NOTIFY_CHAT_CHANNELS.trim() === 'none'
        ? []
        : [...new Set(d.NOTIFY_CHAT_CHANNELS.split(',').map((c) => c.trim() as (typeof CHAT_CHANNELS)[number]))];
  return {
    ...(need(['WHATSAPP_TOKEN', 'WHATSAPP_PHONE_NUMBER_ID'], d)
      ? {
          whatsapp: {
            token: d.WHATSAPP_TOKEN!,
            phoneNumberId: d.WHATSAPP_PHONE_NUMBER_ID!,
            apiBase: trim(d.WHATSAPP_API_BASE, DEFAULT_WHATSAPP_API_BASE),
            verifyToken: d.WHATSAPP_VERIFY_TOKEN,
            appSecret: d.WHATSAPP_APP_SECRET,
          },
        }
      : {}),
    ...(need(['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'], d)
      ? {
          sms: {
            accountSid: d.TWILIO_ACCOUNT_SID!,
            authToken: d.TWILIO_AUTH_TOKEN!,
            from: d.TWILIO_FROM!,
            apiBase: trim(d.TWILIO_API_BASE, DEFAULT_TWILIO_API_BASE),
          },
        }
      : {}),
    ...(d.TELEGRAM_BOT_TOKEN
      ? {
          telegram: {
            botToken: d.TELEGRAM_BOT_TOKEN,
            apiBase: trim(d.TELEGRAM_API_BASE, DEFAULT_TELEGRAM_API_BASE),
            ...(d.TELEGRAM_BOT_USERNAME ? { botUsername: d.TELEGRAM_BOT_USERNAME.replace(/^@/, '') } : {}),
          },
        }
      : {}),
    chats,
    confirmAbove: d.NOTIFY_CONFIRM_ABOVE ?? 500,
  };
}

/** For command-line entry points: the configuration, or one line on stderr and exit 1. */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}
