// /noc/admin/tokens: create an API token (shown once) or revoke one, through db/commands/tokens.ts.
import { submitOnce } from '#db/commands/consoleForms.ts';
import { CommandError } from '#db/commands/errors.ts';
import { createApiToken, revokeApiToken } from '#db/commands/tokens.ts';
import type { ApiScope } from '#db/enums.ts';
import { contextOf, field, formToken, refusal, refusalStatus, type ConsoleRequest, type Redirect } from './action.ts';
import { parseLocalDateTime } from './localDateTime.ts';

export interface TokensView {
  errors: Record<string, string>;
  /** A token just created: its only showing. */
  shown?: { name: string; token: string; scopes: ApiScope[]; expiresAt: Date | null };
  notice?: string;
  /** The form's fields after a refusal. */
  name: string;
  scopes: string[];
  expires: string;
}

export function tokensPage(req: ConsoleRequest, form?: FormData): Redirect | { status: number; view: TokensView } {
  const view: TokensView = { errors: {}, name: '', scopes: [], expires: '' };
  if (!form) return { status: 200, view };
  const { actor } = contextOf(req);
  try {
    const action = field(form, 'accion');
    if (action === 'crear') {
      view.name = field(form, 'name');
      view.scopes = form.getAll('scopes').map(String);
      view.expires = field(form, 'expires');
      // The expiry is a date: the token stops working at 00:00 (Mexico City) of that day.
      const expiresAt = view.expires ? parseLocalDateTime(`${view.expires}T00:00`) : undefined;
      if (expiresAt === null)
        throw new CommandError(422, 'validation_failed', 'La fecha de vencimiento no es válida.', [
          { path: 'expires_at', message: 'Indique una fecha válida o déjela vacía.' },
        ]);
      let created: TokensView['shown'];
      const result = submitOnce(req.db, formToken(form), req.session.user.id, req.now, () => {
        created = createApiToken(req.db, view.name, req.now, actor, { scopes: view.scopes, expiresAt });
        return '/noc/admin/tokens';
      });
      if (result.duplicate) view.notice = 'Este formulario ya se había enviado; no se creó otro token.';
      else Object.assign(view, { shown: created, name: '', scopes: [], expires: '' });
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
    view.errors = refusal(err, (path) =>
      path.startsWith('scopes') ? 'scopes' : path === 'expires_at' ? 'expires' : path,
    );
    return { status: refusalStatus(err), view };
  }
}
