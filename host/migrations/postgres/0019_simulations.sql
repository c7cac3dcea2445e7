-- What-if simulations (issue 19 item 4, docs/simulation.md): jobs that price baskets
-- against today's campaigns with draft campaigns beside them. Kept here, not in one host's
-- memory, so any host answers for a job and can cancel it; the host running it writes its
-- progress and report after every chunk of baskets, and reads whether it was cancelled.
CREATE TABLE simulations (
    id               TEXT   NOT NULL PRIMARY KEY,
    created_at       TEXT   NOT NULL,
    created_by       TEXT   NOT NULL,
    -- `running`, `done`, `cancelled` or `failed`.
    status           TEXT   NOT NULL,
    -- JSON: the drafts' ids and where the baskets come from.
    request          TEXT   NOT NULL,
    total            BIGINT NOT NULL,
    done             BIGINT NOT NULL,
    -- JSON: what was counted so far.
    report           TEXT,
    error            TEXT,
    cancel_requested BIGINT NOT NULL DEFAULT 0,
    updated_at       TEXT   NOT NULL,
    finished_at      TEXT
);

CREATE INDEX simulations_by_creation ON simulations (created_at);

-- A simulation over a window of committed orders reads them in time order.
CREATE INDEX redemptions_by_time ON redemptions (created_at, order_id);
