-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_entitlements" table
CREATE TABLE `new_entitlements` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `kind` text NOT NULL, `limit_value` integer NULL, `usage` integer NOT NULL DEFAULT (0), `usage_updated_at` datetime NULL, `tier` text NULL, `active_from` datetime NOT NULL, `active_to` datetime NULL, `status` text NOT NULL DEFAULT ('ACTIVE'), `soft_limit` bool NOT NULL DEFAULT (false), `override_limit` integer NULL, `override_reason` text NULL, `override_expires_at` datetime NULL, `over_limit_candidate` bool NOT NULL DEFAULT (false), `contract_in_force_until` datetime NULL, `account_id` integer NOT NULL, `contract_id` integer NULL, `product_id` integer NOT NULL, `source_order_line_id` integer NULL, CONSTRAINT `entitlements_accounts_entitlements` FOREIGN KEY (`account_id`) REFERENCES `accounts` (`id`) ON DELETE NO ACTION, CONSTRAINT `entitlements_contracts_entitlements` FOREIGN KEY (`contract_id`) REFERENCES `contracts` (`id`) ON DELETE SET NULL, CONSTRAINT `entitlements_products_product` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`) ON DELETE NO ACTION, CONSTRAINT `entitlements_order_lines_entitlements` FOREIGN KEY (`source_order_line_id`) REFERENCES `order_lines` (`id`) ON DELETE SET NULL);
-- Set sequence for "new_entitlements" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('new_entitlements', 17179869184);
-- Copy rows from old table "entitlements" to new temporary table "new_entitlements"
INSERT INTO `new_entitlements` (`id`, `created_at`, `updated_at`, `kind`, `limit_value`, `usage`, `usage_updated_at`, `tier`, `active_from`, `active_to`, `status`, `soft_limit`, `override_limit`, `override_reason`, `override_expires_at`, `account_id`, `contract_id`, `product_id`, `source_order_line_id`) SELECT `id`, `created_at`, `updated_at`, `kind`, `limit_value`, `usage`, `usage_updated_at`, `tier`, `active_from`, `active_to`, `status`, `soft_limit`, `override_limit`, `override_reason`, `override_expires_at`, `account_id`, `contract_id`, `product_id`, `source_order_line_id` FROM `entitlements`;
-- Drop "entitlements" table after copying rows
DROP TABLE `entitlements`;
-- Rename temporary table "new_entitlements" to "entitlements"
ALTER TABLE `new_entitlements` RENAME TO `entitlements`;
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
-- Create index "entitlement_status_over_limit_candidate" to table: "entitlements"
CREATE INDEX `entitlement_status_over_limit_candidate` ON `entitlements` (`status`, `over_limit_candidate`);
-- Create index "entitlement_status_contract_in_force_until" to table: "entitlements"
CREATE INDEX `entitlement_status_contract_in_force_until` ON `entitlements` (`status`, `contract_in_force_until`);
-- Create index "entitlement_status_active_to" to table: "entitlements"
CREATE INDEX `entitlement_status_active_to` ON `entitlements` (`status`, `active_to`);
-- Create index "entitlement_active_to" to table: "entitlements"
CREATE INDEX `entitlement_active_to` ON `entitlements` (`active_to`);
-- Create index "entitlement_usage" to table: "entitlements"
CREATE INDEX `entitlement_usage` ON `entitlements` (`usage`);
-- Create index "entitlement_active_from" to table: "entitlements"
CREATE INDEX `entitlement_active_from` ON `entitlements` (`active_from`);
-- Create "new_order_lines" table
CREATE TABLE `new_order_lines` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `action` text NOT NULL, `quantity` integer NOT NULL DEFAULT (0), `tier` text NULL, `entitlement_gap` bool NOT NULL DEFAULT (false), `order_id` integer NOT NULL, `product_id` integer NOT NULL, CONSTRAINT `order_lines_orders_lines` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE NO ACTION, CONSTRAINT `order_lines_products_product` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`) ON DELETE NO ACTION);
-- Set sequence for "new_order_lines" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('new_order_lines', 38654705664);
-- Copy rows from old table "order_lines" to new temporary table "new_order_lines"
INSERT INTO `new_order_lines` (`id`, `created_at`, `updated_at`, `action`, `quantity`, `tier`, `order_id`, `product_id`) SELECT `id`, `created_at`, `updated_at`, `action`, `quantity`, `tier`, `order_id`, `product_id` FROM `order_lines`;
-- Drop "order_lines" table after copying rows
DROP TABLE `order_lines`;
-- Rename temporary table "new_order_lines" to "order_lines"
ALTER TABLE `new_order_lines` RENAME TO `order_lines`;
-- Create index "orderline_created_at" to table: "order_lines"
CREATE INDEX `orderline_created_at` ON `order_lines` (`created_at`);
-- Create index "orderline_updated_at" to table: "order_lines"
CREATE INDEX `orderline_updated_at` ON `order_lines` (`updated_at`);
-- Create index "orderline_order_id" to table: "order_lines"
CREATE INDEX `orderline_order_id` ON `order_lines` (`order_id`);
-- Create index "orderline_product_id" to table: "order_lines"
CREATE INDEX `orderline_product_id` ON `order_lines` (`product_id`);
-- Create index "orderline_entitlement_gap_id" to table: "order_lines"
CREATE INDEX `orderline_entitlement_gap_id` ON `order_lines` (`entitlement_gap`, `id`);
-- Create trigger "entitlements_gaps_insert" on table: "entitlements": recomputes order_lines.entitlement_gap (FULFILLED_WITHOUT_ENTITLEMENT, docs/reports.md) for the lines of the entitlement's (account, product), flipping only the lines whose flag is wrong
CREATE TRIGGER `entitlements_gaps_insert` AFTER INSERT ON `entitlements` BEGIN
  UPDATE order_lines SET entitlement_gap = NOT entitlement_gap
  WHERE order_lines.product_id = NEW.product_id AND order_lines.order_id IN (SELECT id FROM orders WHERE account_id = NEW.account_id)
    AND order_lines.entitlement_gap <> (order_lines.action IN ('ADD', 'CHANGE', 'RENEW') AND EXISTS (
    SELECT 1 FROM orders o WHERE o.id = order_lines.order_id AND o.status = 'FULFILLED'
      AND NOT EXISTS (SELECT 1 FROM entitlements e WHERE e.source_order_line_id = order_lines.id)
      AND NOT EXISTS (SELECT 1 FROM entitlements e
        JOIN order_lines l2 ON l2.id = e.source_order_line_id
        JOIN orders o2 ON o2.id = l2.order_id
        WHERE e.account_id = o.account_id AND e.product_id = order_lines.product_id AND o2.fulfilled_at >= o.fulfilled_at)));
