import { eq, lt } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { consoleFormSubmissions } from '../schema/index.ts';
import { CommandError } from './errors.ts';
import { runCommand } from './transaction.ts';

const TOKEN = /^[A-Za-z0-9_-]{16,64}$/;
/** A form left open longer than this is stale anyway; its token is forgotten. */
const KEEP_MS = 7 * 24 * 60 * 60_000;

/**
 * Runs a console form's command at most once per rendered form. Each form carries a random
 * token; the first submission stores where it led in the same transaction as the command
 * (nested commands become savepoints), so a double click or a resent POST finds the row and
 * is sent to the same place instead of writing twice. If the command throws, nothing is kept
 * and the form can be corrected and sent again.
 */
export function submitOnce(
  db: Db,
  token: string | null | undefined,
  userId: number,
  now: Date,
  run: () => string,
): { location: string; duplicate: boolean } {
  if (!token || !TOKEN.test(token))
    throw new CommandError(
      400,
      'missing_form_token',
      'El formulario caducó o está incompleto. Vuelva a cargar la página e intente de nuevo.',
    );
  return runCommand(db, () => {
    const previous = db.select().from(consoleFormSubmissions).where(eq(consoleFormSubmissions.token, token)).get();
    if (previous) return { location: previous.location, duplicate: true };
    const location = run();
    db.insert(consoleFormSubmissions).values({ token, userId, location, createdAt: now }).run();
    db.delete(consoleFormSubmissions)
      .where(lt(consoleFormSubmissions.createdAt, new Date(now.getTime() - KEEP_MS)))
      .run();
    return { location, duplicate: false };
  });
}
