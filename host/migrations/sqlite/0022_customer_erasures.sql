-- Erasures (docs/customers.md): the id of each customer erased here and when, and nothing
-- else of them. Store nodes read them in the customers feed, in write order with the
-- profiles, and erase the customer too; an order a store forwards after the erasure, but
-- committed before it, is recorded here without its customer.
CREATE TABLE customer_erasures (
    customer_id TEXT NOT NULL PRIMARY KEY,
    erased_at   TEXT NOT NULL
);
CREATE INDEX customer_erasures_by_time ON customer_erasures (erased_at, customer_id);
