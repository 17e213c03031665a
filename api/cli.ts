// `npm run --silent noc -- <command>`: NOC administration from a shell on the server.
//   token create --name <name> [--scope <scope>]… [--expires AAAA-MM-DD]
//                                prints the new token alone on the last line (shown only once)
//   token list                   names, scopes, expiry, creation and last use; never the tokens
//   token revoke <name>
//   user create --email <email> --role admin|noc   prints a one-time password alone on the last line
//   user reset-2fa --email <email>                 removes the user's second factor (they enrol again)
//   backup DIR [--keep N]        online, checked copy of the database; prints the file and its size last
//   restore FILE                 refuses while a process uses the database; keeps the current one aside
//   whatsapp plantillas          prints the WhatsApp templates (JSON) to submit to Meta
//   telegram webhook             points the Telegram bot's webhook at this server (setWebhook)
//   statement resend <SERVICE_ID> <AAAA-MM>  queues a service's monthly statement again to its contacts
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from './config.ts';
import { openDatabase } from '#db/client.ts';
import { CommandError } from '#db/commands/errors.ts';
import { createApiToken, listApiTokens, revokeApiToken } from '#db/commands/tokens.ts';
import { backupDatabase, BackupError, DEFAULT_KEEP } from '#db/backup/backup.ts';
import { restoreDatabase } from '#db/backup/restore.ts';
import { DatabaseInUseError } from '#db/backup/exclusive.ts';
import { createConsoleUser } from '#db/commands/consoleUsers.ts';
import { hashPasswordSync, oneTimePassword } from '#db/domain/password.ts';
import { resetSecondFactor } from '#db/commands/secondFactor.ts';
import { apiScopes } from '#db/enums.ts';
import { formatDateTime, formatMonth, zonedMidnight, ZONE_LABEL } from '#db/domain/time.ts';
import { resendStatement } from '#db/commands/statements.ts';
import { whatsappTemplateDefinitions } from './channels/whatsapp.ts';
import { telegramCall, telegramWebhookSecret } from './channels/telegram.ts';

const usage = `Uso: npm run --silent noc -- <comando>

  token create --name <nombre> [--scope <alcance>]… [--expires AAAA-MM-DD]
                                 crea un token de la API del NOC (se muestra una sola vez).
                                 Alcances: ${apiScopes.join(', ')} (repita --scope o
                                 sepárelos con comas; sin --scope: all). --expires: deja de
                                 valer ese día a las 00:00, hora del centro de México.
  token list                     lista los tokens (nombre, alcances, vencimiento, último uso)
  token revoke <nombre>          revoca un token
  user create --email <correo> --role admin|noc
                                 crea un usuario de la consola /noc; imprime una contraseña
                                 de un solo uso (se cambia al iniciar sesión)
  user reset-2fa --email <correo>
                                 quita el segundo factor del usuario (TOTP, códigos de
                                 recuperación y llaves de acceso) y cierra sus sesiones;
                                 lo registra de nuevo al iniciar sesión
  backup DIR [--keep N]          respaldo en línea, verificado, en DIR/somnet-<fecha UTC>.db;
                                 conserva los últimos N (por omisión ${DEFAULT_KEEP})
  restore ARCHIVO                pone un respaldo en lugar de la base de datos (con el servidor
                                 detenido); la actual queda al lado, como <base>.before-restore-<fecha>
  whatsapp plantillas            imprime las plantillas de WhatsApp (es_MX, JSON) para enviarlas a
                                 Meta: POST /{WABA-ID}/message_templates, una por elemento
  telegram webhook               registra ${'$'}{PUBLIC_URL}/api/telegram/webhook como webhook del bot
                                 (con su token secreto)
  statement resend <ID_SERVICIO> <AAAA-MM>
                                 vuelve a enviar el estado de disponibilidad del mes (con montos)
                                 a los contactos técnicos del servicio, con las cifras de hoy

La base de datos es DATABASE_PATH (por omisión ./data/somnet.db).`;

