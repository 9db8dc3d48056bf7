-- Create "contract_allocations" table
CREATE TABLE `contract_allocations` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `contract_id` integer NOT NULL, `product_id` integer NOT NULL, `allocated` integer NOT NULL, `contracted` integer NOT NULL, `excess` integer NOT NULL, `earliest_end` datetime NULL);
-- Set sequence for "contract_allocations" table
INSERT INTO sqlite_sequence (name, seq) VALUES ('contract_allocations', 68719476736);
-- Create index "contractallocation_contract_id_product_id" to table: "contract_allocations"
CREATE UNIQUE INDEX `contractallocation_contract_id_product_id` ON `contract_allocations` (`contract_id`, `product_id`);
-- Create index "contractallocation_excess_contract_id_product_id_earliest_end" to table: "contract_allocations"
CREATE INDEX `contractallocation_excess_contract_id_product_id_earliest_end` ON `contract_allocations` (`excess`, `contract_id`, `product_id`, `earliest_end`);
-- Create trigger "entitlements_contract_allocations_insert" on table: "entitlements": recompute the new row's (contract, product) from entitlements and contract_items (row-level: SQLite has no statement-level triggers)
CREATE TRIGGER `entitlements_contract_allocations_insert` AFTER INSERT ON `entitlements` FOR EACH ROW WHEN NEW.contract_id IS NOT NULL BEGIN
  INSERT INTO contract_allocations (contract_id, product_id, allocated, contracted, excess, earliest_end)
  SELECT NEW.contract_id, NEW.product_id, e.allocated, c.contracted, e.allocated - c.contracted, e.earliest_end
  FROM (SELECT COALESCE(SUM(CASE WHEN e.kind = 'BOOLEAN' OR e.limit_value IS NULL THEN 1 ELSE e.limit_value END), 0) AS allocated, MIN(e.active_to) AS earliest_end
        FROM entitlements e WHERE e.contract_id = NEW.contract_id AND e.product_id = NEW.product_id AND e.status = 'ACTIVE') AS e,
       (SELECT COALESCE(SUM(ci.quantity), 0) AS contracted
        FROM contract_items ci WHERE ci.contract_id = NEW.contract_id AND ci.product_id = NEW.product_id) AS c
  WHERE true
  ON CONFLICT (contract_id, product_id) DO UPDATE SET allocated = excluded.allocated, contracted = excluded.contracted, excess = excluded.excess, earliest_end = excluded.earliest_end;
END;
-- Create trigger "entitlements_contract_allocations_update" on table: "entitlements": recompute the new and the old pair when the pair, the units or the window's end change (not for a usage report)
CREATE TRIGGER `entitlements_contract_allocations_update` AFTER UPDATE OF `contract_id`, `product_id`, `status`, `kind`, `limit_value`, `active_to` ON `entitlements` FOR EACH ROW WHEN OLD.contract_id IS NOT NEW.contract_id OR OLD.product_id <> NEW.product_id OR OLD.status <> NEW.status OR OLD.kind <> NEW.kind OR OLD.limit_value IS NOT NEW.limit_value OR OLD.active_to IS NOT NEW.active_to BEGIN
  INSERT INTO contract_allocations (contract_id, product_id, allocated, contracted, excess, earliest_end)
  SELECT NEW.contract_id, NEW.product_id, e.allocated, c.contracted, e.allocated - c.contracted, e.earliest_end
  FROM (SELECT COALESCE(SUM(CASE WHEN e.kind = 'BOOLEAN' OR e.limit_value IS NULL THEN 1 ELSE e.limit_value END), 0) AS allocated, MIN(e.active_to) AS earliest_end
        FROM entitlements e WHERE e.contract_id = NEW.contract_id AND e.product_id = NEW.product_id AND e.status = 'ACTIVE') AS e,
       (SELECT COALESCE(SUM(ci.quantity), 0) AS contracted
        FROM contract_items ci WHERE ci.contract_id = NEW.contract_id AND ci.product_id = NEW.product_id) AS c
  WHERE NEW.contract_id IS NOT NULL
  ON CONFLICT (contract_id, product_id) DO UPDATE SET allocated = excluded.allocated, contracted = excluded.contracted, excess = excluded.excess, earliest_end = excluded.earliest_end;
  INSERT INTO contract_allocations (contract_id, product_id, allocated, contracted, excess, earliest_end)
  SELECT OLD.contract_id, OLD.product_id, e.allocated, c.contracted, e.allocated - c.contracted, e.earliest_end
  FROM (SELECT COALESCE(SUM(CASE WHEN e.kind = 'BOOLEAN' OR e.limit_value IS NULL THEN 1 ELSE e.limit_value END), 0) AS allocated, MIN(e.active_to) AS earliest_end
        FROM entitlements e WHERE e.contract_id = OLD.contract_id AND e.product_id = OLD.product_id AND e.status = 'ACTIVE') AS e,
       (SELECT COALESCE(SUM(ci.quantity), 0) AS contracted
        FROM contract_items ci WHERE ci.contract_id = OLD.contract_id AND ci.product_id = OLD.product_id) AS c
  WHERE OLD.contract_id IS NOT NULL AND (OLD.contract_id IS NOT NEW.contract_id OR OLD.product_id <> NEW.product_id)
  ON CONFLICT (contract_id, product_id) DO UPDATE SET allocated = excluded.allocated, contracted = excluded.contracted, excess = excluded.excess, earliest_end = excluded.earliest_end;
