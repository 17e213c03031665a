import type { APIRoute } from 'astro';
import { passkeyRegistrationEndpoint } from '../../../console/security.ts';
import { pageContext } from '../../../console/login.ts';

/** POST /noc/seguridad/llaves: add a passkey (site/scripts/passkey.ts calls it). */
export const POST: APIRoute = (context) => passkeyRegistrationEndpoint(pageContext(context));
