-- Times are Unix milliseconds (UTC).
CREATE TABLE tenants (
    id TEXT PRIMARY KEY NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    username TEXT NOT NULL,
    -- Comma-separated `wids` of the roles the portal knows, as last seen.
    roles TEXT NOT NULL,
    deprovisioned BIGINT NOT NULL DEFAULT 0,
    last_sign_in BIGINT,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE tokens (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('api', 'siem', 'log_collector')),
    name TEXT NOT NULL,
    name_lc TEXT NOT NULL,
    value_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT,
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id)
);
CREATE UNIQUE INDEX tokens_live_name ON tokens (tenant_id, owner_id, kind, name) WHERE revoked_at IS NULL;
CREATE INDEX tokens_tenant_created ON tokens (tenant_id, created_at, id);

CREATE TABLE audit_events (
    seq BIGSERIAL PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    actor_id TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('generated', 'revoked', 'used', 'denied')),
    token_id TEXT,
    token_name TEXT,
    ip TEXT
);
CREATE INDEX audit_tenant_seq ON audit_events (tenant_id, seq);

CREATE TABLE alerts (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    title TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- Revocations, deprovisioning and role changes, polled by every instance to invalidate caches.
CREATE TABLE changes (
    seq BIGSERIAL PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    token_id TEXT,
    user_id TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX changes_at ON changes (at);
