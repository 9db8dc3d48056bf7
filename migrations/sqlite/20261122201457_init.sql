-- Create "accounts" table
CREATE TABLE `accounts` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `domain` text NULL, `segment` text NOT NULL, `region` text NOT NULL, `industry` text NULL, `lifecycle_stage` text NOT NULL DEFAULT ('ONBOARDING'), `lifecycle_stage_changed_at` datetime NOT NULL, `external_crm_id` text NULL, `billing_contact_name` text NULL, `billing_contact_email` text NULL, `parent_id` integer NULL, `owner_id` integer NULL, CONSTRAINT `accounts_accounts_children` FOREIGN KEY (`parent_id`) REFERENCES `accounts` (`id`) ON DELETE SET NULL, CONSTRAINT `accounts_users_owned_accounts` FOREIGN KEY (`owner_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
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
-- Create "audit_events" table
CREATE TABLE `audit_events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `actor` text NOT NULL, `action` text NOT NULL, `entity_type` text NOT NULL, `entity_id` integer NOT NULL, `changes` json NULL, `at` datetime NOT NULL);
-- Set sequence for "audit_events" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('audit_events', 4294967296);
-- Create index "auditevent_created_at" to table: "audit_events"
CREATE INDEX `auditevent_created_at` ON `audit_events` (`created_at`);
-- Create index "auditevent_updated_at" to table: "audit_events"
CREATE INDEX `auditevent_updated_at` ON `audit_events` (`updated_at`);
-- Create index "auditevent_entity_id_at" to table: "audit_events"
CREATE INDEX `auditevent_entity_id_at` ON `audit_events` (`entity_id`, `at`);
-- Create index "auditevent_actor_at" to table: "audit_events"
CREATE INDEX `auditevent_actor_at` ON `audit_events` (`actor`, `at`);
-- Create index "auditevent_at" to table: "audit_events"
CREATE INDEX `auditevent_at` ON `audit_events` (`at`);
-- Create index "auditevent_action" to table: "audit_events"
CREATE INDEX `auditevent_action` ON `audit_events` (`action`);
-- Create "contracts" table
CREATE TABLE `contracts` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `number` text NOT NULL, `status` text NOT NULL DEFAULT ('DRAFT'), `start_date` datetime NOT NULL, `end_date` datetime NOT NULL, `renewal_date` datetime NULL, `arr_minor` integer NOT NULL DEFAULT (0), `currency` text NOT NULL DEFAULT ('USD'), `auto_renew` bool NOT NULL DEFAULT (false), `account_id` integer NOT NULL, `renewal_owner_id` integer NULL, CONSTRAINT `contracts_accounts_contracts` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE NO ACTION, CONSTRAINT `contracts_users_renewal_contracts` FOREIGN KEY (`renewal_owner_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Set sequence for "contracts" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('contracts', 8589934592);
-- Create index "contracts_number_key" to table: "contracts"
CREATE UNIQUE INDEX `contracts_number_key` ON `contracts` (`number`);
-- Create index "contract_created_at" to table: "contracts"
CREATE INDEX `contract_created_at` ON `contracts` (`created_at`);
-- Create index "contract_updated_at" to table: "contracts"
CREATE INDEX `contract_updated_at` ON `contracts` (`updated_at`);
-- Create index "contract_account_id" to table: "contracts"
CREATE INDEX `contract_account_id` ON `contracts` (`account_id`);
-- Create index "contract_renewal_owner_id" to table: "contracts"
CREATE INDEX `contract_renewal_owner_id` ON `contracts` (`renewal_owner_id`);
-- Create index "contract_status" to table: "contracts"
CREATE INDEX `contract_status` ON `contracts` (`status`);
-- Create index "contract_start_date" to table: "contracts"
CREATE INDEX `contract_start_date` ON `contracts` (`start_date`);
-- Create index "contract_end_date" to table: "contracts"
CREATE INDEX `contract_end_date` ON `contracts` (`end_date`);
-- Create index "contract_renewal_date" to table: "contracts"
CREATE INDEX `contract_renewal_date` ON `contracts` (`renewal_date`);
-- Create index "contract_arr_minor" to table: "contracts"
CREATE INDEX `contract_arr_minor` ON `contracts` (`arr_minor`);
-- Create "contract_items" table
CREATE TABLE `contract_items` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `quantity` integer NOT NULL, `tier` text NULL, `unit_price_minor` integer NOT NULL DEFAULT (0), `contract_id` integer NOT NULL, `product_id` integer NOT NULL, CONSTRAINT `contract_items_contracts_items` FOREIGN KEY (`contract_id`) REFERENCES `contracts` (`id`) ON DELETE NO ACTION, CONSTRAINT `contract_items_products_product` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`) ON DELETE NO ACTION);
-- Set sequence for "contract_items" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('contract_items', 12884901888);
-- Create index "contractitem_created_at" to table: "contract_items"
CREATE INDEX `contractitem_created_at` ON `contract_items` (`created_at`);
-- Create index "contractitem_updated_at" to table: "contract_items"
CREATE INDEX `contractitem_updated_at` ON `contract_items` (`updated_at`);
-- Create index "contractitem_contract_id_product_id" to table: "contract_items"
CREATE INDEX `contractitem_contract_id_product_id` ON `contract_items` (`contract_id`, `product_id`);
-- Create index "contractitem_product_id" to table: "contract_items"
CREATE INDEX `contractitem_product_id` ON `contract_items` (`product_id`);
-- Create index "contractitem_quantity" to table: "contract_items"
CREATE INDEX `contractitem_quantity` ON `contract_items` (`quantity`);
-- Create "entitlements" table
CREATE TABLE `entitlements` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `kind` text NOT NULL, `limit_value` integer NULL, `usage` integer NOT NULL DEFAULT (0), `usage_updated_at` datetime NULL, `tier` text NULL, `active_from` datetime NOT NULL, `active_to` datetime NULL, `status` text NOT NULL DEFAULT ('ACTIVE'), `soft_limit` bool NOT NULL DEFAULT (false), `override_limit` integer NULL, `override_reason` text NULL, `override_expires_at` datetime NULL, `account_id` integer NOT NULL, `contract_id` integer NULL, `product_id` integer NOT NULL, `source_order_line_id` integer NULL, CONSTRAINT `entitlements_accounts_entitlements` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE NO ACTION, CONSTRAINT `entitlements_contracts_entitlements` FOREIGN KEY (`contract_id`) REFERENCES `contracts` (`id`) ON DELETE SET NULL, CONSTRAINT `entitlements_products_product` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`) ON DELETE NO ACTION, CONSTRAINT `entitlements_order_lines_entitlements` FOREIGN KEY (`source_order_line_id`) REFERENCES `order_lines` (`id`) ON DELETE SET NULL);
-- Set sequence for "entitlements" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('entitlements', 17179869184);
-- Create index "entitlement_created_at" to table: "entitlements"
CREATE INDEX `entitlement_created_at` ON `entitlements` (`created_at`);
-- Create index "entitlement_updated_at" to table: "entitlements"
CREATE INDEX `entitlement_updated_at` ON `entitlements` (`updated_at`);
-- Create index "entitlement_account_id_product_id" to table: "entitlements"
CREATE INDEX `entitlement_account_id_product_id` ON `entitlements` (`account_id`, `product_id`);
-- Create index "entitlement_contract_id_product_id" to table: "entitlements"
CREATE INDEX `entitlement_contract_id_product_id` ON `entitlements` (`contract_id`, `product_id`);
-- Create index "entitlement_product_id" to table: "entitlements"
CREATE INDEX `entitlement_product_id` ON `entitlements` (`product_id`);
-- Create index "entitlement_source_order_line_id" to table: "entitlements"
CREATE INDEX `entitlement_source_order_line_id` ON `entitlements` (`source_order_line_id`);
-- Create index "entitlement_status" to table: "entitlements"
CREATE INDEX `entitlement_status` ON `entitlements` (`status`);
-- Create index "entitlement_active_to" to table: "entitlements"
CREATE INDEX `entitlement_active_to` ON `entitlements` (`active_to`);
-- Create index "entitlement_usage" to table: "entitlements"
CREATE INDEX `entitlement_usage` ON `entitlements` (`usage`);
-- Create index "entitlement_active_from" to table: "entitlements"
CREATE INDEX `entitlement_active_from` ON `entitlements` (`active_from`);
-- Create "health_scores" table
CREATE TABLE `health_scores` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `score` real NOT NULL, `band` text NOT NULL, `coverage` real NOT NULL, `model_version` integer NOT NULL, `components` json NULL, `computed_at` datetime NOT NULL, `account_id` integer NOT NULL, CONSTRAINT `health_scores_accounts_health_scores` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE NO ACTION);
-- Set sequence for "health_scores" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('health_scores', 21474836480);
-- Create index "healthscore_created_at" to table: "health_scores"
CREATE INDEX `healthscore_created_at` ON `health_scores` (`created_at`);
-- Create index "healthscore_updated_at" to table: "health_scores"
CREATE INDEX `healthscore_updated_at` ON `health_scores` (`updated_at`);
-- Create index "healthscore_account_id_computed_at" to table: "health_scores"
CREATE INDEX `healthscore_account_id_computed_at` ON `health_scores` (`account_id`, `computed_at`);
-- Create index "healthscore_band" to table: "health_scores"
CREATE INDEX `healthscore_band` ON `health_scores` (`band`);
-- Create index "healthscore_score" to table: "health_scores"
CREATE INDEX `healthscore_score` ON `health_scores` (`score`);
-- Create index "healthscore_computed_at" to table: "health_scores"
CREATE INDEX `healthscore_computed_at` ON `health_scores` (`computed_at`);
-- Create "health_signals" table
CREATE TABLE `health_signals` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `kind` text NOT NULL, `value` real NOT NULL, `observed_at` datetime NOT NULL, `source` text NOT NULL, `ingested_at` datetime NOT NULL, `account_id` integer NOT NULL, CONSTRAINT `health_signals_accounts_health_signals` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE NO ACTION);
-- Set sequence for "health_signals" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('health_signals', 25769803776);
-- Create index "healthsignal_created_at" to table: "health_signals"
CREATE INDEX `healthsignal_created_at` ON `health_signals` (`created_at`);
-- Create index "healthsignal_updated_at" to table: "health_signals"
CREATE INDEX `healthsignal_updated_at` ON `health_signals` (`updated_at`);
-- Create index "healthsignal_account_id_kind_source_observed_at" to table: "health_signals"
CREATE UNIQUE INDEX `healthsignal_account_id_kind_source_observed_at` ON `health_signals` (`account_id`, `kind`, `source`, `observed_at`);
-- Create index "healthsignal_account_id_observed_at" to table: "health_signals"
CREATE INDEX `healthsignal_account_id_observed_at` ON `health_signals` (`account_id`, `observed_at`);
-- Create index "healthsignal_observed_at" to table: "health_signals"
CREATE INDEX `healthsignal_observed_at` ON `health_signals` (`observed_at`);
-- Create index "healthsignal_kind" to table: "health_signals"
CREATE INDEX `healthsignal_kind` ON `health_signals` (`kind`);
-- Create index "healthsignal_value" to table: "health_signals"
CREATE INDEX `healthsignal_value` ON `health_signals` (`value`);
-- Create index "healthsignal_ingested_at" to table: "health_signals"
CREATE INDEX `healthsignal_ingested_at` ON `health_signals` (`ingested_at`);
-- Create "idempotency_keys" table
CREATE TABLE `idempotency_keys` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `subject` text NOT NULL, `key` text NOT NULL, `action` text NOT NULL, `request_hash` text NOT NULL, `entity_id` integer NOT NULL);
-- Set sequence for "idempotency_keys" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('idempotency_keys', 55834574848);
-- Create index "idempotencykey_created_at" to table: "idempotency_keys"
CREATE INDEX `idempotencykey_created_at` ON `idempotency_keys` (`created_at`);
-- Create index "idempotencykey_updated_at" to table: "idempotency_keys"
CREATE INDEX `idempotencykey_updated_at` ON `idempotency_keys` (`updated_at`);
-- Create index "idempotencykey_subject_key" to table: "idempotency_keys"
CREATE UNIQUE INDEX `idempotencykey_subject_key` ON `idempotency_keys` (`subject`, `key`);
-- Create "orders" table
CREATE TABLE `orders` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `number` text NOT NULL, `status` text NOT NULL DEFAULT ('DRAFT'), `idempotency_key` text NULL, `submitted_at` datetime NULL, `validated_at` datetime NULL, `provisioning_at` datetime NULL, `fulfilled_at` datetime NULL, `rejected_at` datetime NULL, `cancelled_at` datetime NULL, `rejection_reason` text NULL, `rejection_note` text NULL, `validation_errors` json NULL, `billing_status` text NOT NULL DEFAULT ('NOT_BILLED'), `invoice_reference` text NULL, `account_id` integer NOT NULL, `contract_id` integer NULL, CONSTRAINT `orders_accounts_orders` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE NO ACTION, CONSTRAINT `orders_contracts_orders` FOREIGN KEY (`contract_id`) REFERENCES `contracts` (`id`) ON DELETE SET NULL);
-- Set sequence for "orders" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('orders', 30064771072);
-- Create index "orders_number_key" to table: "orders"
CREATE UNIQUE INDEX `orders_number_key` ON `orders` (`number`);
-- Create index "order_created_at" to table: "orders"
CREATE INDEX `order_created_at` ON `orders` (`created_at`);
-- Create index "order_updated_at" to table: "orders"
CREATE INDEX `order_updated_at` ON `orders` (`updated_at`);
-- Create index "order_account_id_idempotency_key" to table: "orders"
CREATE UNIQUE INDEX `order_account_id_idempotency_key` ON `orders` (`account_id`, `idempotency_key`);
-- Create index "order_contract_id" to table: "orders"
CREATE INDEX `order_contract_id` ON `orders` (`contract_id`);
-- Create index "order_status" to table: "orders"
CREATE INDEX `order_status` ON `orders` (`status`);
-- Create index "order_billing_status" to table: "orders"
CREATE INDEX `order_billing_status` ON `orders` (`billing_status`);
-- Create index "order_fulfilled_at" to table: "orders"
CREATE INDEX `order_fulfilled_at` ON `orders` (`fulfilled_at`);
-- Create "order_events" table
CREATE TABLE `order_events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `from_status` text NULL, `to_status` text NOT NULL, `actor` text NOT NULL, `note` text NULL, `at` datetime NOT NULL, `order_id` integer NOT NULL, CONSTRAINT `order_events_orders_events` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE NO ACTION);
-- Set sequence for "order_events" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('order_events', 34359738368);
-- Create index "orderevent_created_at" to table: "order_events"
CREATE INDEX `orderevent_created_at` ON `order_events` (`created_at`);
-- Create index "orderevent_updated_at" to table: "order_events"
CREATE INDEX `orderevent_updated_at` ON `order_events` (`updated_at`);
-- Create index "orderevent_order_id_at" to table: "order_events"
CREATE INDEX `orderevent_order_id_at` ON `order_events` (`order_id`, `at`);
-- Create index "orderevent_at" to table: "order_events"
CREATE INDEX `orderevent_at` ON `order_events` (`at`);
-- Create "order_lines" table
CREATE TABLE `order_lines` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `action` text NOT NULL, `quantity` integer NOT NULL DEFAULT (0), `tier` text NULL, `order_id` integer NOT NULL, `product_id` integer NOT NULL, CONSTRAINT `order_lines_orders_lines` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE NO ACTION, CONSTRAINT `order_lines_products_product` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`) ON DELETE NO ACTION);
-- Set sequence for "order_lines" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('order_lines', 38654705664);
-- Create index "orderline_created_at" to table: "order_lines"
CREATE INDEX `orderline_created_at` ON `order_lines` (`created_at`);
-- Create index "orderline_updated_at" to table: "order_lines"
CREATE INDEX `orderline_updated_at` ON `order_lines` (`updated_at`);
-- Create index "orderline_order_id" to table: "order_lines"
CREATE INDEX `orderline_order_id` ON `order_lines` (`order_id`);
-- Create index "orderline_product_id" to table: "order_lines"
CREATE INDEX `orderline_product_id` ON `order_lines` (`product_id`);
-- Create "products" table
CREATE TABLE `products` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `sku` text NOT NULL, `name` text NOT NULL, `feature_key` text NOT NULL, `entitlement_kind` text NOT NULL, `unit` text NULL, `tiers` json NOT NULL, `active` bool NOT NULL DEFAULT (true));
-- Set sequence for "products" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('products', 42949672960);
-- Create index "products_sku_key" to table: "products"
CREATE UNIQUE INDEX `products_sku_key` ON `products` (`sku`);
-- Create index "product_created_at" to table: "products"
CREATE INDEX `product_created_at` ON `products` (`created_at`);
-- Create index "product_updated_at" to table: "products"
CREATE INDEX `product_updated_at` ON `products` (`updated_at`);
-- Create index "product_name" to table: "products"
CREATE INDEX `product_name` ON `products` (`name`);
-- Create "requests" table
CREATE TABLE `requests` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `number` text NOT NULL, `title` text NOT NULL, `description` text NULL, `category` text NOT NULL DEFAULT ('OTHER'), `priority` text NOT NULL DEFAULT ('P3'), `status` text NOT NULL DEFAULT ('NEW'), `first_response_at` datetime NULL, `response_due_at` datetime NULL, `resolution_due_at` datetime NULL, `resolved_at` datetime NULL, `resolution_notes` text NULL, `account_id` integer NULL, `order_id` integer NULL, `requester_id` integer NOT NULL, `assignee_id` integer NULL, CONSTRAINT `requests_accounts_requests` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE SET NULL, CONSTRAINT `requests_orders_order` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE SET NULL, CONSTRAINT `requests_users_requested_requests` FOREIGN KEY (`requester_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION, CONSTRAINT `requests_users_assigned_requests` FOREIGN KEY (`assignee_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Set sequence for "requests" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('requests', 47244640256);
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
-- Create "users" table
CREATE TABLE `users` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `email` text NOT NULL, `name` text NOT NULL, `roles` json NOT NULL, `team` text NULL, `region` text NULL, `active` bool NOT NULL DEFAULT (true));
-- Set sequence for "users" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('users', 51539607552);
-- Create index "users_email_key" to table: "users"
CREATE UNIQUE INDEX `users_email_key` ON `users` (`email`);
-- Create index "user_created_at" to table: "users"
CREATE INDEX `user_created_at` ON `users` (`created_at`);
-- Create index "user_updated_at" to table: "users"
CREATE INDEX `user_updated_at` ON `users` (`updated_at`);
-- Create index "user_name" to table: "users"
CREATE INDEX `user_name` ON `users` (`name`);
