CREATE TABLE `coverage_areas` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`area_slug` text NOT NULL,
	`technology` text NOT NULL,
	`locality` text NOT NULL,
	`geometry` text NOT NULL,
	`position` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `feasibility_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`company` text NOT NULL,
	`contact_name` text NOT NULL,
	`email` text NOT NULL,
	`phone` text NOT NULL,
	`latitude` real NOT NULL,
	`longitude` real NOT NULL,
	`address` text NOT NULL,
	`service` text NOT NULL,
	`bandwidth` text,
	`notes` text,
	`client_key` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `feasibility_client_created_idx` ON `feasibility_requests` (`client_key`,`created_at`);--> statement-breakpoint
CREATE INDEX `feasibility_created_idx` ON `feasibility_requests` (`created_at`);