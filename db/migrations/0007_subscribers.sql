CREATE TABLE `email_notices` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`props` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `subscriber_components` (
	`subscriber_id` text NOT NULL,
	`component_id` text NOT NULL,
	PRIMARY KEY(`subscriber_id`, `component_id`),
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`component_id`) REFERENCES `components`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `subscriber_components_component_idx` ON `subscriber_components` (`component_id`);--> statement-breakpoint
CREATE TABLE `subscriber_tokens` (
	`id` integer PRIMARY KEY NOT NULL,
	`secret_hash` text NOT NULL,
	`subscriber_id` text NOT NULL,
	`purpose` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `subscriber_tokens_subscriber_idx` ON `subscriber_tokens` (`subscriber_id`);--> statement-breakpoint
CREATE INDEX `subscriber_tokens_expires_idx` ON `subscriber_tokens` (`expires_at`);--> statement-breakpoint
CREATE TABLE `subscribers` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`customer_id` text,
	`kind` text DEFAULT 'public' NOT NULL,
	`all_components` integer DEFAULT true NOT NULL,
	`confirmed_at` integer,
	`expires_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `subscribers_email_unique` ON `subscribers` (`email`);--> statement-breakpoint
CREATE INDEX `subscribers_confirmed_idx` ON `subscribers` (`confirmed_at`);--> statement-breakpoint
CREATE INDEX `subscribers_expires_idx` ON `subscribers` (`expires_at`);--> statement-breakpoint
CREATE TABLE `subscription_attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`scope` text NOT NULL,
	`key_hash` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `subscription_attempts_key_idx` ON `subscription_attempts` (`scope`,`key_hash`,`at`);--> statement-breakpoint
DROP INDEX `outbox_batch_idx`;--> statement-breakpoint
CREATE INDEX `outbox_claimed_idx` ON `outbox_messages` (`channel`,`next_attempt_at`) WHERE status = 'pending' AND batch_key IS NOT NULL;--> statement-breakpoint
CREATE INDEX `outbox_batch_idx` ON `outbox_messages` (`batch_key`) WHERE batch_key IS NOT NULL;