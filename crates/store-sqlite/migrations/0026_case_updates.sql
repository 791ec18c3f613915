-- Case updates (SPEC §6, issue 13): the outbox queues one per reply on a ticket with an account key of a
-- `webcall` brand that has a case_url; a node claims due ones with a lease (as webhook deliveries), sends
-- them and keeps every attempt. The ticket, reply and brand are plain ids: the history outlives them.
CREATE TABLE case_updates (
    id              INTEGER PRIMARY KEY,
    event_id        INTEGER NOT NULL UNIQUE REFERENCES events (id),
    brand_id        INTEGER NOT NULL,
    ticket_id       INTEGER NOT NULL,
    reply_id        INTEGER NOT NULL,
    userkey         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER,
    deadline_at     INTEGER NOT NULL,
    claimed_by      TEXT,
    claimed_until   INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX case_updates_due ON case_updates (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX case_updates_due_per_brand ON case_updates (brand_id, next_attempt_at, id) WHERE status = 'pending';

CREATE TABLE case_update_attempts (
    id             INTEGER PRIMARY KEY,
    case_update_id INTEGER NOT NULL REFERENCES case_updates (id),
    attempted_at   INTEGER NOT NULL,
    status_code    INTEGER,
    error          TEXT,
    latency_us     INTEGER NOT NULL
);
CREATE INDEX case_update_attempts_of ON case_update_attempts (case_update_id, id);
