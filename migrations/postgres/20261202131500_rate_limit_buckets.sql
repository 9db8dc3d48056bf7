-- Create "rate_limit_buckets" table: the GraphQL cost leaky buckets of internal/ratelimit, one row per subject, shared by every server instance. Hand-written: not an ent entity (internal/migrate's TestNoDrift lists it among the tables ent does not own). UNLOGGED because it is throttle state, not business data: every admitted request updates a row, and an unlogged table writes no WAL for it; the price is that PostgreSQL empties the table after a crash (every subject starts again with a full budget) and does not copy it to replicas (only the primary serves it).
CREATE UNLOGGED TABLE "rate_limit_buckets" (
  "subject" text NOT NULL,
  "level" double precision NOT NULL,
  "updated_at" timestamptz NOT NULL,
  PRIMARY KEY ("subject")
);
