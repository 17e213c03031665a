// /noc/verificar: the second factor of a password sign-in — a code from the authenticator app,
// a recovery code, or a passkey (POST /noc/verificar/llave). The commands count wrong codes
// against the same limits as wrong passwords.
import { CommandError } from '#db/commands/errors.ts';
import { relyingPartyOf, secondFactorPasskeyOptions, verifySecondFactorPasskey } from '#db/commands/passkeys.ts';
import { verifySecondFactorCode } from '#db/commands/secondFactor.ts';
import { json, type PageContext } from './login.ts';
import { requireSession, safeReturnPath, setSessionCookie, signInClient } from './session.ts';

export interface VerifyView {
  error?: string;
  hasTotp: boolean;
  passkeys: number;
}

export async function verifyPage(
  ctx: PageContext,
): Promise<{ redirect: string } | { status: number; view: VerifyView }> {
  const session = requireSession(ctx);
  const back = safeReturnPath(ctx.url.searchParams.get('volver'));
  if (session.complete) return { redirect: back };
  const view: VerifyView = { hasTotp: session.user.hasTotp, passkeys: session.user.passkeys };
  if (ctx.request.method !== 'POST') return { status: 200, view };
  const form = await ctx.request.formData();
  const code = String(form.get('codigo') ?? '').slice(0, 64);
  try {
    const done = verifySecondFactorCode(ctx.locals.db, session, code, signInClient(ctx), ctx.locals.now());
    setSessionCookie(ctx, done.token, done.expiresAt);
    if (done.recoveryCodesLeft !== undefined) return { redirect: `/noc/seguridad?aviso=recuperacion` };
    return { redirect: session.user.mustChangePassword ? '/noc/contrasena' : back };
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    return { status: err.status, view: { ...view, error: err.fields?.[0]?.message ?? err.message } };
  }
}

/** POST /noc/verificar/llave: a passkey as the second factor (opciones, then entrar). */
export async function verifyPasskeyEndpoint(ctx: PageContext): Promise<Response> {
  const session = requireSession(ctx);
  const rp = relyingPartyOf(ctx.locals.publicUrl);
  const form = await ctx.request.formData();
  if (form.get('accion') === 'opciones')
    return json(200, { options: await secondFactorPasskeyOptions(ctx.locals.db, session, rp) });
  try {
    const credential = JSON.parse(String(form.get('credencial') ?? 'null'));
    const done = await verifySecondFactorPasskey(
      ctx.locals.db,
      session,
      credential,
      rp,
      signInClient(ctx),
      ctx.locals.now(),
    );
    setSessionCookie(ctx, done.token, done.expiresAt);
    const back = safeReturnPath(String(form.get('volver') ?? ''));
    return json(200, { redirect: session.user.mustChangePassword ? '/noc/contrasena' : back });
  } catch (err) {
    if (err instanceof SyntaxError) return json(400, { error: 'La respuesta de la llave no es válida.' });
    if (!(err instanceof CommandError)) throw err;
    return json(err.status, { error: err.message });
  }
}
