-- When each user's roles were observed, Unix ms: the `iat` of the access token they came
-- from, or the time of a directory sync. An older observation never overwrites a newer one.
ALTER TABLE users ADD COLUMN roles_at BIGINT NOT NULL DEFAULT 0;
