-- The decision journal (issue 19 item 2, docs/history.md): evaluations, at the sample rate
-- the server runs with (`--journal-sample-percent`), each with what settles it again: the
-- basket as priced (the stored profile merged) and the answer as sent, both JSON
-- compressed with LZ4, and `campaign_set`, the id of a JSON list (in
-- `journal_campaign_sets`, written once however many evaluations share it) of each campaign
-- whose plugin ran, with the revision and the plugin version (name, version, SHA-256) in
-- force; `context`, what else the answer depended on (JSON, LZ4): the budget, cap and
-- coupon usage and the group policies it was priced under, so that it can be replayed
-- (`POST /v1/journal/{evaluation_id}/replay`). Commits are
-- journalled by their own redemption row, written in the commit's transaction. Rows older
-- than the retention (`--journal-retention-days`) are pruned.
CREATE TABLE journal (
    evaluation_id TEXT   NOT NULL PRIMARY KEY,
    recorded_at   TEXT   NOT NULL,
    priced_at     TEXT   NOT NULL,
    channel       TEXT   NOT NULL,
    store_id      TEXT,
    customer_id   TEXT,
    campaign_set  TEXT   NOT NULL,
    basket        BLOB   NOT NULL,
    answer        BLOB   NOT NULL,
    context       BLOB   NOT NULL
);
CREATE INDEX journal_by_time ON journal (recorded_at);

-- The campaign lists of journal entries, by the SHA-256 of their JSON (32 hex digits).
CREATE TABLE journal_campaign_sets (
    id        TEXT NOT NULL PRIMARY KEY,
    campaigns TEXT NOT NULL
);

-- Deleted plugin versions are archived here, never lost: a journal entry or an order names
-- the version that answered it by its SHA-256, and that version's bytes stay readable.
CREATE TABLE plugin_archive (
    sha256      TEXT NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL,
    version     TEXT NOT NULL,
    component   BLOB NOT NULL,
    archived_at TEXT NOT NULL
);
