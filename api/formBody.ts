// The size of a form POST (everything that is not /api/*), enforced before anything buffers
// it. The Node adapter would otherwise let Astro read up to 1 GB per request into memory: one
// chunked 200 MB post to /suscribirse, which needs no login, grew the server by 600 MB.
// The API's JSON bodies have their own limits, where each route is declared (hono/body-limit).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isConsolePath } from './consoleSession.ts';
import { EMERGENCY_PHONE, EMERGENCY_PHONE_TEL } from '#db/supportChannels.ts';
import { escapeHtml } from './render/html.ts';

/** Public forms (subscription, coverage request, sign-in) are a few hundred bytes. */
export const FORM_BODY_LIMIT = 16 * 1024;
/**
 * Console forms carry incident and maintenance texts: a 20,000-character update written in
 * three-byte characters URL-encodes to 180 KB.
 */
export const CONSOLE_FORM_BODY_LIMIT = 256 * 1024;

/**
 * The larger limit is for a signed-in operator's console forms only: anyone else posting to
 * /noc (the sign-in form, or a form without a session, which is redirected anyway) gets the
 * public limit, so unauthenticated posts hold at most 16 KB each.
 */
export function formBodyLimitFor(path: string, signedIn: boolean): number {
  return signedIn && isConsolePath(path) ? CONSOLE_FORM_BODY_LIMIT : FORM_BODY_LIMIT;
}

/**
 * Reads the whole body if it stays within `limit` bytes; null as soon as it does not (a
 * declared Content-Length over the limit is refused before reading a byte; a chunked body is
 * counted as it arrives and never held beyond the limit).
 */
export function readBodyWithin(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        done();
        req.pause();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    const onClose = () => {
      if (!req.complete) {
        done();
        reject(new Error('El cliente cerró la conexión antes de terminar el formulario.'));
      }
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** After a 413, how much more of the upload is read (and dropped) before the connection is cut. */
const LINGER_BYTES = 16 * 1024 * 1024;
const LINGER_MS = 2000;

/**
 * 413 in Spanish. The rest of the upload is read and dropped (never kept) for a moment before
 * the connection is cut: closing a socket with unread data makes the kernel send a reset,
 * which can destroy the 413 before the client reads it (nginx's "lingering close").
 * `back` is the form's own path, offered as the way back.
 */
export function sendTooLarge(req: IncomingMessage, res: ServerResponse, back: string, limit: number): void {
  const kb = Math.round(limit / 1024);
  const html =
    '<!doctype html><html lang="es-MX"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<title>Formulario demasiado grande · SOMNET</title></head><body><main>' +
    '<h1>El formulario es demasiado grande</h1>' +
    `<p>Lo que envió supera el máximo de ${kb} KB para este formulario, así que no se guardó nada. Acorte el texto y vuelva a enviarlo.</p>` +
    `<p><a href="${escapeHtml(back)}">Volver al formulario</a> · Emergencias (sin servicio): <a href="${EMERGENCY_PHONE_TEL}">${EMERGENCY_PHONE}</a></p>` +
    '</main></body></html>';
  let dropped = 0;
  const cut = () => req.socket?.destroy();
  const timer = setTimeout(cut, LINGER_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > LINGER_BYTES) cut();
  });
  req.on('end', () => clearTimeout(timer));
  req.on('close', () => clearTimeout(timer));
  req.resume();
  res.writeHead(413, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(html);
}
