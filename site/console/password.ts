// /noc/contrasena: the user's own new password. Guessing the current one counts like a sign-in
// (the same per-account and per-address limits, in checkConsolePassword); the rules of a new
// password are db/domain/password.ts's; the command ends the user's other sessions.
import { checkConsolePassword } from '#db/commands/consoleSessions.ts';
import { changeOwnPassword } from '#db/commands/consoleUsers.ts';
import { CommandError } from '#db/commands/errors.ts';
import { hashPassword, passwordProblem } from '#db/domain/password.ts';
import { contextOf } from './action.ts';
import type { PageContext } from './login.ts';
import { requireSession, signInClient } from './session.ts';

export interface PasswordView {
  errors: Record<string, string>;
  /** After a refusal the fields without an error keep what was typed (this response is not cached). */
  kept: { actual: string; nueva: string; repetir: string };
}

export async function passwordPage(
  ctx: PageContext,
): Promise<{ redirect: string } | { status: number; view: PasswordView }> {
  const session = requireSession(ctx);
  const { db, now } = ctx.locals;
  const view: PasswordView = { errors: {}, kept: { actual: '', nueva: '', repetir: '' } };
  if (ctx.request.method !== 'POST') return { status: 200, view };
  const form = await ctx.request.formData();
  const current = String(form.get('actual') ?? '');
  const next = String(form.get('nueva') ?? '');
  const repeat = String(form.get('repetir') ?? '');
  const { errors } = view;
  let refused: CommandError | null = null;
  try {
    const checked = await checkConsolePassword(
      db,
      { email: session.user.email, password: current, ...signInClient(ctx) },
      now(),
    );
    if (!checked.ok) errors.actual = 'La contraseña actual no es correcta.';
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    refused = err;
    errors.actual = err.message;
  }
  const problem = passwordProblem(next, session.user.email);
  if (problem) errors.nueva = problem;
  else if (next === current) errors.nueva = 'La nueva contraseña debe ser distinta de la actual.';
  if (!errors.nueva && next !== repeat) errors.repetir = 'Las contraseñas no coinciden.';
  if (Object.keys(errors).length === 0) {
    changeOwnPassword(
      db,
      session.user.id,
      await hashPassword(next),
      session.sessionId,
      contextOf({ db, now: now(), session }),
    );
    return { redirect: '/noc?aviso=contrasena' };
  }
  if (!errors.actual) view.kept.actual = current;
  if (!errors.nueva) view.kept.nueva = next;
  if (!errors.nueva && !errors.repetir) view.kept.repetir = repeat;
  return { status: refused?.status ?? 422, view };
}
