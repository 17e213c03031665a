// /noc/admin/usuarios: create users, reset passwords, change roles, disable or enable. The
// commands (db/commands/consoleUsers.ts) check the input and refuse what an admin may not do
// (the last active admin, their own account); this module reads the form and decides what to show.
import { submitOnce } from '#db/commands/consoleForms.ts';
import {
  createConsoleUser,
  resetConsoleUserPassword,
  setConsoleUserDisabled,
  setConsoleUserRole,
} from '#db/commands/consoleUsers.ts';
import { CommandError } from '#db/commands/errors.ts';
import { resetSecondFactor } from '#db/commands/secondFactor.ts';
import { hashPassword, oneTimePassword } from '#db/domain/password.ts';
import { contextOf, field, formToken, refusal, refusalStatus, type ConsoleRequest, type Redirect } from './action.ts';

export interface UsersView {
  errors: Record<string, string>;
  /** The one-time password of a user just created or reset: shown once, on this response only. */
  shown?: { email: string; password: string };
  notice?: string;
  /** The new-user form's values after a refusal. */
  email: string;
  role: string;
}

export async function usersPage(
  req: ConsoleRequest,
  form?: FormData,
): Promise<Redirect | { status: number; view: UsersView }> {
  const view: UsersView = { errors: {}, email: '', role: 'noc' };
  if (!form) return { status: 200, view };
  const action = field(form, 'accion');
  const userId = Number(form.get('usuario'));
  const ctx = contextOf(req);
  try {
    if (action === 'crear' || action === 'restablecer') {
      // Hashing is slow: done before the transaction. The password is never stored in clear.
      const password = oneTimePassword();
      const hash = await hashPassword(password);
      view.email = field(form, 'email');
      view.role = field(form, 'role');
      let target = '';
      const result = submitOnce(req.db, formToken(form), req.session.user.id, req.now, () => {
        const user =
          action === 'crear'
            ? createConsoleUser(req.db, { email: view.email, role: view.role, passwordHash: hash }, ctx)
            : resetConsoleUserPassword(req.db, userId, hash, ctx);
        target = user.email;
        return '/noc/admin/usuarios';
      });
      if (result.duplicate) view.notice = 'Este formulario ya se había enviado; no se repitió la operación.';
      else Object.assign(view, { shown: { email: target, password }, email: '', role: 'noc' });
      return { status: 200, view };
    }
    if (action === 'rol' || action === 'desactivar' || action === 'activar' || action === 'restablecer-2fa') {
      const { location } = submitOnce(req.db, formToken(form), req.session.user.id, req.now, () => {
        if (action === 'restablecer-2fa') {
          resetSecondFactor(req.db, { userId }, ctx);
          return '/noc/admin/usuarios?aviso=2fa';
        }
        if (action === 'rol') setConsoleUserRole(req.db, userId, field(form, 'role'), ctx);
        else setConsoleUserDisabled(req.db, userId, action === 'desactivar', ctx);
        return '/noc/admin/usuarios?aviso=1';
      });
      return { redirect: location };
    }
    throw new CommandError(400, 'unknown_action', 'Acción desconocida.');
  } catch (err) {
    view.errors = refusal(err);
    return { status: refusalStatus(err), view };
  }
}