END;
-- Create trigger "entitlements_contract_allocations_delete" on table: "entitlements"
CREATE TRIGGER `entitlements_contract_allocations_delete` AFTER DELETE ON `entitlements` FOR EACH ROW WHEN OLD.contract_id IS NOT NULL BEGIN
  INSERT INTO contract_allocations (contract_id, product_id, allocated, contracted, excess, earliest_end)
  SELECT OLD.contract_id, OLD.product_id, e.allocated, c.contracted, e.allocated - c.contracted, e.earliest_end
  FROM (SELECT COALESCE(SUM(CASE WHEN e.kind = 'BOOLEAN' OR e.limit_value IS NULL THEN 1 ELSE e.limit_value END), 0) AS allocated, MIN(e.active_to) AS earliest_end
        FROM entitlements e WHERE e.contract_id = OLD.contract_id AND e.product_id = OLD.product_id AND e.status = 'ACTIVE') AS e,
       (SELECT COALESCE(SUM(ci.quantity), 0) AS contracted
        FROM contract_items ci WHERE ci.contract_id = OLD.contract_id AND ci.product_id = OLD.product_id) AS c
  WHERE true
  ON CONFLICT (contract_id, product_id) DO UPDATE SET allocated = excluded.allocated, contracted = excluded.contracted, excess = excluded.excess, earliest_end = excluded.earliest_end;
END;
-- Create trigger "contract_items_contract_allocations_insert" on table: "contract_items"
CREATE TRIGGER `contract_items_contract_allocations_insert` AFTER INSERT ON `contract_items` FOR EACH ROW BEGIN
  INSERT INTO contract_allocations (contract_id, product_id, allocated, contracted, excess, earliest_end)
  SELECT NEW.contract_id, NEW.product_id, e.allocated, c.contracted, e.allocated - c.contracted, e.earliest_end
  FROM (SELECT COALESCE(SUM(CASE WHEN e.kind = 'BOOLEAN' OR e.limit_value IS NULL THEN 1 ELSE e.limit_value END), 0) AS allocated, MIN(e.active_to) AS earliest_end
        FROM entitlements e WHERE e.contract_id = NEW.contract_id AND e.product_id = NEW.product_id AND e.status = 'ACTIVE') AS e,
       (SELECT COALESCE(SUM(ci.quantity), 0) AS contracted
        FROM contract_items ci WHERE ci.contract_id = NEW.contract_id AND ci.product_id = NEW.product_id) AS c
  WHERE true
  ON CONFLICT (contract_id, product_id) DO UPDATE SET allocated = excluded.allocated, contracted = excluded.contracted, excess = excluded.excess, earliest_end = excluded.earliest_end;
