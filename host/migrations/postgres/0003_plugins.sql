-- Plugin versions uploaded by ops (`PUT /v1/plugins/{name}`), kept whole so every host
-- and every restart serves the same bytes, and the version each plugin's unpinned
-- campaigns follow (set by an upload, moved back by a rollback).

CREATE TABLE plugin_versions (
    name        TEXT    NOT NULL,
    version     TEXT    NOT NULL,
    sha256      TEXT    NOT NULL,
    size        BIGINT NOT NULL CHECK (size > 0),
    component   BYTEA    NOT NULL,
    uploaded_at TEXT    NOT NULL,
    PRIMARY KEY (name, version)
);

CREATE TABLE plugin_current (
    name    TEXT PRIMARY KEY,
    version TEXT NOT NULL
);
