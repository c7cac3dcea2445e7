-- Shadow runs (issue 19 item 5, docs/shadow.md): a loaded plugin version that shadows the
-- current one of its plugin. A sample of live evaluations whose campaigns follow that
-- plugin also runs it, off the request path, and never changes an answer.
CREATE TABLE plugin_shadows (
    plugin         TEXT    NOT NULL PRIMARY KEY,
    version        TEXT    NOT NULL,
    sample_percent INTEGER NOT NULL,
    started_at     TEXT    NOT NULL
);

-- What the shadow runs of one shadow found, summed over every host: evaluations compared,
-- those whose answer would differ and how, and the fuel and wall time both versions used.
-- `started_at` is the shadow's, so a version shadowed again starts a new report.
CREATE TABLE shadow_tallies (
    plugin         TEXT   NOT NULL,
    version        TEXT   NOT NULL,
    started_at     TEXT   NOT NULL,
    live_version   TEXT   NOT NULL,
    compared       BIGINT NOT NULL,
    divergent      BIGINT NOT NULL,
    effects        BIGINT NOT NULL,
    amounts        BIGINT NOT NULL,
    errors         BIGINT NOT NULL,
    live_fuel      BIGINT NOT NULL,
    shadow_fuel    BIGINT NOT NULL,
    live_time_us   BIGINT NOT NULL,
    shadow_time_us BIGINT NOT NULL,
    PRIMARY KEY (plugin, version, started_at, live_version)
);

-- A few divergent evaluations of each shadow, as examples: each side's outcome for the
-- campaigns that differed.
CREATE TABLE shadow_examples (
    plugin        TEXT NOT NULL,
    version       TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    evaluation_id TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    example       TEXT NOT NULL,
    PRIMARY KEY (plugin, version, started_at, evaluation_id)
);
