CREATE TABLE `alert_groups` (
	`key` text PRIMARY KEY NOT NULL,
	`digest` text NOT NULL,
	`raw_digest` text NOT NULL,
	`stamp` text NOT NULL,
	`delivery_id` integer NOT NULL,
	`applied_at` integer NOT NULL,
	`seen_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `alert_groups_raw_idx` ON `alert_groups` (`raw_digest`);--> statement-breakpoint
CREATE TABLE `background_leases` (
	`name` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`host` text NOT NULL,
	`pid` integer NOT NULL,
	`acquired_at` integer NOT NULL,
	`renewed_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `outbox_messages` ADD `claimed_by` text;--> statement-breakpoint
ALTER TABLE `alert_deliveries` ADD `state` text DEFAULT 'applied' NOT NULL;--> statement-breakpoint
ALTER TABLE `alert_deliveries` ADD `cursor` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `alert_deliveries` ADD `applier` text;--> statement-breakpoint
ALTER TABLE `alert_deliveries` ADD `applier_until` integer;--> statement-breakpoint
ALTER TABLE `alert_deliveries` ADD `progress` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
CREATE INDEX `alert_deliveries_applying_idx` ON `alert_deliveries` (`state`) WHERE state = 'applying';--> statement-breakpoint
ALTER TABLE `alerts` ADD `notice_digest` text;