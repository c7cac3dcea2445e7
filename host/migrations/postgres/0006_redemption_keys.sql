-- An order belongs to the key that committed it (issue 15 item 13): `key_hash` is that
-- key's id, the hex SHA-256 it is stored under in `api_keys` (never the key itself).
-- Another channel's key can neither replay nor cancel the order; an admin key may cancel
-- it. Orders committed before this column existed have none: every channel key may still
-- replay and cancel them, as every one could then.
ALTER TABLE redemptions ADD COLUMN key_hash TEXT;
