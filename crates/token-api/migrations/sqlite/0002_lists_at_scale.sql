-- Listing a tenant of a million API tokens: every variant of GET /api/v1/tokens is one range
-- scan of an index (see src/store/listing.rs).
--
-- The table is rebuilt to gain
-- * `seq`, an INTEGER PRIMARY KEY: a rowid that VACUUM keeps, which the name search index
--   (`tokens_search`) refers to;
-- * `status` as last written: 'generated' until the first use, 'active' from each use, and
--   'inactive' once the store sweeps an active token last used more than 7 days ago (before
--   any listing that relies on it; rows copied here start 'active' and are swept then);
-- * `last_used_sort`: `last_used_at`, or -1 when never used, the key of sort=last_used_at
--   (a plain column, so it can lead an index range and a row-value comparison).
CREATE TABLE tokens_v2 (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('api', 'siem', 'log_collector')),
    name TEXT NOT NULL,
    name_lc TEXT NOT NULL,
    value_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT,
    status TEXT NOT NULL DEFAULT 'generated' CHECK (status IN ('generated', 'active', 'inactive')),
    last_used_sort BIGINT NOT NULL DEFAULT -1,
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id)
);
INSERT INTO tokens_v2 (id, tenant_id, owner_id, kind, name, name_lc, value_hash, created_at,
                       last_used_at, revoked_at, status, last_used_sort)
SELECT id, tenant_id, owner_id, kind, name, name_lc, value_hash, created_at,
       last_used_at, revoked_at,
       CASE WHEN last_used_at IS NULL THEN 'generated' ELSE 'active' END,
       COALESCE(last_used_at, -1)
FROM tokens ORDER BY created_at, id;
DROP TABLE tokens;
ALTER TABLE tokens_v2 RENAME TO tokens;
CREATE UNIQUE INDEX tokens_live_name ON tokens (tenant_id, owner_id, kind, name) WHERE revoked_at IS NULL;

-- Listed tokens (live API tokens) by tenant, or tenant and owner; then the status when
-- filtered by it; then the sort key and the id (the keyset); and the lower-case name, so a
-- name search can filter a bounded stretch of the index without reading rows. `revoked_at`
-- (always NULL here) last: SQLite counts an index as covering only when it holds every
-- column the statement names, the partial index's `revoked_at IS NULL` included.
CREATE INDEX tokens_list_created ON tokens (tenant_id, created_at, id, name_lc, revoked_at) WHERE kind = 'api' AND revoked_at IS NULL;
CREATE INDEX tokens_list_name ON tokens (tenant_id, name, id, name_lc, revoked_at) WHERE kind = 'api' AND revoked_at IS NULL;
CREATE INDEX tokens_list_used ON tokens (tenant_id, last_used_sort, id, name_lc, revoked_at) WHERE kind = 'api' AND revoked_at IS NULL;
CREATE INDEX tokens_list_status_created ON tokens (tenant_id, status, created_at, id, name_lc, revoked_at) WHERE kind = 'api' AND revoked_at IS NULL;
CREATE INDEX tokens_list_status_name ON tokens (tenant_id, status, name, id, name_lc, revoked_at) WHERE kind = 'api' AND revoked_at IS NULL;
CREATE INDEX tokens_owner_created ON tokens (tenant_id, owner_id, created_at, id, name_lc, revoked_at) WHERE kind = 'api' AND revoked_at IS NULL;
CREATE INDEX tokens_owner_name ON tokens (tenant_id, owner_id, name, id, name_lc, revoked_at) WHERE kind = 'api' AND revoked_at IS NULL;
CREATE INDEX tokens_owner_used ON tokens (tenant_id, owner_id, last_used_sort, id, name_lc, revoked_at) WHERE kind = 'api' AND revoked_at IS NULL;
CREATE INDEX tokens_owner_status_created ON tokens (tenant_id, owner_id, status, created_at, id, name_lc, revoked_at) WHERE kind = 'api' AND revoked_at IS NULL;
CREATE INDEX tokens_owner_status_name ON tokens (tenant_id, owner_id, status, name, id, name_lc, revoked_at) WHERE kind = 'api' AND revoked_at IS NULL;
-- The active tokens by last use, the earliest first: those due to turn inactive (with the
-- columns of its WHERE, so SQLite reads it covering).
CREATE INDEX tokens_to_sweep ON tokens (tenant_id, last_used_at, status, kind, revoked_at) WHERE status = 'active' AND kind = 'api' AND revoked_at IS NULL;

-- Name search: the trigrams of every listed token's lower-case name (FTS5, contentless; the
-- rowid is `seq`). A phrase of three or more characters matches exactly the names that
-- contain it.
CREATE VIRTUAL TABLE tokens_search USING fts5 (
    name_lc, content = '', contentless_delete = 1, tokenize = 'trigram case_sensitive 1'
);
INSERT INTO tokens_search (rowid, name_lc)
SELECT seq, name_lc FROM tokens WHERE kind = 'api' AND revoked_at IS NULL;
CREATE TRIGGER tokens_search_insert AFTER INSERT ON tokens
WHEN new.kind = 'api' AND new.revoked_at IS NULL
BEGIN
    INSERT INTO tokens_search (rowid, name_lc) VALUES (new.seq, new.name_lc);
END;
CREATE TRIGGER tokens_search_update AFTER UPDATE OF kind, name_lc, revoked_at ON tokens
BEGIN
    DELETE FROM tokens_search WHERE rowid = old.seq AND old.kind = 'api' AND old.revoked_at IS NULL;
    INSERT INTO tokens_search (rowid, name_lc)
    SELECT new.seq, new.name_lc WHERE new.kind = 'api' AND new.revoked_at IS NULL;
END;
CREATE TRIGGER tokens_search_delete AFTER DELETE ON tokens
WHEN old.kind = 'api' AND old.revoked_at IS NULL
BEGIN
    DELETE FROM tokens_search WHERE rowid = old.seq;
END;
