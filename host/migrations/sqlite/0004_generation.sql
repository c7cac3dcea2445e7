-- One counter that every write of campaigns, group policies or plugin versions moves on,
-- after the write: a host sharing the database reads it (one row) to tell whether its
-- cached campaigns and plugins are behind, and reloads them when they are.
CREATE TABLE state_generation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT  NOT NULL
);
INSERT INTO state_generation (id, generation) VALUES (1, 0);
