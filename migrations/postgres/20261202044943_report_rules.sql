-- Modify "entitlements" table
ALTER TABLE "entitlements" ADD COLUMN "over_limit_candidate" boolean NOT NULL DEFAULT false, ADD COLUMN "contract_in_force_until" timestamptz NULL;
-- Create index "entitlement_status_active_to" to table: "entitlements"
CREATE INDEX "entitlement_status_active_to" ON "entitlements" ("status", "active_to") INCLUDE ("account_id");
-- Create index "entitlement_status_contract_in_force_until" to table: "entitlements"
CREATE INDEX "entitlement_status_contract_in_force_until" ON "entitlements" ("status", "contract_in_force_until") INCLUDE ("account_id", "active_to");
-- Create index "entitlement_status_over_limit_candidate" to table: "entitlements"
CREATE INDEX "entitlement_status_over_limit_candidate" ON "entitlements" ("status", "over_limit_candidate") INCLUDE ("account_id", "active_to", "usage", "limit_value", "override_limit", "override_expires_at");
-- Modify "order_lines" table
ALTER TABLE "order_lines" ADD COLUMN "entitlement_gap" boolean NOT NULL DEFAULT false;
-- Create index "orderline_entitlement_gap_id" to table: "order_lines"
CREATE INDEX "orderline_entitlement_gap_id" ON "order_lines" ("entitlement_gap", "id");
-- Drop index "order_billing_status_created_at" from table: "orders"
DROP INDEX "order_billing_status_created_at";
-- Drop index "order_billing_status_status_fulfilled_at" from table: "orders"
DROP INDEX "order_billing_status_status_fulfilled_at";
-- Create index "order_billing_status_created_at" to table: "orders"
CREATE INDEX "order_billing_status_created_at" ON "orders" ("billing_status", "created_at") INCLUDE ("status", "account_id");
-- Create index "order_billing_status_status_fulfilled_at" to table: "orders"
CREATE INDEX "order_billing_status_status_fulfilled_at" ON "orders" ("billing_status", "status", "fulfilled_at") INCLUDE ("contract_id", "account_id");
-- Create function "opsgraph_refresh_entitlement_gaps": recomputes order_lines.entitlement_gap (FULFILLED_WITHOUT_ENTITLEMENT, docs/reports.md) for the lines of the given (account, product) pairs, flipping only the lines whose flag is wrong
CREATE FUNCTION "opsgraph_refresh_entitlement_gaps"(accounts bigint[], products bigint[]) RETURNS void LANGUAGE sql AS $$
UPDATE order_lines SET entitlement_gap = NOT entitlement_gap
WHERE order_lines.id IN (
    SELECT l.id FROM unnest(accounts, products) AS pair(account_id, product_id)
    JOIN orders o ON o.account_id = pair.account_id
    JOIN order_lines l ON l.order_id = o.id AND l.product_id = pair.product_id)
  AND order_lines.entitlement_gap <> (order_lines.action IN ('ADD', 'CHANGE', 'RENEW') AND EXISTS (
    SELECT 1 FROM orders o WHERE o.id = order_lines.order_id AND o.status = 'FULFILLED'
      AND NOT EXISTS (SELECT 1 FROM entitlements e WHERE e.source_order_line_id = order_lines.id)
      AND NOT EXISTS (SELECT 1 FROM entitlements e
        JOIN order_lines l2 ON l2.id = e.source_order_line_id
        JOIN orders o2 ON o2.id = l2.order_id
        WHERE e.account_id = o.account_id AND e.product_id = order_lines.product_id AND o2.fulfilled_at >= o.fulfilled_at)));
$$;
-- Create function "opsgraph_entitlement_gaps_on_entitlements": the pairs of the entitlements an INSERT (statement-level, new_rows), UPDATE or DELETE (row-level) touched
CREATE FUNCTION "opsgraph_entitlement_gaps_on_entitlements"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  a bigint[];
  p bigint[];
BEGIN
  IF TG_LEVEL = 'STATEMENT' THEN
    SELECT array_agg(account_id), array_agg(product_id) INTO a, p FROM new_rows;
  ELSIF TG_OP = 'DELETE' THEN
    a := ARRAY[OLD.account_id]; p := ARRAY[OLD.product_id];
  ELSE
    a := ARRAY[NEW.account_id, OLD.account_id]; p := ARRAY[NEW.product_id, OLD.product_id];
  END IF;
  PERFORM opsgraph_refresh_entitlement_gaps(a, p);
  RETURN NULL;
END;
$$;
-- Create trigger "entitlements_gaps_insert" on table: "entitlements"
CREATE TRIGGER "entitlements_gaps_insert" AFTER INSERT ON "entitlements" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION opsgraph_entitlement_gaps_on_entitlements();
-- Create trigger "entitlements_gaps_update" on table: "entitlements"
CREATE TRIGGER "entitlements_gaps_update" AFTER UPDATE OF source_order_line_id, account_id, product_id ON "entitlements" FOR EACH ROW
  WHEN (OLD.source_order_line_id IS DISTINCT FROM NEW.source_order_line_id OR OLD.account_id <> NEW.account_id OR OLD.product_id <> NEW.product_id)
  EXECUTE FUNCTION opsgraph_entitlement_gaps_on_entitlements();
