// Importing this module registers every notification channel's fan-out (see ./index.ts).
// Each channel adds one import line here.
import './subscribers.ts';
export {};
import './webhooks.ts';
