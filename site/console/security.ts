// /noc/seguridad: the user's own second factors — the authenticator app (TOTP: QR code as SVG,
// the otpauth:// URI as text, a code to confirm), recovery codes (shown once), passkeys (add
// through POST /noc/seguridad/llaves, remove here). With CONSOLE_2FA=required a user without a
// second factor is sent here before any other page.
import QRCode from 'qrcode';
import { CommandError } from '#db/commands/errors.ts';
import { passkeyRegistrationOptions, registerPasskey, relyingPartyOf, removePasskey } from '#db/commands/passkeys.ts';
import { confirmTotpEnrolment, regenerateRecoveryCodes, totpEnrolment } from '#db/commands/secondFactor.ts';
import { secondFactorOf, type SecondFactorView } from '#db/queries/console.ts';
import { contextOf } from './action.ts';
import { json, type PageContext } from './login.ts';
import { consoleAccess, requireSession } from './session.ts';

export interface SecurityView {
  factors: SecondFactorView;
  /** The user must enrol before anything else (CONSOLE_2FA=required). */
  mustEnrol: boolean;
  required: boolean;
  /** TOTP enrolment under way: the QR code (SVG markup we made) and the URI as text. */
  enrolment?: { svg: string; uri: string; secret: string };
  /** Recovery codes just made: their only showing. */
  recoveryCodes?: string[];
  errors: Record<string, string>;
  notice?: string;
}

async function qrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

export async function securityPage(
  ctx: PageContext,
): Promise<{ redirect: string } | { status: number; view: SecurityView }> {
  const session = requireSession(ctx);
  const { db, now, auth } = ctx.locals;
  const mustEnrol = consoleAccess(session, auth) === 'enrol';
  const view: SecurityView = {
    factors: secondFactorOf(db, session.user.id),
    mustEnrol,
    required: auth.secondFactor === 'required',
    errors: {},
    notice:
      ctx.url.searchParams.get('aviso') === 'recuperacion'
        ? 'Entró con un código de recuperación, que ya no sirve. Si perdió el teléfono, configure la aplicación de nuevo aquí.'
        : ctx.url.searchParams.get('aviso') === 'llave'
          ? 'Llave de acceso agregada.'
          : undefined,
  };
  const wantsTotp =
    ctx.url.searchParams.get('totp') === 'configurar' || (mustEnrol && view.factors.passkeys.length === 0);
  const showEnrolment = async () => {
    const { secret, uri } = totpEnrolment(db, session);
    view.enrolment = { svg: await qrSvg(uri), uri, secret };
  };
  if (ctx.request.method !== 'POST') {
    if (wantsTotp || mustEnrol) await showEnrolment();
    return { status: 200, view };
  }
  const form = await ctx.request.formData();
  const action = String(form.get('accion') ?? '');
  const context = { now: now(), actor: contextOf({ db, now: now(), session }).actor };
  try {
    if (action === 'totp') {
      const { recoveryCodes } = confirmTotpEnrolment(
        db,
        session,
        String(form.get('codigo') ?? '').slice(0, 64),
        context,
      );
      view.recoveryCodes = recoveryCodes;
      view.factors = secondFactorOf(db, session.user.id);
      view.mustEnrol = false;
      view.notice = 'Aplicación de autenticación configurada.';
      return { status: 200, view };
    }
    if (action === 'recuperacion') {
      view.recoveryCodes = regenerateRecoveryCodes(db, session.user, context);
      view.factors = secondFactorOf(db, session.user.id);
      return { status: 200, view };
    }
    if (action === 'quitar-llave') {
      removePasskey(
        db,
        session.user,
        String(form.get('llave') ?? ''),
        { secondFactorRequired: auth.secondFactor === 'required' },
        context,
      );
      return { redirect: '/noc/seguridad' };
    }
    throw new CommandError(400, 'unknown_action', 'Acción desconocida.');
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    view.errors = { form: err.message };
    for (const f of err.fields ?? []) view.errors[f.path] ??= f.message;
    if (action === 'totp') await showEnrolment();
    return { status: err.status, view };
  }
}

/** POST /noc/seguridad/llaves: add a passkey (`opciones`, then `registrar` with its name). */
export async function passkeyRegistrationEndpoint(ctx: PageContext): Promise<Response> {
  const session = requireSession(ctx);
  const { db, now, publicUrl } = ctx.locals;
  const rp = relyingPartyOf(publicUrl);
  const form = await ctx.request.formData();
  if (form.get('accion') === 'opciones')
    return json(200, { options: await passkeyRegistrationOptions(db, session, rp) });
  try {
    const credential = JSON.parse(String(form.get('credencial') ?? 'null'));
    await registerPasskey(db, session, credential, String(form.get('nombre') ?? ''), rp, {
      now: now(),
      actor: { kind: 'user', name: session.user.email },
    });
    return json(200, { redirect: '/noc/seguridad?aviso=llave' });
  } catch (err) {
    if (err instanceof SyntaxError) return json(400, { error: 'La respuesta de la llave no es válida.' });
    if (!(err instanceof CommandError)) throw err;
    return json(err.status, { error: err.fields?.[0]?.message ?? err.message });
  }
}