-- Create trigger "entitlements_gaps_delete" on table: "entitlements"
CREATE TRIGGER "entitlements_gaps_delete" AFTER DELETE ON "entitlements" FOR EACH ROW EXECUTE FUNCTION opsgraph_entitlement_gaps_on_entitlements();
-- Create function "opsgraph_entitlement_gaps_on_orders": the pairs of an order whose status, fulfilment time or account changed
CREATE FUNCTION "opsgraph_entitlement_gaps_on_orders"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  a bigint[];
  p bigint[];
BEGIN
  SELECT array_agg(x.account_id), array_agg(x.product_id) INTO a, p FROM (
    SELECT NEW.account_id AS account_id, product_id FROM order_lines WHERE order_id = NEW.id
    UNION SELECT OLD.account_id, product_id FROM order_lines WHERE order_id = NEW.id) x;
  PERFORM opsgraph_refresh_entitlement_gaps(a, p);
  RETURN NULL;
END;
$$;
-- Create trigger "orders_gaps_update" on table: "orders"
CREATE TRIGGER "orders_gaps_update" AFTER UPDATE OF status, fulfilled_at, account_id ON "orders" FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.fulfilled_at IS DISTINCT FROM NEW.fulfilled_at OR OLD.account_id <> NEW.account_id)
  EXECUTE FUNCTION opsgraph_entitlement_gaps_on_orders();
-- Create function "opsgraph_entitlement_gaps_on_order_lines": the new lines themselves (statement-level INSERT), or the pairs of a line whose order, product or action changed
CREATE FUNCTION "opsgraph_entitlement_gaps_on_order_lines"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  a bigint[];
  p bigint[];
BEGIN
  IF TG_LEVEL = 'STATEMENT' THEN
    SELECT array_agg(o.account_id), array_agg(n.product_id) INTO a, p FROM new_rows n JOIN orders o ON o.id = n.order_id;
  ELSE
    SELECT array_agg(o.account_id), array_agg(x.product_id) INTO a, p
    FROM (VALUES (NEW.order_id, NEW.product_id), (OLD.order_id, OLD.product_id)) AS x(order_id, product_id)
    JOIN orders o ON o.id = x.order_id;
  END IF;
  PERFORM opsgraph_refresh_entitlement_gaps(a, p);
  RETURN NULL;
END;
$$;
-- Create trigger "order_lines_gaps_insert" on table: "order_lines"
CREATE TRIGGER "order_lines_gaps_insert" AFTER INSERT ON "order_lines" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION opsgraph_entitlement_gaps_on_order_lines();
-- Create trigger "order_lines_gaps_update" on table: "order_lines"
CREATE TRIGGER "order_lines_gaps_update" AFTER UPDATE OF order_id, product_id, action ON "order_lines" FOR EACH ROW
  WHEN (OLD.order_id <> NEW.order_id OR OLD.product_id <> NEW.product_id OR OLD.action <> NEW.action)
  EXECUTE FUNCTION opsgraph_entitlement_gaps_on_order_lines();
-- Backfill "order_lines"."entitlement_gap" for every line
UPDATE order_lines SET entitlement_gap = true
WHERE order_lines.action IN ('ADD', 'CHANGE', 'RENEW') AND EXISTS (
    SELECT 1 FROM orders o WHERE o.id = order_lines.order_id AND o.status = 'FULFILLED'
      AND NOT EXISTS (SELECT 1 FROM entitlements e WHERE e.source_order_line_id = order_lines.id)
      AND NOT EXISTS (SELECT 1 FROM entitlements e
        JOIN order_lines l2 ON l2.id = e.source_order_line_id
        JOIN orders o2 ON o2.id = l2.order_id
        WHERE e.account_id = o.account_id AND e.product_id = order_lines.product_id AND o2.fulfilled_at >= o.fulfilled_at));
-- Backfill "entitlements"."over_limit_candidate" and "contract_in_force_until"
UPDATE entitlements SET over_limit_candidate = (COALESCE(usage > limit_value, false) OR COALESCE(usage > override_limit, false)),
  contract_in_force_until = (SELECT c.end_date FROM contracts c WHERE c.id = entitlements.contract_id AND c.status = 'ACTIVE');
-- Create function "opsgraph_entitlement_rule_columns": the row's over_limit_candidate and contract_in_force_until, before every write
CREATE FUNCTION "opsgraph_entitlement_rule_columns"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.over_limit_candidate := COALESCE(NEW.usage > NEW.limit_value, false) OR COALESCE(NEW.usage > NEW.override_limit, false);
  NEW.contract_in_force_until := (SELECT c.end_date FROM contracts c WHERE c.id = NEW.contract_id AND c.status = 'ACTIVE');
  RETURN NEW;
END;
$$;
-- Create trigger "entitlements_rule_columns" on table: "entitlements"
CREATE TRIGGER "entitlements_rule_columns" BEFORE INSERT OR UPDATE ON "entitlements" FOR EACH ROW EXECUTE FUNCTION opsgraph_entitlement_rule_columns();
-- Create function "opsgraph_contract_in_force": a contract's status or end date changed; its entitlements' contract_in_force_until follows
CREATE FUNCTION "opsgraph_contract_in_force"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE entitlements SET contract_in_force_until = CASE WHEN NEW.status = 'ACTIVE' THEN NEW.end_date END WHERE contract_id = NEW.id;
  RETURN NULL;
END;
$$;
-- Create trigger "contracts_in_force" on table: "contracts"
CREATE TRIGGER "contracts_in_force" AFTER UPDATE OF status, end_date ON "contracts" FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.end_date IS DISTINCT FROM NEW.end_date)
  EXECUTE FUNCTION opsgraph_contract_in_force();
