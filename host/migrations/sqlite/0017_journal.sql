-- The decision journal (issue 19 item 2, docs/journal.md): evaluations, at the sample rate
-- the server runs with (`--journal-sample-percent`), each with what settles it again: the
-- basket as priced (the stored profile merged) and the answer as sent, both JSON
-- compressed with DEFLATE, and `campaigns`, a JSON list of each campaign whose plugin ran,
-- with the revision and the plugin version (name, version, SHA-256) in force. Commits are
-- journalled by their own redemption row, written in the commit's transaction. Rows older
-- than the retention (`--journal-retention-days`) are pruned.
CREATE TABLE journal (
    evaluation_id TEXT   NOT NULL PRIMARY KEY,
    recorded_at   TEXT   NOT NULL,
    priced_at     TEXT   NOT NULL,
    channel       TEXT   NOT NULL,
    store_id      TEXT,
    customer_id   TEXT,
    campaigns     TEXT   NOT NULL,
    basket        BLOB   NOT NULL,
    answer        BLOB   NOT NULL
);
CREATE INDEX journal_by_time ON journal (recorded_at);

-- Deleted plugin versions are archived here, never lost: a journal entry or an order names
-- the version that answered it by its SHA-256, and that version's bytes stay readable.
CREATE TABLE plugin_archive (
    sha256      TEXT NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL,
    version     TEXT NOT NULL,
    component   BLOB NOT NULL,
    archived_at TEXT NOT NULL
);