END;
-- Create trigger "entitlements_gaps_update" on table: "entitlements"
CREATE TRIGGER `entitlements_gaps_update` AFTER UPDATE OF source_order_line_id, account_id, product_id ON `entitlements`
  WHEN OLD.source_order_line_id IS NOT NEW.source_order_line_id OR OLD.account_id <> NEW.account_id OR OLD.product_id <> NEW.product_id BEGIN
  UPDATE order_lines SET entitlement_gap = NOT entitlement_gap
  WHERE order_lines.product_id = NEW.product_id AND order_lines.order_id IN (SELECT id FROM orders WHERE account_id = NEW.account_id)
    AND order_lines.entitlement_gap <> (order_lines.action IN ('ADD', 'CHANGE', 'RENEW') AND EXISTS (
    SELECT 1 FROM orders o WHERE o.id = order_lines.order_id AND o.status = 'FULFILLED'
      AND NOT EXISTS (SELECT 1 FROM entitlements e WHERE e.source_order_line_id = order_lines.id)
      AND NOT EXISTS (SELECT 1 FROM entitlements e
        JOIN order_lines l2 ON l2.id = e.source_order_line_id
        JOIN orders o2 ON o2.id = l2.order_id
        WHERE e.account_id = o.account_id AND e.product_id = order_lines.product_id AND o2.fulfilled_at >= o.fulfilled_at)));
  UPDATE order_lines SET entitlement_gap = NOT entitlement_gap
  WHERE order_lines.product_id = OLD.product_id AND order_lines.order_id IN (SELECT id FROM orders WHERE account_id = OLD.account_id)
    AND order_lines.entitlement_gap <> (order_lines.action IN ('ADD', 'CHANGE', 'RENEW') AND EXISTS (
    SELECT 1 FROM orders o WHERE o.id = order_lines.order_id AND o.status = 'FULFILLED'
      AND NOT EXISTS (SELECT 1 FROM entitlements e WHERE e.source_order_line_id = order_lines.id)
      AND NOT EXISTS (SELECT 1 FROM entitlements e
        JOIN order_lines l2 ON l2.id = e.source_order_line_id
        JOIN orders o2 ON o2.id = l2.order_id
        WHERE e.account_id = o.account_id AND e.product_id = order_lines.product_id AND o2.fulfilled_at >= o.fulfilled_at)));
