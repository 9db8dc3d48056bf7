-- Create "leader_slots" table: the last interval slot each background job (internal/leader) was claimed for, one row per job, so that of the processes sharing the database file exactly one runs the job in each slot. Hand-written: not an ent entity (internal/migrate's TestNoDrift lists it among the tables ent does not own). claimed_at is UTC text 'YYYY-MM-DD HH:MM:SS.SSS'.
CREATE TABLE `leader_slots` (
  `job` text NOT NULL,
  `slot` integer NOT NULL,
  `claimed_at` text NOT NULL,
  `claimed_by` text NOT NULL,
  PRIMARY KEY (`job`)
) WITHOUT ROWID;
