-- Q1, the raw-SQL limit: the first 50 accounts by id, each with its first 8
-- contracts by id and each contract's first 10 entitlements by id (the
-- same page sizes, order and fields as bench/scenarios/q1.json), global IDs
-- encoded as the API does (URL-safe base64 of "<table>:<id>"), the whole
-- answer built by PostgreSQL as one JSON document in one statement.
SELECT json_build_object('data', json_build_object('accounts', json_build_object('edges',
  coalesce(json_agg(json_build_object('node', json_build_object(
    'id', rtrim(translate(encode(convert_to('accounts:' || a.id, 'UTF8'), 'base64'), '+/', '-_'), '='),
    'name', a.name, 'segment', a.segment, 'region', a.region, 'lifecycleStage', a.lifecycle_stage,
    'contracts', json_build_object('edges', ac.edges))) ORDER BY a.id), '[]'::json))))
FROM (SELECT * FROM accounts ORDER BY id LIMIT 50) a
CROSS JOIN LATERAL (
  SELECT coalesce(json_agg(json_build_object('node', json_build_object(
    'id', rtrim(translate(encode(convert_to('contracts:' || c.id, 'UTF8'), 'base64'), '+/', '-_'), '='),
    'number', c.number, 'status', c.status, 'startDate', c.start_date, 'endDate', c.end_date,
    'arrMinor', c.arr_minor, 'currency', c.currency,
    'entitlements', json_build_object('edges', ce.edges))) ORDER BY c.id), '[]'::json) AS edges
  FROM (SELECT * FROM contracts WHERE account_id = a.id ORDER BY id LIMIT 8) c
  CROSS JOIN LATERAL (
    SELECT coalesce(json_agg(json_build_object('node', json_build_object(
      'id', rtrim(translate(encode(convert_to('entitlements:' || e.id, 'UTF8'), 'base64'), '+/', '-_'), '='),
      'kind', e.kind, 'limit', e.limit_value, 'usage', e.usage, 'status', e.status,
      'activeFrom', e.active_from, 'activeTo', e.active_to)) ORDER BY e.id), '[]'::json) AS edges
    FROM (SELECT * FROM entitlements WHERE contract_id = c.id ORDER BY id LIMIT 10) e
  ) ce
) ac;
