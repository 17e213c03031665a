// What every console action module shares: the request it acts for, and what it answers.
//
// A page under site/pages/noc/ reads the form, hands it to its module here (site/console/*.ts)
// and renders what comes back; the module decides (which command, which errors, where to go
// next) and the command enforces. Modules take plain values, so tests call them directly on a
// real database, without a server.
import type { Db } from '#db/client.ts';
import type { CommandContext } from '#db/commands/transaction.ts';
import { CommandError } from '#db/commands/errors.ts';
import type { ConsoleSession } from '#db/queries/console.ts';

export interface ConsoleRequest {
  db: Db;
  /** The instant of this request (the injected clock). */
  now: Date;
  session: { user: Pick<ConsoleSession['user'], 'id' | 'email' | 'role' | 'mustChangePassword'> };
}

/** The command context of a console request: its instant and the signed-in user. */
export function contextOf(req: ConsoleRequest): CommandContext {
  return { now: req.now, actor: { kind: 'user', name: req.session.user.email } };
}

/** After a successful POST: see other (303), so a reload does not send the form again. */
export interface Redirect {
  redirect: string;
}

export const isRedirect = (outcome: object): outcome is Redirect => 'redirect' in outcome;

/** The form's one-use token (`idem`); submitOnce refuses a POST without one rather than make one up. */
export function formToken(form: FormData): string {
  const value = form.get('idem');
  return typeof value === 'string' ? value : '';
}

/** A form field as trimmed text ('' when absent). */
export function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value.trim() : '';
}

/**
 * A command's refusal as form errors: `form` for the message at the top, one entry per field
 * (the first message for each), under the form's own field names. Anything else is re-thrown.
 */
export function refusal(err: unknown, formField: (path: string) => string = (p) => p): Record<string, string> {
  if (!(err instanceof CommandError)) throw err;
  const errors: Record<string, string> = { form: err.message };
  for (const f of err.fields ?? []) errors[formField(f.path)] ??= f.message;
  return errors;
}

/**
 * The status of a console form that was not saved: 503 when a command found the database busy
 * or the disk full (storageRefusal: the page shows that message, and the same form can be sent
 * again as it is), otherwise `status` (the form's 422: something in it must change). `err` is
 * what the command threw, or undefined when the form's own checks refused it first.
 */
export function unsavedStatus(err: unknown, status = 422): number {
  return err instanceof CommandError && err.status === 503 ? 503 : status;
}

/** The status a refused form answers with: the command's, or 422 for the form's own checks. */
export function refusalStatus(err: unknown): number {
  return err instanceof CommandError ? err.status : 422;
}
