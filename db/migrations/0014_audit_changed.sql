ALTER TABLE `audit_log` ADD `changed` text;--> statement-breakpoint
-- Hand-written: what earlier versions recorded only in `details` (the component's input or patch),
-- so a publisher catching up across the upgrade republishes exactly what it did before.
UPDATE `audit_log` SET `changed` = CASE
	WHEN `action` = 'component.create' THEN '"created"'
	WHEN `details` IS NULL THEN '[]'
	WHEN json_valid(`details`) AND json_type(`details`) = 'object'
		THEN (SELECT json_group_array(`key`) FROM json_each(`audit_log`.`details`))
	ELSE NULL
END
WHERE `subject_type` = 'component';
