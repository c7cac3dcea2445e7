-- Customer profiles (issue 17, docs/customers.md): one row per customer id, the profile
-- kept whole as the JSON of `CustomerProfile` without its id (tier, segments, birth date,
-- attributes, consent), read whole by evaluations and written whole by PUT, PATCH and
-- imports. Timestamps are RFC 3339 UTC text written by the application. `id` sorts
-- in byte order (`COLLATE "C"`), as in SQLite, so lists and exports page alike on both.
CREATE TABLE customers (
    id         TEXT COLLATE "C" PRIMARY KEY,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
