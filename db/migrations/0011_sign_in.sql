CREATE TABLE `console_login_flows` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`data` text NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `console_passkeys` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` integer NOT NULL,
	`name` text NOT NULL,
	`public_key` blob NOT NULL,
	`counter` integer DEFAULT 0 NOT NULL,
	`transports` text DEFAULT '[]' NOT NULL,
	`backed_up` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `console_users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `console_passkeys_user_idx` ON `console_passkeys` (`user_id`);--> statement-breakpoint
CREATE TABLE `console_recovery_codes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`code_hash` text NOT NULL,
	`used_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `console_users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `console_recovery_codes_code_hash_unique` ON `console_recovery_codes` (`code_hash`);--> statement-breakpoint
CREATE INDEX `console_recovery_codes_user_idx` ON `console_recovery_codes` (`user_id`);--> statement-breakpoint
ALTER TABLE `api_tokens` ADD `scopes` text DEFAULT 'all' NOT NULL;--> statement-breakpoint
ALTER TABLE `api_tokens` ADD `expires_at` integer;--> statement-breakpoint
ALTER TABLE `console_sessions` ADD `last_seen_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `console_sessions` ADD `method` text DEFAULT 'password' NOT NULL;--> statement-breakpoint
ALTER TABLE `console_sessions` ADD `complete` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `console_sessions` ADD `address` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `console_sessions` ADD `user_agent` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `console_sessions` ADD `pending_totp_secret` text;--> statement-breakpoint
ALTER TABLE `console_sessions` ADD `challenge` text;--> statement-breakpoint
ALTER TABLE `console_users` ADD `totp_secret` text;--> statement-breakpoint
ALTER TABLE `console_users` ADD `totp_last_step` integer;--> statement-breakpoint
ALTER TABLE `console_users` ADD `totp_enabled_at` integer;--> statement-breakpoint
ALTER TABLE `console_users` ADD `webauthn_user_id` text;--> statement-breakpoint
ALTER TABLE `console_users` ADD `oidc_subject` text;--> statement-breakpoint
CREATE UNIQUE INDEX `console_users_webauthn_user_id_unique` ON `console_users` (`webauthn_user_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `console_users_oidc_subject_unique` ON `console_users` (`oidc_subject`);--> statement-breakpoint
-- Sessions open before this migration were last seen when they started.
UPDATE `console_sessions` SET `last_seen_at` = `created_at`;
