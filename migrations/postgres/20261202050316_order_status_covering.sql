-- Drop index "order_status" from table: "orders"
DROP INDEX "order_status";
-- Create index "order_status" to table: "orders"
CREATE INDEX "order_status" ON "orders" ("status") INCLUDE ("id", "account_id", "created_at", "submitted_at", "validated_at", "provisioning_at");
