-- What contract-1.1 plugins may ask about a customer (issue 17 items 3 and 5,
-- docs/customers.md "Purchase history" and "Spending points").
--
-- The purchase history, kept by commits: per customer, per SKU or category, per UTC day,
-- the units bought and the orders that held them. Cancels and returns take their units
-- back; a row at 0 is deleted. Erasing the customer deletes their rows.
CREATE TABLE purchase_history (
    customer_id TEXT   NOT NULL,
    kind        TEXT   NOT NULL CHECK (kind IN ('sku', 'category')),
    item        TEXT   NOT NULL,
    day         TEXT   NOT NULL,
    quantity    BIGINT NOT NULL,
    orders      BIGINT NOT NULL,
    PRIMARY KEY (customer_id, kind, item, day)
);

-- Points spent by committed orders, lot by lot (the oldest-expiring lots first), debited
-- in the order's transaction; a cancel credits each lot back and marks the spend reversed.
CREATE TABLE points_spends (
    order_id        TEXT   NOT NULL REFERENCES redemptions (order_id),
    campaign_id     TEXT   NOT NULL,
    customer_id     TEXT,
    lot_order_id    TEXT   NOT NULL,
    lot_campaign_id TEXT   NOT NULL,
    points          BIGINT NOT NULL CHECK (points > 0),
    spent_at        TEXT   NOT NULL,
    reversed_at     TEXT,
    PRIMARY KEY (order_id, campaign_id, lot_order_id, lot_campaign_id)
);
CREATE INDEX points_spends_by_customer ON points_spends (customer_id, spent_at);

-- What contract-1.1 plugins were told of the customer when the order was committed
-- (JSON; NULL when no plugin asked), so a return re-prices the kept lines as at the order.
ALTER TABLE redemptions ADD COLUMN customer_data TEXT;

-- Rewards (issue 18 item 2, docs/api.md "Rewards"): a personal code a commit issued for
-- another campaign. `issued_by` is the order that issued it (a cancel deletes the reward
-- while it is unused); `channels` is a JSON list of the channels it may be used in (NULL:
-- wherever its campaign runs). A customer may hold many rewards of one campaign, so the
-- one-code-per-customer rule of distributions leaves rewards out.
ALTER TABLE coupons ADD COLUMN issued_by TEXT;
ALTER TABLE coupons ADD COLUMN channels TEXT;
DROP INDEX coupons_by_customer;
CREATE UNIQUE INDEX coupons_by_customer ON coupons (customer_id, campaign_id)
    WHERE customer_id IS NOT NULL AND issued_by IS NULL;
CREATE INDEX coupons_of_customer ON coupons (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX coupons_by_issuer ON coupons (issued_by) WHERE issued_by IS NOT NULL;
