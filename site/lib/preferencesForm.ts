// /suscripcion/preferencias?token=…: what the page shows for a manage link, and what saving the
// form does. The page renders the outcome; updatePreferences (db/commands/subscribers.ts) checks
// the link, the components and the customer ID. Tests call it on a real database, no server.
import type { Db } from '#db/client.ts';
import { updatePreferences } from '#db/commands/subscribers.ts';
import { CommandError } from '#db/commands/errors.ts';
import { componentCatalogue, subscriberByManageToken, type SubscriberView } from '#db/queries/index.ts';
import { NOTHING_CHOSEN, readChoices } from './subscriptionForm.ts';
import { postedForm, UNREADABLE_FORM } from './postedForm.ts';

export interface PreferencesState {
  status: number;
  /** Null: the link is not valid (or no longer). */
  subscriber: SubscriberView | null;
  saved: boolean;
  /** The command's refusal, above the form. */
  error: string | null;
  /** Next to the component chooser. */
  componentError?: string;
  /** What the refused form had chosen, shown again in the chooser (the subscriber's scope is unchanged). */
  chosen?: { componentIds: string[]; all: boolean };
}

/** `request` is the POST that sent the form, or null for a GET. */
export async function preferencesPage(
  req: { db: Db; now: Date },
  token: string,
  request: Request | null,
): Promise<PreferencesState> {
  const state: PreferencesState = { status: 200, subscriber: null, saved: false, error: null };
  const current = request ? subscriberByManageToken(req.db, token, req.now) : null;
  if (request && current) {
    const form = await postedForm(request);
    if (!form) {
      state.status = 400;
      state.error = UNREADABLE_FORM;
    }
    if (form) {
      const choices = readChoices(form, componentCatalogue(req.db));
      // Nothing chosen asks, unless the subscriber hears about services of its own (then it means those only).
      if (!choices.all && choices.components.length === 0 && current.serviceIds.length === 0) {
        state.status = 422;
        state.error = NOTHING_CHOSEN;
        state.componentError = NOTHING_CHOSEN;
        state.chosen = { componentIds: [], all: false };
        state.subscriber = current;
        return state;
      }
      try {
        updatePreferences(
          req.db,
          token,
          { components: choices.components, customerId: choices.customerId },
          { now: req.now, actor: { kind: 'user', name: 'preferencias' } },
        );
        state.saved = true;
      } catch (err) {
        if (!(err instanceof CommandError)) throw err;
        state.status = err.status;
        state.error = err.message;
        state.componentError = err.fields?.find((f) => f.path.startsWith('components'))?.message;
      }
    }
  }
  state.subscriber = subscriberByManageToken(req.db, token, req.now);
  if (!state.subscriber) state.status = 404;
  return state;
}
