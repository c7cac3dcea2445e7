-- Store nodes (issue 20 item 5, docs/store-nodes.md): a host run with `--upstream` keeps a
-- copy of what the centre serves and commits locally; the centre takes its orders back.

-- On a store node: every order committed (and cancelled) here, in commit order, until the
-- centre has acknowledged it. Written in the transaction of the commit itself, so a crash
-- loses none; `rejected` says why the centre refused one (it is then kept, not sent again).
CREATE TABLE forward_queue (
    seq      BIGSERIAL PRIMARY KEY,
    kind     TEXT NOT NULL,
    order_id TEXT NOT NULL,
    body     TEXT NOT NULL,
    rejected TEXT
);

-- On a store node: where its pulls from the centre stand (the generation it copied, the
-- customers cursor), so a pull cut off resumes where it stopped.
CREATE TABLE store_sync (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

-- At the centre: each store node's last order taken back, by its queue's sequence
-- number: an entry at or below it was applied already and is acknowledged again, never
-- applied twice.
CREATE TABLE store_nodes (
    store_id   TEXT   NOT NULL PRIMARY KEY,
    last_seq   BIGINT NOT NULL,
    orders     BIGINT NOT NULL DEFAULT 0,
    seen_at    TEXT   NOT NULL
);

-- The centre's customers feed walks profiles by when they were last written.
CREATE INDEX customers_by_update ON customers (updated_at, id);
