-- Create index "order_fulfilled_not_billed" to table: "orders"
CREATE INDEX `order_fulfilled_not_billed` ON `orders` (`fulfilled_at`) WHERE status = 'FULFILLED' AND billing_status = 'NOT_BILLED';
-- Create index "order_invoiced_not_fulfilled" to table: "orders"
CREATE INDEX `order_invoiced_not_fulfilled` ON `orders` (`created_at`) WHERE billing_status = 'INVOICED' AND status <> 'FULFILLED';
