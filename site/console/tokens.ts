// /noc/admin/tokens: create an API token (shown once) or revoke one, through db/commands/tokens.ts.
import { submitOnce } from '#db/commands/consoleForms.ts';
import { CommandError } from '#db/commands/errors.ts';
import { createApiToken, revokeApiToken } from '#db/commands/tokens.ts';
import { contextOf, field, formToken, refusal, refusalStatus, type ConsoleRequest, type Redirect } from './action.ts';

export interface TokensView {
  errors: Record<string, string>;
  /** A token just created: its only showing. */
  shown?: { name: string; token: string };
  notice?: string;
  /** The name field after a refusal. */
  name: string;
}

export function tokensPage(req: ConsoleRequest, form?: FormData): Redirect | { status: number; view: TokensView } {
  const view: TokensView = { errors: {}, name: '' };
  if (!form) return { status: 200, view };
  const { actor } = contextOf(req);
  try {
    const action = field(form, 'accion');
    if (action === 'crear') {
      view.name = field(form, 'name');
      let created: { name: string; token: string } | undefined;
      const result = submitOnce(req.db, formToken(form), req.session.user.id, req.now, () => {
        created = createApiToken(req.db, view.name, req.now, actor);
        return '/noc/admin/tokens';
      });
      if (result.duplicate) view.notice = 'Este formulario ya se había enviado; no se creó otro token.';
      else Object.assign(view, { shown: created, name: '' });
      return { status: 200, view };
    }
    if (action === 'revocar') {
      const target = String(form.get('token') ?? '');
      const { location } = submitOnce(req.db, formToken(form), req.session.user.id, req.now, () => {
        revokeApiToken(req.db, target, req.now, actor);
        return '/noc/admin/tokens?aviso=revocado';
      });
      return { redirect: location };
    }
    throw new CommandError(400, 'unknown_action', 'Acción desconocida.');
  } catch (err) {
    view.errors = refusal(err);
    return { status: refusalStatus(err), view };
  }
}
