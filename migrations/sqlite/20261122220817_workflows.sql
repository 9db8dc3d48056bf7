-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_accounts" table
CREATE TABLE `new_accounts` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `domain` text NULL, `segment` text NOT NULL, `region` text NOT NULL, `industry` text NULL, `lifecycle_stage` text NOT NULL DEFAULT ('ONBOARDING'), `lifecycle_stage_changed_at` datetime NOT NULL, `external_crm_id` text NULL, `billing_contact_name` text NULL, `billing_contact_email` text NULL, `parent_id` integer NULL, `health_score_id` integer NULL, `owner_id` integer NULL, CONSTRAINT `accounts_accounts_children` FOREIGN KEY (`parent_id`) REFERENCES `accounts` (`id`) ON DELETE SET NULL, CONSTRAINT `accounts_health_scores_health` FOREIGN KEY (`health_score_id`) REFERENCES `health_scores` (`id`) ON DELETE SET NULL, CONSTRAINT `accounts_users_owned_accounts` FOREIGN KEY (`owner_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Copy rows from old table "accounts" to new temporary table "new_accounts"
INSERT INTO `new_accounts` (`id`, `created_at`, `updated_at`, `name`, `domain`, `segment`, `region`, `industry`, `lifecycle_stage`, `lifecycle_stage_changed_at`, `external_crm_id`, `billing_contact_name`, `billing_contact_email`, `parent_id`, `owner_id`) SELECT `id`, `created_at`, `updated_at`, `name`, `domain`, `segment`, `region`, `industry`, `lifecycle_stage`, `lifecycle_stage_changed_at`, `external_crm_id`, `billing_contact_name`, `billing_contact_email`, `parent_id`, `owner_id` FROM `accounts`;
-- Drop "accounts" table after copying rows
DROP TABLE `accounts`;
-- Rename temporary table "new_accounts" to "accounts"
ALTER TABLE `new_accounts` RENAME TO `accounts`;
-- Create index "accounts_external_crm_id_key" to table: "accounts"
CREATE UNIQUE INDEX `accounts_external_crm_id_key` ON `accounts` (`external_crm_id`);
-- Create index "account_created_at" to table: "accounts"
CREATE INDEX `account_created_at` ON `accounts` (`created_at`);
-- Create index "account_updated_at" to table: "accounts"
CREATE INDEX `account_updated_at` ON `accounts` (`updated_at`);
-- Create index "account_owner_id" to table: "accounts"
CREATE INDEX `account_owner_id` ON `accounts` (`owner_id`);
-- Create index "account_parent_id" to table: "accounts"
CREATE INDEX `account_parent_id` ON `accounts` (`parent_id`);
-- Create index "account_name" to table: "accounts"
CREATE INDEX `account_name` ON `accounts` (`name`);
-- Create index "account_domain" to table: "accounts"
CREATE INDEX `account_domain` ON `accounts` (`domain`);
-- Create index "account_segment" to table: "accounts"
CREATE INDEX `account_segment` ON `accounts` (`segment`);
-- Create index "account_region" to table: "accounts"
CREATE INDEX `account_region` ON `accounts` (`region`);
-- Create index "account_lifecycle_stage" to table: "accounts"
CREATE INDEX `account_lifecycle_stage` ON `accounts` (`lifecycle_stage`);
-- Add column "previous_score" to table: "health_scores"
ALTER TABLE `health_scores` ADD COLUMN `previous_score` real NULL;
-- Add column "previous_band" to table: "health_scores"
ALTER TABLE `health_scores` ADD COLUMN `previous_band` text NULL;
-- Add column "history" to table: "requests"
ALTER TABLE `requests` ADD COLUMN `history` json NULL;
-- Create "health_models" table
CREATE TABLE `health_models` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL, `fingerprint` text NOT NULL, `definition` text NOT NULL, `activated_at` datetime NOT NULL);
-- Set sequence for "health_models" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('health_models', 60129542144);
-- Create index "healthmodel_created_at" to table: "health_models"
CREATE INDEX `healthmodel_created_at` ON `health_models` (`created_at`);
-- Create index "healthmodel_updated_at" to table: "health_models"
CREATE INDEX `healthmodel_updated_at` ON `health_models` (`updated_at`);
-- Create index "healthmodel_version" to table: "health_models"
CREATE UNIQUE INDEX `healthmodel_version` ON `health_models` (`version`);
-- Create index "healthmodel_fingerprint" to table: "health_models"
CREATE UNIQUE INDEX `healthmodel_fingerprint` ON `health_models` (`fingerprint`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
