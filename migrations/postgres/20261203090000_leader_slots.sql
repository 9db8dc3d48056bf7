-- Create "leader_slots" table: the last interval slot each background job (internal/leader) was claimed for, one row per job, so that of the instances sharing the database exactly one runs the job in each slot. Hand-written: not an ent entity (internal/migrate's TestNoDrift lists it among the tables ent does not own).
CREATE TABLE "leader_slots" (
  "job" text NOT NULL,
  "slot" bigint NOT NULL,
  "claimed_at" timestamptz NOT NULL,
  "claimed_by" text NOT NULL,
  PRIMARY KEY ("job")
);
