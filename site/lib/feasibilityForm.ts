// /cobertura's feasibility form (manual 2.3): what a POST does and what the page shows after it.
// The page hands the request here and renders the outcome; the command
// (db/commands/feasibility.ts) owns the fields, their limits, their Spanish messages and the
// hourly limit per sender. Plain values in, so tests call it on a real database without a server.
import type { Db } from '#db/client.ts';
import { submitFeasibilityRequest } from '#db/commands/feasibility.ts';
import { refusal, refusalStatus } from '../console/action.ts';
import { postedForm, UNREADABLE_FORM } from './postedForm.ts';

/** Where a received request goes (303, so a reload does not send it again). */
export const FEASIBILITY_RECEIVED = '/cobertura?solicitud=recibida#factibilidad';

/** How much of each field a refused form shows back (the form limit is 16 KB in all). */
const ECHO_LIMIT = 4000;

export interface FeasibilityFormState {
  status: number;
  /** What was sent, shown back in the fields. */
  values: Record<string, string>;
  /** Per field (`company`, `latitude`…), shown next to it. */
  errors: Record<string, string>;
  /** The message above the form. */
  formError: string | null;
}

export interface PublicFormRequest {
  db: Db;
  now: Date;
  /** The sender's address as the server decided it (api/clientIp.ts). */
  clientAddress: string;
}

export async function feasibilityFormAction(
  req: PublicFormRequest,
  request: Request,
): Promise<{ redirect: string } | FeasibilityFormState> {
  const form = await postedForm(request);
  if (!form) return { status: 400, values: {}, errors: {}, formError: UNREADABLE_FORM };
  const values = Object.fromEntries(
    [...form.entries()].filter(([, v]) => typeof v === 'string').map(([k, v]) => [k, String(v).slice(0, ECHO_LIMIT)]),
  );
  try {
    submitFeasibilityRequest(req.db, values, req.clientAddress, {
      now: req.now,
      actor: { kind: 'user', name: 'formulario-cobertura' },
    });
    return { redirect: FEASIBILITY_RECEIVED };
  } catch (err) {
    const { form: formError, ...errors } = refusal(err);
    return { status: refusalStatus(err), values, errors, formError };
  }
}
