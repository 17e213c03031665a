-- quality_samples and quality_hourly are WITHOUT ROWID (hand-written: drizzle-kit has no option for it).
CREATE TABLE `quality_hourly` (
	`series_id` integer NOT NULL,
	`hour` integer NOT NULL,
	`p50` real NOT NULL,
	`p95` real NOT NULL,
	`max` real NOT NULL,
	`minutes` integer NOT NULL,
	PRIMARY KEY(`series_id`, `hour`),
	FOREIGN KEY (`series_id`) REFERENCES `quality_series`(`id`) ON UPDATE no action ON DELETE cascade
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `quality_ingests` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`source` text NOT NULL,
	`actor` text NOT NULL,
	`samples` integer NOT NULL,
	`first_minute` integer NOT NULL,
	`last_minute` integer NOT NULL,
	`recent_area_ids` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `quality_ingests_at_idx` ON `quality_ingests` (`at`);--> statement-breakpoint
CREATE TABLE `quality_pull_state` (
	`key` text PRIMARY KEY NOT NULL,
	`covered_until` integer,
	`last_success_at` integer,
	`last_error_at` integer,
	`last_error` text,
	`last_series` integer
);
--> statement-breakpoint
CREATE TABLE `quality_samples` (
	`series_id` integer NOT NULL,
	`minute` integer NOT NULL,
	`value` real NOT NULL,
	PRIMARY KEY(`series_id`, `minute`),
	FOREIGN KEY (`series_id`) REFERENCES `quality_series`(`id`) ON UPDATE no action ON DELETE cascade
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `quality_series` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`component_id` text NOT NULL,
	`metric` text NOT NULL,
	FOREIGN KEY (`component_id`) REFERENCES `components`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `quality_series_component_metric` ON `quality_series` (`component_id`,`metric`);--> statement-breakpoint
CREATE TABLE `quality_settings` (
	`id` integer PRIMARY KEY NOT NULL,
	`sources` text NOT NULL,
	`thresholds` text NOT NULL,
	`sources_updated_at` integer,
	`sources_updated_by` text,
	`thresholds_updated_at` integer,
	`thresholds_updated_by` text
);
--> statement-breakpoint
CREATE TABLE `quality_threshold_alerts` (
	`fingerprint` text PRIMARY KEY NOT NULL,
	`component_id` text NOT NULL,
	`since` integer NOT NULL,
	`value` real NOT NULL,
	FOREIGN KEY (`component_id`) REFERENCES `components`(`id`) ON UPDATE no action ON DELETE cascade
);
