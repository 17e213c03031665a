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
  constructor(
    status: CommandError['status'],
    code: string,
    message: string,
    fields?: FieldError[],
    options: { retryAfterSeconds?: number } = {},
  ) {
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

/**
 * 422 for references that name nothing in the catalogue, one field error per reference at the
 * path where it was given (see resolveRefs in db/queries/catalog.ts).
 */
export function unknownRefs(
  unknown: ReadonlyArray<{ path: string; ref: string; message: string }>,
  code: 'unknown_component' | 'unknown_group' | 'unknown_area' | 'unknown_element' = 'unknown_component',
): CommandError {
  const message =
    unknown.length === 1
      ? unknown[0].message
      : `No existen en el catálogo: ${unknown.map((u) => `«${u.ref}»`).join(', ')}.`;
  return new CommandError(
    422,
    code,
    message,
    unknown.map(({ path, message }) => ({ path, message })),
  );
}
