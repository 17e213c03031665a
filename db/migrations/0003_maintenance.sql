CREATE TABLE `maintenance_components` (
	`maintenance_id` text NOT NULL,
	`component_id` text NOT NULL,
	`previous_status` text,
	PRIMARY KEY(`maintenance_id`, `component_id`),
	FOREIGN KEY (`maintenance_id`) REFERENCES `maintenances`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`component_id`) REFERENCES `components`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `maintenance_components_component_idx` ON `maintenance_components` (`component_id`);--> statement-breakpoint
CREATE TABLE `maintenance_schedule_changes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`maintenance_id` text NOT NULL,
	`previous_for` integer NOT NULL,
	`previous_until` integer NOT NULL,
	`new_for` integer NOT NULL,
	`new_until` integer NOT NULL,
	`reason` text,
	`at` integer NOT NULL,
	FOREIGN KEY (`maintenance_id`) REFERENCES `maintenances`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `maintenance_schedule_changes_idx` ON `maintenance_schedule_changes` (`maintenance_id`,`at`);--> statement-breakpoint
CREATE TABLE `maintenance_updates` (
	`id` text PRIMARY KEY NOT NULL,
	`maintenance_id` text NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`body` text NOT NULL,
	`transitions` text DEFAULT '[]' NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`maintenance_id`) REFERENCES `maintenances`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `maintenance_updates_maintenance_idx` ON `maintenance_updates` (`maintenance_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `maintenances` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`body` text NOT NULL,
	`status` text NOT NULL,
	`impact_kind` text NOT NULL,
	`auto_transition` integer NOT NULL,
	`emergency` integer NOT NULL,
	`emergency_reason` text,
	`low_impact_window` integer NOT NULL,
	`scheduled_for` integer NOT NULL,
	`scheduled_until` integer NOT NULL,
	`started_at` integer,
	`verifying_at` integer,
	`completed_at` integer,
	`cancelled_at` integer,
	`reminder_at` integer,
	`sequence` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `maintenances_for_idx` ON `maintenances` (`scheduled_for`);--> statement-breakpoint
CREATE INDEX `maintenances_status_idx` ON `maintenances` (`status`,`scheduled_for`);