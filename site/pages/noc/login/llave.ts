import type { APIRoute } from 'astro';
import { pageContext, passkeyLoginEndpoint } from '../../../console/login.ts';

/** POST /noc/login/llave: sign in with a passkey alone (site/scripts/passkey.ts calls it). */
export const POST: APIRoute = (context) => passkeyLoginEndpoint(pageContext(context));
