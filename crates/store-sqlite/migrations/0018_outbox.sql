-- The outbox's consumers (SPEC §4): the runs of hook scripts for each event of the log.
CREATE TABLE hook_runs (
    id          INTEGER PRIMARY KEY,
    event_id    INTEGER NOT NULL REFERENCES events (id),
    hook        TEXT NOT NULL,
    script      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    line        INTEGER,
    message     TEXT,
    duration_us INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX hook_runs_event ON hook_runs (event_id, id);
CREATE INDEX hook_runs_script ON hook_runs (script, id);

-- Events written before the outbox had consumers are history: no hook fires for them now.
UPDATE events SET status = 'done' WHERE status = 'pending';
