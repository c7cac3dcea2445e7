-- A campaign's budget names its currency (`limits.budget_currency`, issue 15 item 11), and
-- `campaign_usage.currency` becomes what it always should have been: the currency the
-- discount it granted (`granted_minor`) counts in, fixed by the first order that granted
-- money, never by an order without a discount, and released when cancels give everything
-- back.

-- Currencies fixed by orders that granted nothing (or whose grants were all cancelled)
-- name no money: cleared.
UPDATE campaign_usage SET currency = NULL WHERE granted_minor = 0;

-- A stored campaign with a budget but no currency gets the currency its budget has been
-- spent in (it could not be spent in any other). One that has spent nothing keeps none:
-- it still loads, its budget is kept in the currency of the first order that spends it,
-- and its next write must name the currency. The revision moves on, so a write made
-- against the body before this one is refused as stale, and the generation too, so hosts
-- sharing the database read the campaigns again.
UPDATE campaigns AS c
SET body = jsonb_set(c.body::jsonb, '{limits,budget_currency}', to_jsonb(u.currency))::text,
    revision = c.revision + 1
FROM campaign_usage AS u
WHERE u.campaign_id = c.id
  AND u.currency IS NOT NULL
  AND c.body::jsonb -> 'limits' ->> 'budget' IS NOT NULL
  AND c.body::jsonb -> 'limits' ->> 'budget_currency' IS NULL;

UPDATE state_generation SET generation = generation + 1 WHERE id = 1;
