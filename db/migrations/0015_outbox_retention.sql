CREATE TABLE `incident_notice_recipients` (
	`update_id` text NOT NULL,
	`subscriber_id` text NOT NULL,
	PRIMARY KEY(`update_id`, `subscriber_id`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `outbox_summaries` (
	`channel` text NOT NULL,
	`event_key` text NOT NULL,
	`kind` text NOT NULL,
	`sent` integer DEFAULT 0 NOT NULL,
	`cancelled` integer DEFAULT 0 NOT NULL,
	`first_created_at` integer NOT NULL,
	`last_sent_at` integer,
	`pruned_at` integer NOT NULL,
	PRIMARY KEY(`channel`, `event_key`)
);
