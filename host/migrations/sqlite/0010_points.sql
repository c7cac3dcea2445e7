-- The points ledger (issue 17 item 3, docs/customers.md "Points"): one lot per campaign
-- that granted points to a committed order of a known customer, credited in the order's
-- transaction. `remaining` is what is left to spend of the lot; `expires_at` comes from
-- the campaign's `points_valid_days` (NULL: never); a cancelled order's lots are
-- `reversed_at` and count no more. Erasing the customer sets `customer_id` to NULL and
-- keeps the figures. Timestamps are RFC 3339 UTC text written by the application.
CREATE TABLE points_lots (
    order_id    TEXT    NOT NULL REFERENCES redemptions (order_id),
    campaign_id TEXT    NOT NULL,
    customer_id TEXT,
    points      INTEGER NOT NULL CHECK (points > 0),
    remaining   INTEGER NOT NULL CHECK (remaining >= 0 AND remaining <= points),
    earned_at   TEXT    NOT NULL,
    expires_at  TEXT,
    reversed_at TEXT,
    PRIMARY KEY (order_id, campaign_id)
);
CREATE INDEX points_lots_by_customer ON points_lots (customer_id, earned_at);
