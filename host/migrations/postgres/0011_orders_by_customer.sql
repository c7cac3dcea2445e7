-- A customer's orders, newest first (issue 17, `GET /v1/customers/{id}/orders`): what the
-- console's customer page and a call-centre agent list.
CREATE INDEX redemptions_by_customer ON redemptions (customer_id, created_at);
