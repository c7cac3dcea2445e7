-- Events and webhooks (issue 18 item 3, docs/webhooks.md).
--
-- The outbox: every event, written in the transaction of the change it tells of (a commit,
-- a cancel, a return, a distribution), so a crash loses none. `body` is the JSON each
-- subscriber receives. `fanned_out` turns 1 once the delivery worker has queued it for
-- every webhook subscribed to its type.
CREATE TABLE outbox_events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT   NOT NULL UNIQUE,
    type        TEXT   NOT NULL,
    customer_id TEXT,
    campaign_id TEXT,
    created_at  TEXT   NOT NULL,
    body        TEXT   NOT NULL,
    fanned_out  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_events_to_fan_out ON outbox_events (seq) WHERE fanned_out = 0;
CREATE INDEX outbox_events_by_time ON outbox_events (created_at);

-- Subscribed endpoints. `events` is a JSON list of event types (or ["*"]); `secret` signs
-- the deliveries and is shown once, when the webhook is created.
CREATE TABLE webhooks (
    id          TEXT NOT NULL PRIMARY KEY,
    url         TEXT NOT NULL,
    events      TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    secret      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

-- One event to one webhook. `order_key` keeps a customer's events in order: a delivery
-- waits while an earlier one of the same webhook and key is pending. `status` is
-- pending, delivered or dead (retried for the whole horizon from `queued_at`, or its
-- webhook's URL refused); `next_attempt_at` is also the lease of an attempt in flight.
CREATE TABLE webhook_deliveries (
    webhook_id      TEXT    NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_seq       BIGINT  NOT NULL REFERENCES outbox_events (seq) ON DELETE CASCADE,
    order_key       TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        BIGINT  NOT NULL DEFAULT 0,
    queued_at       TEXT    NOT NULL,
    next_attempt_at TEXT    NOT NULL,
    last_attempt_at TEXT,
    last_status     BIGINT,
    last_error      TEXT,
    delivered_at    TEXT,
    PRIMARY KEY (webhook_id, event_seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_in_order ON webhook_deliveries (webhook_id, order_key, event_seq)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_seq);

-- Campaign events sent once per campaign (objective met, budget low, ended), so hosts
-- that see the same change send one event.
CREATE TABLE campaign_events_sent (
    campaign_id TEXT NOT NULL,
    type        TEXT NOT NULL,
    PRIMARY KEY (campaign_id, type)
);
