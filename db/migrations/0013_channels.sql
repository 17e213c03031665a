CREATE TABLE `subscriber_codes` (
	`subscriber_id` text PRIMARY KEY NOT NULL,
	`code_hash` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_subscribers` (
	`id` text PRIMARY KEY NOT NULL,
	`channel` text DEFAULT 'email' NOT NULL,
	`address` text NOT NULL,
	`customer_id` text,
	`kind` text DEFAULT 'public' NOT NULL,
	`all_components` integer DEFAULT true NOT NULL,
	`confirmed_at` integer,
	`expires_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
-- Every subscriber so far was an email address: it becomes the address of channel 'email'.
INSERT INTO `__new_subscribers`("id", "channel", "address", "customer_id", "kind", "all_components", "confirmed_at", "expires_at", "created_at", "updated_at") SELECT "id", 'email', "email", "customer_id", "kind", "all_components", "confirmed_at", "expires_at", "created_at", "updated_at" FROM `subscribers`;--> statement-breakpoint
DROP TABLE `subscribers`;--> statement-breakpoint
ALTER TABLE `__new_subscribers` RENAME TO `subscribers`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `subscribers_channel_address_idx` ON `subscribers` (`channel`,`address`);--> statement-breakpoint
CREATE INDEX `subscribers_confirmed_idx` ON `subscribers` (`confirmed_at`);--> statement-breakpoint
CREATE INDEX `subscribers_expires_idx` ON `subscribers` (`expires_at`);