END;
-- Create trigger "entitlements_gaps_delete" on table: "entitlements"
CREATE TRIGGER `entitlements_gaps_delete` AFTER DELETE ON `entitlements` BEGIN
  UPDATE order_lines SET entitlement_gap = NOT entitlement_gap
  WHERE order_lines.product_id = OLD.product_id AND order_lines.order_id IN (SELECT id FROM orders WHERE account_id = OLD.account_id)
    AND order_lines.entitlement_gap <> (order_lines.action IN ('ADD', 'CHANGE', 'RENEW') AND EXISTS (
    SELECT 1 FROM orders o WHERE o.id = order_lines.order_id AND o.status = 'FULFILLED'
      AND NOT EXISTS (SELECT 1 FROM entitlements e WHERE e.source_order_line_id = order_lines.id)
      AND NOT EXISTS (SELECT 1 FROM entitlements e
        JOIN order_lines l2 ON l2.id = e.source_order_line_id
        JOIN orders o2 ON o2.id = l2.order_id
        WHERE e.account_id = o.account_id AND e.product_id = order_lines.product_id AND o2.fulfilled_at >= o.fulfilled_at)));
END;
-- Create trigger "orders_gaps_update" on table: "orders": an order whose status, fulfilment time or account changed
CREATE TRIGGER `orders_gaps_update` AFTER UPDATE OF status, fulfilled_at, account_id ON `orders`
  WHEN OLD.status IS NOT NEW.status OR OLD.fulfilled_at IS NOT NEW.fulfilled_at OR OLD.account_id <> NEW.account_id BEGIN
  UPDATE order_lines SET entitlement_gap = NOT entitlement_gap
  WHERE order_lines.product_id IN (SELECT product_id FROM order_lines WHERE order_id = NEW.id)
    AND order_lines.order_id IN (SELECT id FROM orders WHERE account_id = NEW.account_id)
    AND order_lines.entitlement_gap <> (order_lines.action IN ('ADD', 'CHANGE', 'RENEW') AND EXISTS (
    SELECT 1 FROM orders o WHERE o.id = order_lines.order_id AND o.status = 'FULFILLED'
      AND NOT EXISTS (SELECT 1 FROM entitlements e WHERE e.source_order_line_id = order_lines.id)
      AND NOT EXISTS (SELECT 1 FROM entitlements e
        JOIN order_lines l2 ON l2.id = e.source_order_line_id
        JOIN orders o2 ON o2.id = l2.order_id
        WHERE e.account_id = o.account_id AND e.product_id = order_lines.product_id AND o2.fulfilled_at >= o.fulfilled_at)));
  UPDATE order_lines SET entitlement_gap = NOT entitlement_gap
  WHERE order_lines.product_id IN (SELECT product_id FROM order_lines WHERE order_id = NEW.id)
    AND order_lines.order_id IN (SELECT id FROM orders WHERE account_id = OLD.account_id)
    AND order_lines.entitlement_gap <> (order_lines.action IN ('ADD', 'CHANGE', 'RENEW') AND EXISTS (
    SELECT 1 FROM orders o WHERE o.id = order_lines.order_id AND o.status = 'FULFILLED'
      AND NOT EXISTS (SELECT 1 FROM entitlements e WHERE e.source_order_line_id = order_lines.id)
      AND NOT EXISTS (SELECT 1 FROM entitlements e
        JOIN order_lines l2 ON l2.id = e.source_order_line_id
        JOIN orders o2 ON o2.id = l2.order_id
        WHERE e.account_id = o.account_id AND e.product_id = order_lines.product_id AND o2.fulfilled_at >= o.fulfilled_at)));
