-- Redemptions, budgets, caps, coupons and campaign counters (SPEC.md "Evaluation" step 2,
-- `POST /v1/redemptions`). Money is kept as BIGINT minor units of the currency (cents for
-- EUR, yen for JPY), so sums in SQL stay exact on SQLite and PostgreSQL alike.

-- What each campaign has used so far: what its budget and caps are checked against, plus
-- the evaluation counters of its stats. `currency` is the currency its budget is kept in:
-- that of its first redemption.
CREATE TABLE campaign_usage (
    campaign_id    TEXT    PRIMARY KEY,
    currency       TEXT,
    redemptions    BIGINT NOT NULL DEFAULT 0 CHECK (redemptions >= 0),
    granted_minor  BIGINT NOT NULL DEFAULT 0 CHECK (granted_minor >= 0),
    evaluations    BIGINT NOT NULL DEFAULT 0,
    applications   BIGINT NOT NULL DEFAULT 0
);

-- A committed order. `request_hash` (SHA-256 of the basket as committed) tells a retry
-- (same basket: `response` is answered again) from a conflicting reuse of the order id.
-- A cancelled order keeps its row, with `cancelled_at`, so a cancel is idempotent.
CREATE TABLE redemptions (
    order_id      TEXT PRIMARY KEY,
    request_hash  TEXT NOT NULL,
    response      TEXT NOT NULL,
    customer_id   TEXT,
    channel       TEXT NOT NULL,
    currency      TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    cancelled_at  TEXT
);

-- What each campaign applied to an order took: its discount in minor units, the coupon
-- use it consumed, and when in the campaign's own timezone (`local_date`, YYYY-MM-DD),
-- which per-customer periods and the per-day stats count by. Rows of a cancelled order
-- are deleted as their uses are given back.
CREATE TABLE redemption_campaigns (
    order_id       TEXT    NOT NULL REFERENCES redemptions (order_id),
    campaign_id    TEXT    NOT NULL,
    customer_id    TEXT,
    channel        TEXT    NOT NULL,
    local_date     TEXT    NOT NULL,
    discount_minor BIGINT NOT NULL CHECK (discount_minor >= 0),
    coupon         TEXT,
    PRIMARY KEY (order_id, campaign_id)
);
CREATE INDEX redemption_campaigns_by_customer ON redemption_campaigns (customer_id, campaign_id);
CREATE INDEX redemption_campaigns_by_campaign ON redemption_campaigns (campaign_id, local_date);

-- Coupon codes, stored upper-case (matching is case-insensitive), each with its campaign,
-- how many uses it allows and how many it has had.
CREATE TABLE coupons (
    code          TEXT    PRIMARY KEY,
    campaign_id   TEXT    NOT NULL,
    uses_per_code BIGINT NOT NULL CHECK (uses_per_code > 0),
    uses          BIGINT NOT NULL DEFAULT 0 CHECK (uses >= 0),
    expires_at    TEXT,
    created_at    TEXT    NOT NULL
);
CREATE INDEX coupons_by_campaign ON coupons (campaign_id, code);
