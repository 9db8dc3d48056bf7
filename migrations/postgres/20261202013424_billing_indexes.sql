-- Drop index "order_billing_status" from table: "orders"
DROP INDEX "order_billing_status";
-- Create index "order_billing_status_created_at" to table: "orders"
CREATE INDEX "order_billing_status_created_at" ON "orders" ("billing_status", "created_at");
-- Create index "order_billing_status_status_fulfilled_at" to table: "orders"
CREATE INDEX "order_billing_status_status_fulfilled_at" ON "orders" ("billing_status", "status", "fulfilled_at");
