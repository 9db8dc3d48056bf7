-- M1, a raw-SQL floor rather than an equivalent: the row writes alone,
-- half usage reports (one UPDATE of a random metered entitlement from the
-- scenario's pool, skipped when a later report is stored) and half batches
-- of 10 health signals for random accounts (one INSERT … ON CONFLICT DO
-- NOTHING on the natural key). The API's mutations do more per request
-- that this leaves out: the account locks, the duplicate check, the health
-- rescoring after a batch (scores written, accounts updated) and the audit
-- trail. The tables' own triggers run on both sides.
\set pick random(0, 1)
\set k random(1, :metered_count)
\set u random(0, 1000)
\if :pick = 0
UPDATE entitlements SET usage = :u, usage_updated_at = now(), updated_at = now()
WHERE id = (SELECT id FROM opsbench.pool_metered WHERE n = :k)
  AND (usage_updated_at IS NULL OR usage_updated_at <= now())
RETURNING id, usage, usage_updated_at;
\else
INSERT INTO health_signals (created_at, updated_at, kind, value, observed_at, source, ingested_at, account_id)
SELECT now(), now(), (ARRAY['PRODUCT_USAGE', 'ACTIVE_USERS', 'SUPPORT_TICKETS', 'NPS', 'CSAT'])[1 + (random() * 4)::int],
       random() * 100, clock_timestamp(), 'pgbench-' || :client_id, now(), p.id
FROM generate_series(1, 10) g
CROSS JOIN LATERAL (SELECT id FROM opsbench.pool_accounts WHERE n = 1 + (random() * (:accounts_count - 1))::int + 0 * g) p
ON CONFLICT DO NOTHING;
\endif
