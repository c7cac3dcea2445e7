-- Personal codes (issue 18 item 1, docs/api.md "Personal codes"): a code may belong to one
-- customer, and then only that customer's baskets can use it. A campaign gives a customer
-- at most one personal code, which the unique index enforces (and which finds a customer's
-- codes for their wallet).
ALTER TABLE coupons ADD COLUMN customer_id TEXT;
CREATE UNIQUE INDEX coupons_by_customer ON coupons (customer_id, campaign_id)
    WHERE customer_id IS NOT NULL;
