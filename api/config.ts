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
  /**
   * Proxies whose X-Forwarded-For is believed (TRUSTED_PROXIES: addresses or CIDR ranges,
   * comma-separated, or `none`); loopback when unset. See api/clientIp.ts.
   */
  trustedProxies?: string[];
}

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

function isTileUrl(value: string): boolean {
  try {
    const u = new URL(value.replace(/\{[a-z]\}/g, '0'));
    return (u.protocol === 'http:' || u.protocol === 'https:') && ['{z}', '{x}', '{y}'].every((p) => value.includes(p));
  } catch {
    return false;
  }
}

export class ConfigError extends Error {}

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
    TRUSTED_PROXIES: env.TRUSTED_PROXIES || undefined,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0]);
    throw new ConfigError(`Configuración inválida: ${name} ${issue.message} (valor recibido: «${env[name]}»).`);
  }
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
    ...(parsed.data.TRUSTED_PROXIES?.length ? { trustedProxies: parsed.data.TRUSTED_PROXIES } : {}),
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
