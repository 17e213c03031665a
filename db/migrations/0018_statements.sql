CREATE TABLE `monthly_statements` (
	`month` text PRIMARY KEY NOT NULL,
	`sent_at` integer NOT NULL,
	`services` integer NOT NULL,
	`messages` integer NOT NULL
);
