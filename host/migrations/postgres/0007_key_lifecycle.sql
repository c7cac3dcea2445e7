-- Keys have a lifecycle (issue 15 item 1): each gets a public `id` (16 hex digits, what
-- `DELETE /v1/keys/{id}` names; never the key nor its hash), a `source` (`configured`: the
-- configuration file or REMISE_ADMIN_KEY, revoked at a start whose configuration no longer
-- names it; `created`: by `POST /v1/keys` or on first start), when it was last used
-- (updated at most once a minute), and when it was revoked (a revoked key is refused,
-- and stays revoked).
ALTER TABLE api_keys ADD COLUMN id TEXT;
ALTER TABLE api_keys ADD COLUMN source TEXT NOT NULL DEFAULT 'configured';
ALTER TABLE api_keys ADD COLUMN last_used_at TEXT;
ALTER TABLE api_keys ADD COLUMN revoked_at TEXT;
UPDATE api_keys SET id = substr(md5(random()::text || key_hash), 1, 16);
UPDATE api_keys SET source = 'created' WHERE label = 'created on first start';
ALTER TABLE api_keys ALTER COLUMN id SET NOT NULL;
CREATE UNIQUE INDEX api_keys_by_id ON api_keys (id);
