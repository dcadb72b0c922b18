-- The per-tenant rate limit shared by every instance on one store: one row per tenant and
-- fixed one-minute window. Instances lease budget from `used` in batches (see
-- src/store/rates.rs); `granted` is what the last lease got, returned by the same statement.
CREATE TABLE rate_windows (
    tenant_id TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    used BIGINT NOT NULL,
    granted BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, window_start)
);
CREATE INDEX rate_windows_start ON rate_windows (window_start);
