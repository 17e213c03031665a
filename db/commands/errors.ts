export interface FieldError {
  path: string;
  message: string;
}

/**
 * A command refused its input. Nothing was written (the transaction rolled back). The API maps
 * it to `{ error: { code, message, fields } }` with `status`; forms show `fields` next to inputs.
 */
export class CommandError extends Error {
  readonly code: string;
  readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503;
  readonly fields?: FieldError[];
  /** For 429 and 503: when trying again makes sense (the API sends it as `Retry-After`). */
  readonly retryAfterSeconds?: number;
  constructor(status: CommandError['status'], code: string, message: string, fields?: FieldError[], options: { retryAfterSeconds?: number } = {}) {
    super(message);
    this.name = 'CommandError';
    this.status = status;
    this.code = code;
    this.fields = fields;
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function notFound(what: string, id: string): CommandError {
  return new CommandError(404, 'not_found', `No existe ${what} «${id}».`);
}
