// One HTTP POST to a subscriber, with the SSRF guard of db/domain/webhookTargets.ts applied to
// the address the socket actually connects to (a custom DNS lookup), no redirects followed,
// and an overall deadline.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPublicAddress } from '#db/domain/webhookTargets.ts';

/** `permanent`: retrying cannot help (refused target, bad URL). */
export type PostResult =
  | { ok: true; status: number; retryAfterMs?: number; body?: string; headers?: Record<string, string> }
  | { ok: false; error: string; permanent?: boolean };

export interface PostOptions {
  timeoutMs: number;
  allowPrivateTargets: boolean;
  signal?: AbortSignal;
  /** Keep the first 8 KB of the answer (a chat provider's error says why) and its headers. */
  readBody?: boolean;
}

const REFUSED = 'La dirección de destino es privada o reservada; no se entrega.';

function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as unknown as LookupAddress[];
      if (!allowPrivate && (list.length === 0 || list.some((a) => !isPublicAddress(a.address)))) {
        return callback(Object.assign(new Error(REFUSED), { code: 'EPRIVATE' }), '', 0);
      }
      if ((options as { all?: boolean }).all)
        (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      else callback(null, list[0].address, list[0].family);
    });
  };
}

function retryAfter(header: string | undefined): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 3_600_000) : undefined;
}

export function postWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: PostOptions,
): Promise<PostResult> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return resolve({ ok: false, error: 'URL inválida.', permanent: true });
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (!options.allowPrivateTargets && isIP(host) && !isPublicAddress(host))
      return resolve({ ok: false, error: REFUSED, permanent: true });
    if (options.signal?.aborted) return resolve({ ok: false, error: 'Entrega interrumpida al detener el servidor.' });
    const request = target.protocol === 'https:' ? httpsRequest : target.protocol === 'http:' ? httpRequest : null;
    if (!request) return resolve({ ok: false, error: 'Solo se admiten URL http:// o https://.', permanent: true });
    let settled = false;
    const finish = (result: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const req = request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: guardedLookup(options.allowPrivateTargets),
        agent: false,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const hint = retryAfter(res.headers['retry-after'] as string | undefined);
        if (!options.readBody) {
          res.resume();
          finish({ ok: true, status, retryAfterMs: hint });
          res.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < 8192) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () =>
          finish({
            ok: true,
            status,
            retryAfterMs: hint,
            body: Buffer.concat(chunks).toString('utf8').slice(0, 8192),
            headers: Object.fromEntries(
              Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v ?? '')]),
            ),
          }),
        );
        res.on('error', (err) => finish({ ok: false, error: `Error de conexión: ${err.message}` }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish({ ok: false, error: `Sin respuesta en ${Math.round(options.timeoutMs / 1000)} s.` });
    }, options.timeoutMs);
    const onAbort = () => {
      req.destroy();
      finish({ ok: false, error: 'Entrega interrumpida al detener el servidor.' });
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) =>
      finish(
        (err as NodeJS.ErrnoException).code === 'EPRIVATE'
          ? { ok: false, error: REFUSED, permanent: true }
          : { ok: false, error: `Error de conexión: ${err.message}` },
      ),
    );
    req.end(body);
  });
}