END;
-- Create trigger "contract_items_contract_allocations_update" on table: "contract_items": the new and the old pair when the pair or the quantity change
CREATE TRIGGER `contract_items_contract_allocations_update` AFTER UPDATE OF `contract_id`, `product_id`, `quantity` ON `contract_items` FOR EACH ROW WHEN OLD.contract_id <> NEW.contract_id OR OLD.product_id <> NEW.product_id OR OLD.quantity <> NEW.quantity BEGIN
  INSERT INTO contract_allocations (contract_id, product_id, allocated, contracted, excess, earliest_end)
  SELECT NEW.contract_id, NEW.product_id, e.allocated, c.contracted, e.allocated - c.contracted, e.earliest_end
  FROM (SELECT COALESCE(SUM(CASE WHEN e.kind = 'BOOLEAN' OR e.limit_value IS NULL THEN 1 ELSE e.limit_value END), 0) AS allocated, MIN(e.active_to) AS earliest_end
        FROM entitlements e WHERE e.contract_id = NEW.contract_id AND e.product_id = NEW.product_id AND e.status = 'ACTIVE') AS e,
       (SELECT COALESCE(SUM(ci.quantity), 0) AS contracted
        FROM contract_items ci WHERE ci.contract_id = NEW.contract_id AND ci.product_id = NEW.product_id) AS c
  WHERE true
  ON CONFLICT (contract_id, product_id) DO UPDATE SET allocated = excluded.allocated, contracted = excluded.contracted, excess = excluded.excess, earliest_end = excluded.earliest_end;
  INSERT INTO contract_allocations (contract_id, product_id, allocated, contracted, excess, earliest_end)
  SELECT OLD.contract_id, OLD.product_id, e.allocated, c.contracted, e.allocated - c.contracted, e.earliest_end
  FROM (SELECT COALESCE(SUM(CASE WHEN e.kind = 'BOOLEAN' OR e.limit_value IS NULL THEN 1 ELSE e.limit_value END), 0) AS allocated, MIN(e.active_to) AS earliest_end
        FROM entitlements e WHERE e.contract_id = OLD.contract_id AND e.product_id = OLD.product_id AND e.status = 'ACTIVE') AS e,
       (SELECT COALESCE(SUM(ci.quantity), 0) AS contracted
        FROM contract_items ci WHERE ci.contract_id = OLD.contract_id AND ci.product_id = OLD.product_id) AS c
  WHERE OLD.contract_id <> NEW.contract_id OR OLD.product_id <> NEW.product_id
  ON CONFLICT (contract_id, product_id) DO UPDATE SET allocated = excluded.allocated, contracted = excluded.contracted, excess = excluded.excess, earliest_end = excluded.earliest_end;
END;
-- Create trigger "contract_items_contract_allocations_delete" on table: "contract_items"
CREATE TRIGGER `contract_items_contract_allocations_delete` AFTER DELETE ON `contract_items` FOR EACH ROW BEGIN
  INSERT INTO contract_allocations (contract_id, product_id, allocated, contracted, excess, earliest_end)
  SELECT OLD.contract_id, OLD.product_id, e.allocated, c.contracted, e.allocated - c.contracted, e.earliest_end
  FROM (SELECT COALESCE(SUM(CASE WHEN e.kind = 'BOOLEAN' OR e.limit_value IS NULL THEN 1 ELSE e.limit_value END), 0) AS allocated, MIN(e.active_to) AS earliest_end
        FROM entitlements e WHERE e.contract_id = OLD.contract_id AND e.product_id = OLD.product_id AND e.status = 'ACTIVE') AS e,
       (SELECT COALESCE(SUM(ci.quantity), 0) AS contracted
        FROM contract_items ci WHERE ci.contract_id = OLD.contract_id AND ci.product_id = OLD.product_id) AS c
  WHERE true
  ON CONFLICT (contract_id, product_id) DO UPDATE SET allocated = excluded.allocated, contracted = excluded.contracted, excess = excluded.excess, earliest_end = excluded.earliest_end;
END;
-- Backfill "contract_allocations": every pair of an entitlement with a contract or of a contract item
INSERT INTO `contract_allocations` (`contract_id`, `product_id`, `allocated`, `contracted`, `excess`, `earliest_end`)
SELECT p.contract_id, p.product_id, SUM(p.allocated), SUM(p.contracted), SUM(p.allocated) - SUM(p.contracted), MIN(p.active_to)
FROM (
  SELECT e.contract_id, e.product_id,
    CASE WHEN e.status <> 'ACTIVE' THEN 0 WHEN e.kind = 'BOOLEAN' OR e.limit_value IS NULL THEN 1 ELSE e.limit_value END AS allocated,
    0 AS contracted,
    CASE WHEN e.status = 'ACTIVE' THEN e.active_to END AS active_to
  FROM entitlements e WHERE e.contract_id IS NOT NULL
  UNION ALL
  SELECT ci.contract_id, ci.product_id, 0, ci.quantity, NULL FROM contract_items ci
) AS p
GROUP BY p.contract_id, p.product_id
ORDER BY p.contract_id, p.product_id;
