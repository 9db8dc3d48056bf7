-- Modify "accounts" table
ALTER TABLE "accounts" ADD COLUMN "name_key" character varying NULL, ADD COLUMN "domain_key" character varying NULL;
-- Create index "account_domain_key_id" to table: "accounts"
CREATE INDEX "account_domain_key_id" ON "accounts" ("domain_key", "id");
-- Create index "account_name_key_id" to table: "accounts"
CREATE INDEX "account_name_key_id" ON "accounts" ("name_key", "id");
-- Create trigger function "accounts_set_keys" computing the duplicate keys (internal/reports, accountKeysSQL)
CREATE OR REPLACE FUNCTION "accounts_set_keys"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."name_key" := reverse(regexp_replace(reverse(btrim(regexp_replace(regexp_replace(lower(NEW."name"), '[.''’]+', '', 'g'), '[],;:!?&+/\\(){}"*#$%@|_~^=<>–—\t\n\r [-]+', ' ', 'g'))), '^((cni|detaroprocni|proc|noitaroproc|oc|ynapmoc|cll|pll|pl|dtl|detimil|clp|ytp|hbmg|ga|gk|as|sas|lras|ls|lrs|aps|vb|vn|ba|yo|sa) ){1,3}', ''));
  NEW."domain_key" := regexp_replace(TRIM(lower(NEW."domain")), '^www\.', '');
  RETURN NEW;
END
$$;
-- Create trigger "accounts_keys" to table: "accounts"
CREATE TRIGGER "accounts_keys" BEFORE INSERT OR UPDATE OF "name", "domain" ON "accounts" FOR EACH ROW EXECUTE FUNCTION "accounts_set_keys"();
-- Set the keys of the existing rows of table: "accounts"
UPDATE "accounts" SET "name_key" = reverse(regexp_replace(reverse(btrim(regexp_replace(regexp_replace(lower("name"), '[.''’]+', '', 'g'), '[],;:!?&+/\\(){}"*#$%@|_~^=<>–—\t\n\r [-]+', ' ', 'g'))), '^((cni|detaroprocni|proc|noitaroproc|oc|ynapmoc|cll|pll|pl|dtl|detimil|clp|ytp|hbmg|ga|gk|as|sas|lras|ls|lrs|aps|vb|vn|ba|yo|sa) ){1,3}', '')), "domain_key" = regexp_replace(TRIM(lower("domain")), '^www\.', '');
