-- Hook scripts stored through the API (SPEC §4), every source they had, and webhook endpoints with the
-- deliveries of events to them and each HTTP attempt.
CREATE TABLE hook_scripts (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    source      TEXT NOT NULL,
    enabled     INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE hook_script_versions (
    id          INTEGER PRIMARY KEY,
    hook_id     INTEGER NOT NULL REFERENCES hook_scripts (id),
    version     INTEGER NOT NULL,
    source      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (hook_id, version)
);

CREATE TABLE webhooks (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL,
    events          TEXT NOT NULL,
    secret          TEXT NOT NULL,
    format          TEXT NOT NULL CHECK (format IN ('native', 'teamtools')),
    active          INTEGER NOT NULL,
    failing_since   INTEGER,
    disabled_reason TEXT,
    deleted_at      INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks (id),
    event_id        INTEGER NOT NULL REFERENCES events (id),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER,
    deadline_at     INTEGER NOT NULL,
    claimed_by      TEXT,
    claimed_until   INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_due_per_endpoint ON webhook_deliveries (webhook_id, next_attempt_at, id)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);

CREATE TABLE webhook_attempts (
    id           INTEGER PRIMARY KEY,
    delivery_id  INTEGER NOT NULL REFERENCES webhook_deliveries (id),
    attempted_at INTEGER NOT NULL,
    status_code  INTEGER,
    error        TEXT,
    latency_us   INTEGER NOT NULL,
    response     TEXT
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