END;
-- Create trigger "order_lines_gaps_insert" on table: "order_lines"
CREATE TRIGGER `order_lines_gaps_insert` AFTER INSERT ON `order_lines` BEGIN
  UPDATE order_lines SET entitlement_gap = NOT entitlement_gap
  WHERE order_lines.product_id = NEW.product_id AND order_lines.order_id IN (SELECT id FROM orders WHERE account_id = (SELECT account_id FROM orders WHERE id = NEW.order_id))
    AND order_lines.entitlement_gap <> (order_lines.action IN ('ADD', 'CHANGE', 'RENEW') AND EXISTS (
    SELECT 1 FROM orders o WHERE o.id = order_lines.order_id AND o.status = 'FULFILLED'
      AND NOT EXISTS (SELECT 1 FROM entitlements e WHERE e.source_order_line_id = order_lines.id)
      AND NOT EXISTS (SELECT 1 FROM entitlements e
        JOIN order_lines l2 ON l2.id = e.source_order_line_id
        JOIN orders o2 ON o2.id = l2.order_id
        WHERE e.account_id = o.account_id AND e.product_id = order_lines.product_id AND o2.fulfilled_at >= o.fulfilled_at)));
END;
-- Create trigger "order_lines_gaps_update" on table: "order_lines": a line whose order, product or action changed
CREATE TRIGGER `order_lines_gaps_update` AFTER UPDATE OF order_id, product_id, action ON `order_lines`
  WHEN OLD.order_id <> NEW.order_id OR OLD.product_id <> NEW.product_id OR OLD.action <> NEW.action BEGIN
  UPDATE order_lines SET entitlement_gap = NOT entitlement_gap
  WHERE order_lines.product_id = NEW.product_id AND order_lines.order_id IN (SELECT id FROM orders WHERE account_id = (SELECT account_id FROM orders WHERE id = NEW.order_id))
    AND order_lines.entitlement_gap <> (order_lines.action IN ('ADD', 'CHANGE', 'RENEW') AND EXISTS (
    SELECT 1 FROM orders o WHERE o.id = order_lines.order_id AND o.status = 'FULFILLED'
      AND NOT EXISTS (SELECT 1 FROM entitlements e WHERE e.source_order_line_id = order_lines.id)
      AND NOT EXISTS (SELECT 1 FROM entitlements e
        JOIN order_lines l2 ON l2.id = e.source_order_line_id
        JOIN orders o2 ON o2.id = l2.order_id
        WHERE e.account_id = o.account_id AND e.product_id = order_lines.product_id AND o2.fulfilled_at >= o.fulfilled_at)));
  UPDATE order_lines SET entitlement_gap = NOT entitlement_gap
  WHERE order_lines.product_id = OLD.product_id AND order_lines.order_id IN (SELECT id FROM orders WHERE account_id = (SELECT account_id FROM orders WHERE id = OLD.order_id))
    AND order_lines.entitlement_gap <> (order_lines.action IN ('ADD', 'CHANGE', 'RENEW') AND EXISTS (
    SELECT 1 FROM orders o WHERE o.id = order_lines.order_id AND o.status = 'FULFILLED'
      AND NOT EXISTS (SELECT 1 FROM entitlements e WHERE e.source_order_line_id = order_lines.id)
      AND NOT EXISTS (SELECT 1 FROM entitlements e
        JOIN order_lines l2 ON l2.id = e.source_order_line_id
        JOIN orders o2 ON o2.id = l2.order_id
        WHERE e.account_id = o.account_id AND e.product_id = order_lines.product_id AND o2.fulfilled_at >= o.fulfilled_at)));
