-- Add column "health_band" to table: "accounts"
ALTER TABLE `accounts` ADD COLUMN `health_band` text NULL;
-- Add column "health_current_score" to table: "accounts"
ALTER TABLE `accounts` ADD COLUMN `health_current_score` real NULL;
-- Add column "health_previous_score" to table: "accounts"
ALTER TABLE `accounts` ADD COLUMN `health_previous_score` real NULL;
-- Add column "health_computed_at" to table: "accounts"
ALTER TABLE `accounts` ADD COLUMN `health_computed_at` datetime NULL;
-- Create "latest_health_signals" table
CREATE TABLE `latest_health_signals` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `kind` text NOT NULL, `observed_at` datetime NOT NULL, `account_id` integer NOT NULL, CONSTRAINT `latest_health_signals_accounts_latest_health_signals` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE CASCADE);
-- Set sequence for "latest_health_signals" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('latest_health_signals', 64424509440);
-- Create index "latesthealthsignal_account_id_kind" to table: "latest_health_signals"
CREATE UNIQUE INDEX `latesthealthsignal_account_id_kind` ON `latest_health_signals` (`account_id`, `kind`);
-- Create trigger "latest_health_signals_track" to table: "health_signals": keeps latest_health_signals at MAX(observed_at) of health_signals per (account_id, kind), row by row (signals are append-only: INSERT is the only write to follow). A table rebuild of health_signals by a later migration drops it: re-create it there (TestTriggers checks).
CREATE TRIGGER `latest_health_signals_track` AFTER INSERT ON `health_signals` FOR EACH ROW BEGIN
  INSERT INTO `latest_health_signals` (`account_id`, `kind`, `observed_at`) VALUES (NEW.`account_id`, NEW.`kind`, NEW.`observed_at`)
  ON CONFLICT (`account_id`, `kind`) DO UPDATE SET `observed_at` = excluded.`observed_at`
  WHERE excluded.`observed_at` > `latest_health_signals`.`observed_at`;
END;
-- Backfill "latest_health_signals" from "health_signals"
INSERT INTO `latest_health_signals` (`account_id`, `kind`, `observed_at`) SELECT `account_id`, `kind`, MAX(`observed_at`) FROM `health_signals` GROUP BY `account_id`, `kind`;
-- Create trigger "accounts_copy_health_insert" to table: "accounts": copies the band, scores and time of the score an account points at (health_score_id; none: nulls) into its health_* columns. A table rebuild of accounts by a later migration drops it: re-create it there (TestTriggers checks).
CREATE TRIGGER `accounts_copy_health_insert` AFTER INSERT ON `accounts` FOR EACH ROW BEGIN
  UPDATE `accounts` SET (`health_band`, `health_current_score`, `health_previous_score`, `health_computed_at`) =
    (SELECT s.`band`, s.`score`, s.`previous_score`, s.`computed_at` FROM `health_scores` AS s WHERE s.`id` = NEW.`health_score_id`)
  WHERE `id` = NEW.`id`;
END;
-- Create trigger "accounts_copy_health_update" to table: "accounts" (as accounts_copy_health_insert)
CREATE TRIGGER `accounts_copy_health_update` AFTER UPDATE OF `health_score_id` ON `accounts` FOR EACH ROW BEGIN
  UPDATE `accounts` SET (`health_band`, `health_current_score`, `health_previous_score`, `health_computed_at`) =
    (SELECT s.`band`, s.`score`, s.`previous_score`, s.`computed_at` FROM `health_scores` AS s WHERE s.`id` = NEW.`health_score_id`)
  WHERE `id` = NEW.`id`;
END;
-- Backfill the health_* columns of "accounts" (through the trigger)
UPDATE `accounts` SET `health_score_id` = `health_score_id` WHERE `health_score_id` IS NOT NULL;
