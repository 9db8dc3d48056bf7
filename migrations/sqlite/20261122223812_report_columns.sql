-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_requests" table
CREATE TABLE `new_requests` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `number` text NOT NULL, `title` text NOT NULL, `description` text NULL, `category` text NOT NULL DEFAULT ('OTHER'), `priority` text NOT NULL DEFAULT ('P3'), `status` text NOT NULL DEFAULT ('NEW'), `first_response_at` datetime NULL, `response_due_at` datetime NULL, `resolution_due_at` datetime NULL, `resolved_at` datetime NULL, `resolution_notes` text NULL, `response_met` bool NULL, `resolution_met` bool NULL, `response_breached` bool NOT NULL DEFAULT (false), `resolution_breached` bool NOT NULL DEFAULT (false), `history` json NULL, `account_id` integer NULL, `order_id` integer NULL, `requester_id` integer NOT NULL, `assignee_id` integer NULL, CONSTRAINT `requests_accounts_requests` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE SET NULL, CONSTRAINT `requests_orders_order` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE SET NULL, CONSTRAINT `requests_users_requested_requests` FOREIGN KEY (`requester_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION, CONSTRAINT `requests_users_assigned_requests` FOREIGN KEY (`assignee_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Set sequence for "new_requests" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('new_requests', 47244640256);
-- Copy rows from old table "requests" to new temporary table "new_requests"
INSERT INTO `new_requests` (`id`, `created_at`, `updated_at`, `number`, `title`, `description`, `category`, `priority`, `status`, `first_response_at`, `response_due_at`, `resolution_due_at`, `resolved_at`, `resolution_notes`, `history`, `account_id`, `order_id`, `requester_id`, `assignee_id`) SELECT `id`, `created_at`, `updated_at`, `number`, `title`, `description`, `category`, `priority`, `status`, `first_response_at`, `response_due_at`, `resolution_due_at`, `resolved_at`, `resolution_notes`, `history`, `account_id`, `order_id`, `requester_id`, `assignee_id` FROM `requests`;
-- Drop "requests" table after copying rows
DROP TABLE `requests`;
-- Rename temporary table "new_requests" to "requests"
ALTER TABLE `new_requests` RENAME TO `requests`;
-- Create index "requests_number_key" to table: "requests"
CREATE UNIQUE INDEX `requests_number_key` ON `requests` (`number`);
-- Create index "request_created_at" to table: "requests"
CREATE INDEX `request_created_at` ON `requests` (`created_at`);
-- Create index "request_updated_at" to table: "requests"
CREATE INDEX `request_updated_at` ON `requests` (`updated_at`);
-- Create index "request_requester_id" to table: "requests"
CREATE INDEX `request_requester_id` ON `requests` (`requester_id`);
-- Create index "request_assignee_id" to table: "requests"
CREATE INDEX `request_assignee_id` ON `requests` (`assignee_id`);
-- Create index "request_account_id" to table: "requests"
CREATE INDEX `request_account_id` ON `requests` (`account_id`);
-- Create index "request_order_id" to table: "requests"
CREATE INDEX `request_order_id` ON `requests` (`order_id`);
-- Create index "request_status_priority" to table: "requests"
CREATE INDEX `request_status_priority` ON `requests` (`status`, `priority`);
-- Create index "request_priority" to table: "requests"
CREATE INDEX `request_priority` ON `requests` (`priority`);
-- Create index "request_response_due_at" to table: "requests"
CREATE INDEX `request_response_due_at` ON `requests` (`response_due_at`);
-- Create index "request_resolution_due_at" to table: "requests"
CREATE INDEX `request_resolution_due_at` ON `requests` (`resolution_due_at`);
-- Create index "account_health_score_id" to table: "accounts"
CREATE INDEX `account_health_score_id` ON `accounts` (`health_score_id`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
