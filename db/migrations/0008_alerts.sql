CREATE TABLE `alert_deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`format` text NOT NULL,
	`sender` text NOT NULL,
	`dedup_key` text NOT NULL,
	`body` text NOT NULL,
	`alert_count` integer NOT NULL,
	`outcome` text NOT NULL,
	`token_name` text,
	`received_at` integer NOT NULL,
	`last_received_at` integer NOT NULL,
	`times_received` integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `alert_deliveries_dedup_key_unique` ON `alert_deliveries` (`dedup_key`);--> statement-breakpoint
CREATE INDEX `alert_deliveries_last_idx` ON `alert_deliveries` (`last_received_at`);--> statement-breakpoint
CREATE TABLE `alert_rule_sets` (
	`id` integer PRIMARY KEY NOT NULL,
	`document` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `alerts` (
	`id` text PRIMARY KEY NOT NULL,
	`format` text NOT NULL,
	`source` text NOT NULL,
	`receiver` text,
	`fingerprint` text NOT NULL,
	`status` text NOT NULL,
	`severity` text,
	`summary` text,
	`description` text,
	`labels` text NOT NULL,
	`annotations` text NOT NULL,
	`url` text,
	`starts_at` integer NOT NULL,
	`ends_at` integer,
	`component_ids` text NOT NULL,
	`unmatched_refs` text NOT NULL,
	`suppressed_ids` text DEFAULT '[]' NOT NULL,
	`rule_name` text,
	`mode` text NOT NULL,
	`proposed_status` text,
	`effect` text NOT NULL,
	`note` text,
	`flapping` integer DEFAULT false NOT NULL,
	`flap_count` integer DEFAULT 0 NOT NULL,
	`template_id` text,
	`draft_id` text,
	`incident_id` text,
	`delivery_id` integer,
	`first_received_at` integer NOT NULL,
	`last_received_at` integer NOT NULL,
	`last_fired_at` integer NOT NULL,
	`resolved_at` integer,
	FOREIGN KEY (`draft_id`) REFERENCES `incident_drafts`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `alerts_key_idx` ON `alerts` (`source`,`fingerprint`,`first_received_at`);--> statement-breakpoint
CREATE INDEX `alerts_active_idx` ON `alerts` (`status`,`flapping`);--> statement-breakpoint
CREATE INDEX `alerts_draft_idx` ON `alerts` (`draft_id`);--> statement-breakpoint
CREATE INDEX `alerts_incident_idx` ON `alerts` (`incident_id`);--> statement-breakpoint
CREATE INDEX `alerts_received_idx` ON `alerts` (`first_received_at`);--> statement-breakpoint
CREATE TABLE `incident_drafts` (
	`id` text PRIMARY KEY NOT NULL,
	`state` text NOT NULL,
	`name` text NOT NULL,
	`impact` text NOT NULL,
	`status` text NOT NULL,
	`cause` text,
	`body` text NOT NULL,
	`components` text NOT NULL,
	`template_id` text,
	`started_at` integer NOT NULL,
	`last_alert_at` integer NOT NULL,
	`incident_id` text,
	`closed_at` integer,
	`closed_by` text,
	`discard_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `incident_drafts_state_idx` ON `incident_drafts` (`state`,`last_alert_at`);