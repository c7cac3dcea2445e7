-- Remise's first schema (SPEC.md "Storage and deployment"), for PostgreSQL: the SQLite
-- schema of migrations/sqlite table for table, with INTEGER as BIGINT and BLOB as BYTEA.
-- Timestamps stay RFC 3339 UTC text written by the application
-- ("2026-03-01T00:00:00.000000Z", which sorts as it reads), so one query serves both.

-- A campaign is kept whole, as the JSON of `Campaign`: every field can change while it
-- runs (SPEC.md "Campaign"), and the engine always reads it whole. `revision` starts at 1
-- and grows by one per replace, for optimistic concurrency (a stale write is a 409).
CREATE TABLE campaigns (
    id         TEXT    PRIMARY KEY,
    body       TEXT    NOT NULL,
    revision   BIGINT NOT NULL CHECK (revision > 0),
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL
);

-- An exclusivity group's policy (`best_for_customer`, `best_for_merchant`, `priority`); a
-- group with no row uses `best_for_customer`.
CREATE TABLE groups (
    name   TEXT PRIMARY KEY,
    policy TEXT NOT NULL
);

-- API keys, by the hex SHA-256 of the key (the key itself is never stored), with their role
-- (`channel`, `marketing`, `ops`, `admin`).
CREATE TABLE api_keys (
    key_hash   TEXT PRIMARY KEY,
    role       TEXT NOT NULL,
    label      TEXT NOT NULL,
    created_at TEXT NOT NULL
);
