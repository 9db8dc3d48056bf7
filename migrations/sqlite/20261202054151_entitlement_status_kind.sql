-- Drop index "entitlement_status" from table: "entitlements"
DROP INDEX `entitlement_status`;
-- Create index "entitlement_status_kind" to table: "entitlements"
CREATE INDEX `entitlement_status_kind` ON `entitlements` (`status`, `kind`);