function fail(message: string, code = 1): never {
  console.error(message);
  process.exit(code);
}

const { positionals, values } = (() => {
  try {
    return parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        scope: { type: 'string', multiple: true },
        expires: { type: 'string' },
        email: { type: 'string' },
        role: { type: 'string' },
        keep: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return fail(`${(err as Error).message}\n\n${usage}`, 2);
  }
})();

if (values.help || positionals.length === 0) {
  console.log(usage);
  process.exit(values.help ? 0 : 2);
}

const config = loadConfigOrExit();

function sizeText(bytes: number): string {
  const mb = bytes / 1024 / 1024;
  return `${bytes} bytes (${mb >= 1 ? `${mb.toFixed(1)} MB` : `${(bytes / 1024).toFixed(0)} KB`})`;
}
const changeText = (c: { id: number; at: Date } | null) =>
  c ? `último cambio ${formatDateTime(c.at)} (${ZONE_LABEL})` : 'sin cambios registrados';

// Backup and restore work on the file itself: they run before this process opens the database.
if (positionals[0] === 'backup' || positionals[0] === 'restore') {
  const [verb, path, extra] = positionals;
  if (!path || extra !== undefined)
    fail(
      `${verb === 'backup' ? 'Indique el directorio de los respaldos' : 'Indique el archivo de respaldo'}.\n\n${usage}`,
      2,
    );
  if (values.keep !== undefined && (verb !== 'backup' || !/^\d+$/.test(values.keep) || Number(values.keep) < 1))
    fail(`--keep debe ser un número entero de 1 o más (y solo va con backup).\n\n${usage}`, 2);
  try {
    if (verb === 'backup') {
      const r = await backupDatabase(config.databasePath, path, {
        keep: values.keep === undefined ? undefined : Number(values.keep),
      });
      console.log(
        `Respaldo verificado (PRAGMA integrity_check: ok) en ${(r.ms / 1000).toFixed(1)} s; ${changeText(r.lastChange)}.`,
      );
      if (r.removed.length)
        console.log(
          `Se borraron ${r.removed.length} respaldos antiguos; se conservan los últimos ${values.keep ?? DEFAULT_KEEP}.`,
        );
      console.log(`${r.file}\t${sizeText(r.bytes)}`);
    } else {
      const r = await restoreDatabase(path, config.databasePath);
      console.log(`Respaldo comprobado (PRAGMA integrity_check: ok); ${changeText(r.lastChange)}.`);
      if (r.keptAside) console.log(`La base de datos que había quedó en ${r.keptAside}`);
      console.log(
        `Restaurado en ${config.databasePath} (${r.migrated} migraciones aplicadas) en ${(r.ms / 1000).toFixed(1)} s. Al arrancar, el servidor vuelve a publicar el sitio completo.`,
      );
    }
    process.exit(0);
  } catch (err) {
    if (err instanceof BackupError || err instanceof DatabaseInUseError) fail(err.message);
    throw err;
  }
}

const db = openDatabase(config.databasePath);
const now = new Date();
const [area, action, arg, arg2] = positionals;

