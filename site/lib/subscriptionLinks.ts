// The two pages an email's links open: /suscripcion/confirmar and /suscripcion/baja. Opening a
// link only shows a button (mail scanners open links, a person presses buttons); the POST of
// that button does the work. The pages render what these return; the commands
// (db/commands/subscribers.ts) check the link. Tests call them on a real database, no server.
import type { Db } from '#db/client.ts';
import { confirmSubscription, unsubscribe } from '#db/commands/subscribers.ts';
import { CommandError } from '#db/commands/errors.ts';
import { isConfirmTokenValid, subscriberByManageToken, type SubscriberView } from '#db/queries/index.ts';

interface LinkRequest {
  db: Db;
  now: Date;
}

export interface ConfirmState {
  status: number;
  /** The link can still confirm (shows the button). */
  valid: boolean;
  /** Confirmed by this POST: the preferences link to offer. */
  confirmed: { manageToken: string } | null;
  subscriber: SubscriberView | null;
  /** A refusal that is not about the link (database busy, disk full: 503); the link still works. */
  unavailable: string | null;
}

/** `post`: the button was pressed. */
export function confirmPage(req: LinkRequest, token: string, post: boolean): ConfirmState {
  const state: ConfirmState = {
    status: 200,
    valid: isConfirmTokenValid(req.db, token, req.now),
    confirmed: null,
    subscriber: null,
    unavailable: null,
  };
  if (post) {
    try {
      state.confirmed = confirmSubscription(req.db, token, { now: req.now, actor: { kind: 'user', name: 'público' } });
    } catch (err) {
      if (!(err instanceof CommandError)) throw err;
      if (err.status === 503) state.unavailable = err.message;
      else state.valid = false;
    }
  }
  if (state.confirmed) state.subscriber = subscriberByManageToken(req.db, state.confirmed.manageToken, req.now);
  if (state.unavailable) state.status = 503;
  else if (!state.confirmed && !state.valid) state.status = 404;
  return state;
}

export interface UnsubscribeState {
  status: number;
  /** Unsubscribed by this POST. */
  done: boolean;
  /** Still subscribed: the page asks to confirm. Null: nothing (left) to cancel. */
  subscriber: SubscriberView | null;
  /** Why the POST did not cancel (e.g. the database busy, 503), shown above the button. */
  error: string | null;
}

export function unsubscribePage(req: LinkRequest, token: string, post: boolean): UnsubscribeState {
  const state: UnsubscribeState = { status: 200, done: false, subscriber: null, error: null };
  if (post) {
    try {
      unsubscribe(req.db, token, { now: req.now, actor: { kind: 'user', name: 'página de baja' } });
      state.done = true;
    } catch (err) {
      if (!(err instanceof CommandError)) throw err;
      state.status = err.status;
      state.error = err.message;
    }
  }
  if (!state.done) state.subscriber = subscriberByManageToken(req.db, token, req.now);
  return state;
}
