// Single sign-on with OpenID Connect (authorization code + PKCE) through openid-client: /noc/sso
// sends the browser to the identity provider with a fresh state, nonce and PKCE challenge kept
// server-side under a cookie; /noc/sso/retorno checks them (openid-client verifies the state,
// the ID token's signature, issuer, audience, expiry and nonce) and db/commands/sso.ts decides
// whether that person may enter.
import * as oidc from 'openid-client';
import { CommandError } from '#db/commands/errors.ts';
import { startLoginFlow, takeLoginFlow } from '#db/commands/passkeys.ts';
import { recordSsoFailure, signInWithSso } from '#db/commands/sso.ts';
import type { OidcConfig } from '../../api/config.ts';
import type { PageContext } from './login.ts';
import { isHttps, safeReturnPath, setSessionCookie, signInClient } from './session.ts';

const SSO_COOKIE = 'somnet_noc_sso';
/** Time to come back from the provider (a sign-in with its MFA prompt). */
const FLOW_MS = 10 * 60_000;

const configurations = new Map<string, Promise<oidc.Configuration>>();

/** The provider's metadata (discovery), fetched once per process; a failure is retried next time. */
function configurationOf(settings: OidcConfig): Promise<oidc.Configuration> {
  const key = `${settings.issuer}\n${settings.clientId}`;
  let config = configurations.get(key);
  if (!config) {
    const insecure = new URL(settings.issuer).protocol === 'http:'; // loopback only (api/config.ts)
    config = oidc.discovery(
      new URL(settings.issuer),
      settings.clientId,
      settings.clientSecret,
      undefined,
      insecure ? { execute: [oidc.allowInsecureRequests] } : undefined,
    );
    config.catch(() => configurations.delete(key));
    configurations.set(key, config);
  }
  return config;
}

export function ssoRedirectUri(publicUrl: string): string {
  return `${publicUrl}/noc/sso/retorno`;
}

/** GET /noc/sso: to the provider's authorization endpoint. */
export async function startSso(ctx: PageContext): Promise<{ redirect: string } | { status: number; error: string }> {
  const { db, now, auth, publicUrl } = ctx.locals;
  if (!auth.oidc) return { status: 404, error: 'El inicio de sesión único no está configurado.' };
  let config: oidc.Configuration;
  try {
    config = await configurationOf(auth.oidc);
  } catch {
    return { status: 502, error: 'No se pudo contactar al proveedor de identidad. Intente de nuevo en unos minutos.' };
  }
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const back = safeReturnPath(ctx.url.searchParams.get('volver'));
  const flowToken = startLoginFlow(db, 'oidc', { state, nonce, verifier, back }, now(), FLOW_MS);
  // Lax: the provider sends the browser back with a top-level GET from its own site.
  ctx.cookies.set(SSO_COOKIE, flowToken, {
    httpOnly: true,
    sameSite: 'lax',
    secure: isHttps(publicUrl),
    path: '/noc/sso',
    maxAge: FLOW_MS / 1000,
  });
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: ssoRedirectUri(publicUrl),
    scope: 'openid email profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return { redirect: url.href };
}

function claimValues(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/** GET /noc/sso/retorno: the provider's answer, checked, then the console session. */
export async function finishSso(ctx: PageContext): Promise<{ redirect: string } | { status: number; error: string }> {
  const { db, now, auth, publicUrl } = ctx.locals;
  if (!auth.oidc) return { status: 404, error: 'El inicio de sesión único no está configurado.' };
  const client = signInClient(ctx);
  const flow = takeLoginFlow(db, ctx.cookies.get(SSO_COOKIE)?.value ?? '', 'oidc', now());
  ctx.cookies.delete(SSO_COOKIE, { path: '/noc/sso' });
  if (!flow) {
    recordSsoFailure(db, client, 'no_flow', 'Sin inicio de sesión único en curso para este navegador.', now());
    return {
      status: 400,
      error:
        'El inicio de sesión único expiró o no empezó en este navegador. Vuelva a intentarlo desde la página de inicio de sesión.',
    };
  }
  let identity;
  try {
    const config = await configurationOf(auth.oidc);
    const current = new URL(`${ssoRedirectUri(publicUrl)}${ctx.url.search}`);
    const tokens = await oidc.authorizationCodeGrant(config, current, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims()!;
    let extra: Record<string, unknown> = {};
    const roleClaim = auth.oidc.roleClaim;
    // Some providers leave the email (or the groups) out of the ID token: the UserInfo endpoint has them.
    if ((!claims.email || (roleClaim && claims[roleClaim] === undefined)) && tokens.access_token)
      extra = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub).catch(() => ({}));
    const all = { ...extra, ...claims };
    identity = {
      issuer: claims.iss,
      subject: claims.sub,
      email: typeof all.email === 'string' ? all.email : undefined,
      emailVerified: typeof all.email_verified === 'boolean' ? all.email_verified : undefined,
      roleValues: roleClaim ? claimValues(all[roleClaim]) : undefined,
    };
  } catch (err) {
    const detail =
      err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err);
    recordSsoFailure(db, client, 'oidc_refused', detail, now());
    return {
      status: 400,
      error:
        'El proveedor de identidad no confirmó el inicio de sesión (la respuesta no coincide con la solicitud). Vuelva a intentarlo.',
    };
  }
  try {
    const opened = signInWithSso(
      db,
      identity,
      { roleFromClaim: !!auth.oidc.roleClaim, roleMap: auth.oidc.roleMap, createUsers: auth.oidc.createUsers },
      client,
      now(),
    );
    setSessionCookie(ctx, opened.token, opened.expiresAt);
    return { redirect: safeReturnPath(flow.back) };
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    return { status: err.status, error: err.message };
  }
}
