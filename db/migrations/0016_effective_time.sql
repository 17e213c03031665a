-- A status change's effective time (when it took effect) apart from when it was recorded (`at`).
-- Every change recorded so far took effect when it was recorded.
ALTER TABLE `component_status_events` ADD `effective_at` integer NOT NULL DEFAULT 0;--> statement-breakpoint
UPDATE `component_status_events` SET `effective_at` = `at`;--> statement-breakpoint
CREATE INDEX `status_events_component_effective_idx` ON `component_status_events` (`component_id`,`effective_at`);--> statement-breakpoint
CREATE INDEX `status_events_effective_idx` ON `component_status_events` (`effective_at`);
