import type { APIRoute } from 'astro';
import { startSso } from '../../console/sso.ts';
import { pageContext } from '../../console/login.ts';

/** GET /noc/sso: single sign-on starts at the identity provider. */
export const GET: APIRoute = async (context) => {
  const outcome = await startSso(pageContext(context));
  if ('redirect' in outcome) return context.redirect(outcome.redirect, 303);
  return context.redirect(`/noc/sso/retorno?falla=${outcome.status}`, 303);
};
