import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { CommandError, type FieldError } from '#db/commands/errors.ts';

/** The one error shape of every API answer: `{ error: { code, message, fields? } }`. */
export function errorResponse(c: Context, status: number, code: string, message: string, fields?: FieldError[]) {
  return c.json(
    { error: { code, message, ...(fields && fields.length ? { fields } : {}) } },
    status as ContentfulStatusCode,
  );
}

export function commandErrorResponse(c: Context, err: CommandError) {
  if (err.retryAfterSeconds !== undefined) c.header('retry-after', String(err.retryAfterSeconds));
  return errorResponse(c, err.status, err.code, err.message, err.fields);
}

export { CommandError };