END;
-- Backfill "order_lines"."entitlement_gap" for every line
UPDATE order_lines SET entitlement_gap = NOT entitlement_gap
WHERE order_lines.entitlement_gap <> (order_lines.action IN ('ADD', 'CHANGE', 'RENEW') AND EXISTS (
    SELECT 1 FROM orders o WHERE o.id = order_lines.order_id AND o.status = 'FULFILLED'
      AND NOT EXISTS (SELECT 1 FROM entitlements e WHERE e.source_order_line_id = order_lines.id)
      AND NOT EXISTS (SELECT 1 FROM entitlements e
        JOIN order_lines l2 ON l2.id = e.source_order_line_id
        JOIN orders o2 ON o2.id = l2.order_id
        WHERE e.account_id = o.account_id AND e.product_id = order_lines.product_id AND o2.fulfilled_at >= o.fulfilled_at)));
-- Backfill "entitlements"."over_limit_candidate" and "contract_in_force_until"
UPDATE entitlements SET over_limit_candidate = (COALESCE(usage > limit_value, 0) OR COALESCE(usage > override_limit, 0)),
  contract_in_force_until = (SELECT c.end_date FROM contracts c WHERE c.id = entitlements.contract_id AND c.status = 'ACTIVE');
-- Create trigger "entitlements_rule_columns_insert" on table: "entitlements": the row's over_limit_candidate and contract_in_force_until
CREATE TRIGGER `entitlements_rule_columns_insert` AFTER INSERT ON `entitlements` BEGIN
  UPDATE entitlements SET over_limit_candidate = (COALESCE(usage > limit_value, 0) OR COALESCE(usage > override_limit, 0)),
    contract_in_force_until = (SELECT c.end_date FROM contracts c WHERE c.id = entitlements.contract_id AND c.status = 'ACTIVE')
  WHERE id = NEW.id;
END;
-- Create trigger "entitlements_rule_columns_update" on table: "entitlements"
CREATE TRIGGER `entitlements_rule_columns_update` AFTER UPDATE OF usage, limit_value, override_limit, contract_id ON `entitlements` BEGIN
  UPDATE entitlements SET over_limit_candidate = (COALESCE(usage > limit_value, 0) OR COALESCE(usage > override_limit, 0)),
    contract_in_force_until = (SELECT c.end_date FROM contracts c WHERE c.id = entitlements.contract_id AND c.status = 'ACTIVE')
  WHERE id = NEW.id;
END;
-- Create trigger "contracts_in_force" on table: "contracts": a contract's status or end date changed; its entitlements' contract_in_force_until follows
CREATE TRIGGER `contracts_in_force` AFTER UPDATE OF status, end_date ON `contracts`
  WHEN OLD.status IS NOT NEW.status OR OLD.end_date IS NOT NEW.end_date BEGIN
  UPDATE entitlements SET contract_in_force_until = CASE WHEN NEW.status = 'ACTIVE' THEN NEW.end_date END WHERE contract_id = NEW.id;
END;
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
