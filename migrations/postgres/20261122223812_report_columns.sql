-- Create index "account_health_score_id" to table: "accounts"
CREATE INDEX "account_health_score_id" ON "accounts" ("health_score_id");
-- Modify "requests" table
ALTER TABLE "requests" ADD COLUMN "response_met" boolean NULL, ADD COLUMN "resolution_met" boolean NULL, ADD COLUMN "response_breached" boolean NOT NULL DEFAULT false, ADD COLUMN "resolution_breached" boolean NOT NULL DEFAULT false;
