import type { AppDeps } from '../context.ts';
import { clockWorker } from './clock.ts';
import { webhookWorker } from './webhooks.ts';
import { emailWorker } from './email.ts';
import { qualityWorker } from './quality.ts';
import { alertResumer } from './alertResumer.ts';
import { channelWorkers } from './channels.ts';
import { outboxRetention } from './outboxRetention.ts';
import { fanOutWorker } from './fanout.ts';
import { walCheckpointWorker } from './walCheckpoint.ts';

/**
 * Background work that runs inside the server process (outbox delivery, maintenance
 * transitions, …). `start` returns a function that stops it; the server stops every worker
 * before closing the database.
 */
export interface BackgroundWorker {
  name: string;
  start(deps: AppDeps): () => Promise<void> | void;
}

/** Every worker the server runs. Features add theirs here. */
export const workers: BackgroundWorker[] = [
  clockWorker(),
  fanOutWorker(),
  webhookWorker(),
  emailWorker(),
  channelWorkers(),
  qualityWorker(),
  alertResumer(),
  outboxRetention(),
  walCheckpointWorker(),
];
