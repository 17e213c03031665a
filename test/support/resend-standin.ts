// A local stand-in for the Resend API (https://resend.com/docs/api-reference): a real HTTP
// server speaking POST /emails and POST /emails/batch as documented — bearer auth, JSON bodies,
// ids back, Idempotency-Key replay (409 when a key is reused with another body), 422 for
// invalid emails and 429 with retry-after on demand.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface DeliveredEmail {
  id: string;
  from: string;
  to: string;
  subject: string;
  text?: string;
  html?: string;
  headers?: Record<string, string>;
  attachments?: unknown[];
  idempotencyKey: string | null;
}

export interface StandinOptions {
  apiKey?: string;
  /** Milliseconds before answering (lets a test kill the client mid-request). */
  delayMs?: number;
  /** false: keep only id, recipient and key of each email (benchmarks with 100,000 emails). */
  keepBodies?: boolean;
}

export async function startResendStandin(options: StandinOptions = {}) {
  const apiKey = options.apiKey ?? 're_test_standin';
  const delivered: DeliveredEmail[] = [];
  const idempotency = new Map<string, { bodyHash: string; status: number; answer: unknown }>();
  const rejected = new Set<string>();
  const scripted: Array<{ status: number; retryAfter?: number }> = [];
  const stats = { requests: 0, batchRequests: 0, singleRequests: 0, replays: 0, maxBatch: 0 };
  let delayMs = options.delayMs ?? 0;
  let onRequest: ((path: string) => void) | undefined;

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const error = (status: number, name: string, message: string) => ({ statusCode: status, name, message });

  function validate(email: Record<string, unknown>): string | null {
    for (const field of ['from', 'to', 'subject']) if (!email[field]) return `The \`${field}\` field is required.`;
    const to = Array.isArray(email.to) ? email.to : [email.to];
    for (const address of to) {
      if (typeof address !== 'string' || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(address))
        return `Invalid \`to\` field: ${String(address)}.`;
      if (rejected.has(address)) return `Invalid \`to\` field. The email address is not allowed: ${address}.`;
    }
    if (!email.html && !email.text) return 'Missing `html` or `text` field.';
    return null;
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    stats.requests++;
    onRequest?.(req.url ?? '');
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    if (req.method !== 'POST' || (req.url !== '/emails' && req.url !== '/emails/batch'))
      return send(res, 404, error(404, 'not_found', 'The requested endpoint does not exist.'));
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      return send(
        res,
        req.headers.authorization ? 403 : 401,
        error(
          req.headers.authorization ? 403 : 401,
          req.headers.authorization ? 'invalid_api_key' : 'missing_api_key',
          'API key is invalid',
        ),
      );
    }
    if (!/^application\/json/.test(req.headers['content-type'] ?? ''))
      return send(res, 422, error(422, 'validation_error', 'Content-Type must be application/json.'));
    const next = scripted.shift();
    if (next) {
      return send(
        res,
        next.status,
        error(
          next.status,
          next.status === 429 ? 'rate_limit_exceeded' : 'internal_server_error',
          next.status === 429 ? 'Too many requests.' : 'Unexpected error.',
        ),
        next.retryAfter !== undefined ? { 'retry-after': String(next.retryAfter) } : {},
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return send(res, 400, error(400, 'invalid_json', 'Invalid JSON body.'));
    }
    const key = (req.headers['idempotency-key'] as string | undefined) ?? null;
    const bodyHash = createHash('sha256').update(`${req.url}\n${raw}`).digest('hex');
    if (key) {
      const seen = idempotency.get(key);
      if (seen) {
        if (seen.bodyHash !== bodyHash)
          return send(
            res,
            409,
            error(409, 'invalid_idempotent_request', 'Same idempotency key used with a different request payload.'),
          );
        stats.replays++;
        return send(res, seen.status, seen.answer);
      }
    }
    const batch = req.url === '/emails/batch';
    const emails = (batch ? body : [body]) as Array<Record<string, unknown>>;
    if (batch) stats.batchRequests++;
    else stats.singleRequests++;
    if (batch && (!Array.isArray(emails) || emails.length === 0 || emails.length > 100))
      return send(res, 422, error(422, 'validation_error', 'Batch must contain between 1 and 100 emails.'));
    stats.maxBatch = Math.max(stats.maxBatch, emails.length);
    for (const [i, e] of emails.entries()) {
      if (batch && e.attachments)
        return send(
          res,
          422,
          error(422, 'validation_error', `emails[${i}]: attachments are not supported in batch sends.`),
        );
      const problem = validate(e);
      if (problem) return send(res, 422, error(422, 'validation_error', batch ? `emails[${i}]: ${problem}` : problem));
    }
    const ids = emails.map((e) => {
      const id = randomUUID();
      const to = String(Array.isArray(e.to) ? e.to[0] : e.to);
      delivered.push(
        options.keepBodies === false
          ? { id, from: '', to, subject: '', idempotencyKey: key }
          : {
              id,
              from: String(e.from),
              to,
              subject: String(e.subject),
              text: e.text as string | undefined,
              html: e.html as string | undefined,
              headers: e.headers as Record<string, string> | undefined,
              attachments: e.attachments as unknown[] | undefined,
              idempotencyKey: key,
            },
      );
      return id;
    });
    const answer = batch ? { data: ids.map((id) => ({ id })) } : { id: ids[0] };
    if (key) idempotency.set(key, { bodyHash, status: 200, answer });
    send(res, 200, answer);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => send(res, 500, error(500, 'internal_server_error', String(err))));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url,
    apiKey,
    delivered,
    stats,
    /** The next calls answer with these statuses (e.g. 429 with retry-after seconds, 500). */
    failNext(...answers: Array<{ status: number; retryAfter?: number }>) {
      scripted.push(...answers);
    },
    /** Emails to this address are refused with 422 validation_error. */
    reject(address: string) {
      rejected.add(address);
    },
    setDelay(ms: number) {
      delayMs = ms;
    },
    onRequest(fn: (path: string) => void) {
      onRequest = fn;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
