-- Create "rate_limit_buckets" table: the GraphQL cost leaky buckets of internal/ratelimit, one row per subject. Hand-written: not an ent entity (internal/migrate's TestNoDrift lists it among the tables ent does not own). updated_at is UTC text 'YYYY-MM-DD HH:MM:SS.SSS', the format of SQLite's date functions, which the limiter's statements compute with (millisecond resolution).
CREATE TABLE `rate_limit_buckets` (
  `subject` text NOT NULL,
  `level` real NOT NULL,
  `updated_at` text NOT NULL,
  PRIMARY KEY (`subject`)
) WITHOUT ROWID;
