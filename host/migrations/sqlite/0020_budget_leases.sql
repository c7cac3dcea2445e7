-- Budget leases (issue 20 item 3, docs/scaling.md "Budget leases"): a host takes a slice of
-- a hot campaign's cap and budget and commits against it without the campaign's lock. A
-- row is one host's slice: what it was granted and what its committed orders used, moved
-- on in the same transaction as those orders, so `campaign_usage` plus every live row's
-- unused part never exceeds the limits. A row past `expires_at_ms` (its host stopped
-- renewing it) is deleted by the next host that leases: its unused part comes back.
CREATE TABLE budget_leases (
    id                  TEXT   NOT NULL PRIMARY KEY,
    campaign_id         TEXT   NOT NULL,
    holder              TEXT   NOT NULL,
    -- NULL for a limit the campaign does not have (no cap, or no budget).
    granted_redemptions BIGINT,
    used_redemptions    BIGINT NOT NULL DEFAULT 0,
    -- Minor units of the budget's currency.
    granted_minor       BIGINT,
    used_minor          BIGINT NOT NULL DEFAULT 0,
    -- Milliseconds since 1970 (the holder's clock when it last renewed, plus the TTL).
    expires_at_ms       BIGINT NOT NULL
);

CREATE UNIQUE INDEX budget_leases_by_holder ON budget_leases (campaign_id, holder);
