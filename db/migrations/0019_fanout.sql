CREATE TABLE `outbox_fanout_chunks` (
	`fanout_id` integer NOT NULL,
	`seq` integer NOT NULL,
	`entries` text NOT NULL,
	PRIMARY KEY(`fanout_id`, `seq`),
	FOREIGN KEY (`fanout_id`) REFERENCES `outbox_fanouts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `outbox_fanouts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`source` text NOT NULL,
	`kind` text NOT NULL,
	`event_key` text NOT NULL,
	`payload` text NOT NULL,
	`total` integer NOT NULL,
	`expanded` integer DEFAULT 0 NOT NULL,
	`next_chunk` integer DEFAULT 1 NOT NULL,
	`claimed_by` text,
	`created_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `outbox_fanouts_unfinished_idx` ON `outbox_fanouts` (`id`) WHERE finished_at IS NULL;--> statement-breakpoint
CREATE INDEX `outbox_claimable_idx` ON `outbox_messages` (`channel`,`id`) WHERE status = 'pending' AND batch_key IS NULL;