try {
  if (area === 'token' && action === 'create') {
    if (!values.name) fail(`Falta --name.\n\n${usage}`, 2);
    const scopes = (values.scope ?? ['all']).flatMap((s) => s.split(',').map((one) => one.trim()));
    let expiresAt: Date | undefined;
    if (values.expires !== undefined) {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(values.expires);
      expiresAt = m ? zonedMidnight(Number(m[1]), Number(m[2]), Number(m[3])) : undefined;
      if (!expiresAt) fail(`--expires debe ser una fecha AAAA-MM-DD.\n\n${usage}`, 2);
    }
    const { name, token, scopes: granted } = createApiToken(db, values.name, now, undefined, { scopes, expiresAt });
    console.log(
      `Token «${name}» creado (alcance: ${granted.join(', ')}${expiresAt ? `; vence ${formatDateTime(expiresAt)}` : ''}). Guárdelo ahora: no se volverá a mostrar.`,
    );
    console.log(token);
  } else if (area === 'token' && action === 'list') {
    const tokens = listApiTokens(db);
    if (tokens.length === 0) console.log('No hay tokens.');
    for (const t of tokens)
      console.log(
        `${t.name}\t${t.scopes.join(',')}\t${t.expiresAt ? `vence ${formatDateTime(t.expiresAt)}` : 'sin vencimiento'}\tcreado ${formatDateTime(t.createdAt)}\t${t.lastUsedAt ? `último uso ${formatDateTime(t.lastUsedAt)}` : 'sin uso'}`,
      );
  } else if (area === 'token' && action === 'revoke') {
    if (!arg) fail(`Indique el nombre del token.\n\n${usage}`, 2);
    revokeApiToken(db, arg, now);
    console.log(`Token «${arg}» revocado.`);
  } else if (area === 'user' && action === 'create') {
    if (!values.email || !values.role) fail(`Faltan --email y --role.\n\n${usage}`, 2);
    const password = oneTimePassword();
    const user = createConsoleUser(
      db,
      { email: values.email, role: values.role, passwordHash: hashPasswordSync(password) },
      { now, actor: { kind: 'cli', name: 'noc' } },
    );
    console.log(
      `Usuario «${user.email}» (${user.role}) creado. Contraseña de un solo uso (se pedirá cambiarla al iniciar sesión en /noc/login):`,
    );
    console.log(password);
  } else if (area === 'user' && action === 'reset-2fa') {
    if (!values.email) fail(`Falta --email.\n\n${usage}`, 2);
    const email = resetSecondFactor(db, { email: values.email }, { now, actor: { kind: 'cli', name: 'noc' } });
    console.log(`Segundo factor de «${email}» quitado; sus sesiones se cerraron. Lo registrará al iniciar sesión.`);
  } else if (area === 'statement' && action === 'resend') {
    if (!arg || !arg2) fail(`Indique el ID de servicio y el mes (AAAA-MM).\n\n${usage}`, 2);
    const r = resendStatement(db, { serviceId: arg, month: arg2 }, { now, actor: { kind: 'cli', name: 'noc' } });
    console.log(
      `Estado de disponibilidad de ${formatMonth(r.month)} del servicio ${r.serviceId} en cola para: ${r.recipients.join(', ')}.`,
    );
  } else if (area === 'whatsapp' && action === 'plantillas') {
    console.log(JSON.stringify(whatsappTemplateDefinitions(config.publicUrl), null, 2));
  } else if (area === 'telegram' && action === 'webhook') {
    const tg = config.channels?.telegram;
    if (!tg) fail('Falta TELEGRAM_BOT_TOKEN.', 2);
    const res = await telegramCall(tg, 'setWebhook', {
      url: `${config.publicUrl}/api/telegram/webhook`,
      secret_token: telegramWebhookSecret(tg.botToken),
      allowed_updates: ['message'],
    });
    if (res.body.ok !== true) fail(`Telegram respondió ${res.status}: ${String(res.body.description ?? res.text)}`);
    console.log(`Webhook del bot: ${config.publicUrl}/api/telegram/webhook`);
  } else {
    fail(`Comando desconocido: ${positionals.join(' ')}\n\n${usage}`, 2);
  }
} catch (err) {
  // The command names its fields; here they are the flags that carried them.
  const flag = (path: string) =>
    ['name', 'email', 'role'].includes(path)
      ? `--${path}`
      : path === 'scopes' || path.startsWith('scopes.')
        ? '--scope'
        : path === 'expires_at'
          ? '--expires'
          : path;
  if (err instanceof CommandError)
    fail([err.message, ...(err.fields ?? []).map((f) => `  ${flag(f.path)}: ${f.message}`)].join('\n'));
  throw err;
} finally {
  db.$client.close();
}
