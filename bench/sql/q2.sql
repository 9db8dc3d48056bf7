-- Q2, the raw-SQL limit: one random account (the same pool as the
-- scenario: every account id, here as a range) with its 20 latest health
-- signals (observed_at descending, ties by id), global IDs encoded as the
-- API does, one JSON document from one statement.
\set aid random(:accounts_min, :accounts_max)
SELECT json_build_object('data', json_build_object('node', json_build_object(
  'id', rtrim(translate(encode(convert_to('accounts:' || a.id, 'UTF8'), 'base64'), '+/', '-_'), '='),
  'name', a.name, 'segment', a.segment, 'lifecycleStage', a.lifecycle_stage,
  'healthSignals', json_build_object('edges', (
    SELECT coalesce(json_agg(json_build_object('node', json_build_object(
      'id', rtrim(translate(encode(convert_to('health_signals:' || s.id, 'UTF8'), 'base64'), '+/', '-_'), '='),
      'kind', s.kind, 'value', s.value, 'observedAt', s.observed_at, 'source', s.source))
      ORDER BY s.observed_at DESC, s.id), '[]'::json)
    FROM (SELECT * FROM health_signals WHERE account_id = a.id ORDER BY observed_at DESC, id LIMIT 20) s)))))
FROM accounts a WHERE a.id = :aid;
