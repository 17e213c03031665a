CREATE TABLE `contact_opt_outs` (
	`email` text PRIMARY KEY NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `incident_elements` (
	`incident_id` text NOT NULL,
	`element` text NOT NULL,
	PRIMARY KEY(`incident_id`, `element`),
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `maintenance_elements` (
	`maintenance_id` text NOT NULL,
	`element` text NOT NULL,
	PRIMARY KEY(`maintenance_id`, `element`),
	FOREIGN KEY (`maintenance_id`) REFERENCES `maintenances`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `service_contacts` (
	`service_id` text NOT NULL,
	`position` integer NOT NULL,
	`name` text NOT NULL,
	`email` text NOT NULL,
	`phone` text,
	PRIMARY KEY(`service_id`, `position`),
	FOREIGN KEY (`service_id`) REFERENCES `services`(`service_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `service_contacts_email_idx` ON `service_contacts` (`email`);--> statement-breakpoint
CREATE TABLE `service_elements` (
	`service_id` text NOT NULL,
	`element` text NOT NULL,
	PRIMARY KEY(`service_id`, `element`),
	FOREIGN KEY (`service_id`) REFERENCES `services`(`service_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `service_elements_element_idx` ON `service_elements` (`element`);--> statement-breakpoint
CREATE TABLE `services` (
	`service_id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`company` text NOT NULL,
	`label` text NOT NULL,
	`technology` text NOT NULL,
	`component_id` text NOT NULL,
	`monthly_price_mxn` real,
	`position` integer NOT NULL,
	`imported_at` integer NOT NULL,
	FOREIGN KEY (`component_id`) REFERENCES `components`(`id`) ON UPDATE no action ON DELETE restrict
);
--> statement-breakpoint
CREATE INDEX `services_customer_idx` ON `services` (`customer_id`);--> statement-breakpoint
CREATE INDEX `services_component_idx` ON `services` (`component_id`);--> statement-breakpoint
CREATE TABLE `subscriber_services` (
	`subscriber_id` text NOT NULL,
	`service_id` text NOT NULL,
	PRIMARY KEY(`subscriber_id`, `service_id`),
	FOREIGN KEY (`subscriber_id`) REFERENCES `subscribers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `subscriber_services_service_idx` ON `subscriber_services` (`service_id`);