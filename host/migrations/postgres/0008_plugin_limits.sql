-- A plugin's own limits (issue 15 item 16), set by ops with `PUT /v1/plugins/{name}/limits`
-- and applied to every version of the plugin, on every host: fuel (for a basket of up to 200
-- lines), linear memory in bytes, deadline in milliseconds and upload size in bytes. NULL
-- is the server's default; the bounds are checked by the service before a row is written.
CREATE TABLE plugin_limits (
    name         TEXT   PRIMARY KEY,
    fuel         BIGINT,
    memory_bytes BIGINT,
    deadline_ms  BIGINT,
    upload_bytes BIGINT
);
