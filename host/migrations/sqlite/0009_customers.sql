-- Customer profiles (issue 17, docs/customers.md): one row per customer id, the profile
-- kept whole as the JSON of `CustomerProfile` without its id (tier, segments, birth date,
-- attributes, consent), read whole by evaluations and written whole by PUT, PATCH and
-- imports. Timestamps are RFC 3339 UTC text written by the application.
CREATE TABLE customers (
    id         TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
