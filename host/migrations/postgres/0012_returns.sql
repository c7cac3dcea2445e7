-- Partial returns (issue 17 item 4, docs/returns.md). A return re-prices the lines an
-- order keeps under the campaigns and plugin versions that priced the order, so the order
-- keeps what that needs: `basket`, the basket as priced (at the server's time, with the
-- stored profile merged), and `pricing`, the definition of each campaign that applied with
-- the plugin version (and its SHA-256) it ran on, both JSON. Orders committed before this
-- migration have neither and cannot be returned line by line, only cancelled.
ALTER TABLE redemptions ADD COLUMN basket TEXT;
ALTER TABLE redemptions ADD COLUMN pricing TEXT;

-- The plugin version (`name@version`) each applied campaign ran on: a version an order
-- still holds cannot be deleted, or its returns could no longer be priced.
ALTER TABLE redemption_campaigns ADD COLUMN plugin TEXT;

-- Each return of an order, in order (`seq` from 1). `request_hash` tells a retry of the
-- same `return_id` (answered again from `response`) from a conflicting reuse; `kept` is
-- the order after this return (its lines, their totals and gifts), what the next return
-- starts from. Timestamps are RFC 3339 UTC text written by the application.
CREATE TABLE redemption_returns (
    order_id     TEXT    NOT NULL REFERENCES redemptions (order_id),
    return_id    TEXT    NOT NULL,
    seq          INTEGER NOT NULL,
    request_hash TEXT    NOT NULL,
    response     TEXT    NOT NULL,
    kept         TEXT    NOT NULL,
    refund_minor BIGINT  NOT NULL,
    created_at   TEXT    NOT NULL,
    PRIMARY KEY (order_id, return_id),
    UNIQUE (order_id, seq)
);
