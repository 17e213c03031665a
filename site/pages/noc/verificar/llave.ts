import type { APIRoute } from 'astro';
import { verifyPasskeyEndpoint } from '../../../console/verify.ts';
import { pageContext } from '../../../console/login.ts';

/** POST /noc/verificar/llave: a passkey as the second factor (site/scripts/passkey.ts calls it). */
export const POST: APIRoute = (context) => verifyPasskeyEndpoint(pageContext(context));
