-- Listing a tenant of a million API tokens: every variant of GET /api/v1/tokens is one range
-- scan of an index (see src/store/listing.rs).
--
-- * `status` as last written: 'generated' until the first use, 'active' from each use, and
--   'inactive' once the store sweeps an active token last used more than 7 days ago (before
--   any listing that relies on it; rows updated here start 'active' and are swept then);
-- * `last_used_sort`: `last_used_at`, or -1 when never used, the key of sort=last_used_at
--   (a plain column, so it can lead an index range, a row-value comparison and an
--   index-only scan).
ALTER TABLE tokens ADD COLUMN status TEXT NOT NULL DEFAULT 'generated'
    CHECK (status IN ('generated', 'active', 'inactive'));
ALTER TABLE tokens ADD COLUMN last_used_sort BIGINT NOT NULL DEFAULT -1;
UPDATE tokens SET status = 'active', last_used_sort = last_used_at WHERE last_used_at IS NOT NULL;
DROP INDEX tokens_tenant_created;

-- Listed tokens (live API tokens) by tenant, or tenant and owner; then the status when
-- filtered by it; then the sort key and the id (the keyset); and the lower-case name last, so
-- a name search can filter a bounded stretch of the index without reading rows.
CREATE INDEX tokens_list_created ON tokens (tenant_id, created_at, id, name_lc) WHERE kind = 'api' AND revoked_at IS NULL;
CREATE INDEX tokens_list_name ON tokens (tenant_id, name, id, name_lc) WHERE kind = 'api' AND revoked_at IS NULL;
CREATE INDEX tokens_list_used ON tokens (tenant_id, last_used_sort, id, name_lc) WHERE kind = 'api' AND revoked_at IS NULL;
CREATE INDEX tokens_list_status_created ON tokens (tenant_id, status, created_at, id, name_lc) WHERE kind = 'api' AND revoked_at IS NULL;
CREATE INDEX tokens_list_status_name ON tokens (tenant_id, status, name, id, name_lc) WHERE kind = 'api' AND revoked_at IS NULL;
CREATE INDEX tokens_owner_created ON tokens (tenant_id, owner_id, created_at, id, name_lc) WHERE kind = 'api' AND revoked_at IS NULL;
CREATE INDEX tokens_owner_name ON tokens (tenant_id, owner_id, name, id, name_lc) WHERE kind = 'api' AND revoked_at IS NULL;
CREATE INDEX tokens_owner_used ON tokens (tenant_id, owner_id, last_used_sort, id, name_lc) WHERE kind = 'api' AND revoked_at IS NULL;
CREATE INDEX tokens_owner_status_created ON tokens (tenant_id, owner_id, status, created_at, id, name_lc) WHERE kind = 'api' AND revoked_at IS NULL;
CREATE INDEX tokens_owner_status_name ON tokens (tenant_id, owner_id, status, name, id, name_lc) WHERE kind = 'api' AND revoked_at IS NULL;
-- The active tokens by last use, the earliest first: those due to turn inactive.
CREATE INDEX tokens_to_sweep ON tokens (tenant_id, last_used_at) WHERE status = 'active' AND kind = 'api' AND revoked_at IS NULL;

-- Name search: a trigram index of the lower-case name, which LIKE '%…%' uses for patterns of
-- three or more characters. pg_trgm ships with PostgreSQL (contrib) and is a trusted
-- extension: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX tokens_search_trgm ON tokens USING gin (name_lc gin_trgm_ops) WHERE kind = 'api' AND revoked_at IS NULL;
