CREATE TABLE `alert_delivery_bodies` (
	`delivery_id` integer PRIMARY KEY NOT NULL,
	`body` text NOT NULL,
	FOREIGN KEY (`delivery_id`) REFERENCES `alert_deliveries`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
-- Every body kept so far moves to its own table before the column goes (hand-written).
INSERT INTO `alert_delivery_bodies` (`delivery_id`, `body`) SELECT `id`, `body` FROM `alert_deliveries`;
--> statement-breakpoint
ALTER TABLE `alert_deliveries` DROP COLUMN `body`;