-- Web UI logins (SPEC §2): server-side sessions (the cookie carries a random secret; its SHA-256 is kept),
-- failed logins counted per account and address for the rate limit, and admin-issued password reset links.
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    secret_hash  TEXT NOT NULL UNIQUE,
    staff_id     INTEGER REFERENCES staff (id),
    end_user_id  INTEGER REFERENCES end_users (id),
    csrf         TEXT NOT NULL,
    ip           TEXT,
    user_agent   TEXT,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    CHECK ((staff_id IS NULL) <> (end_user_id IS NULL))
);
CREATE INDEX sessions_staff ON sessions (staff_id);
CREATE INDEX sessions_end_user ON sessions (end_user_id);

CREATE TABLE login_failures (
    id     INTEGER PRIMARY KEY,
    email  TEXT NOT NULL,
    ip     TEXT NOT NULL,
    at     INTEGER NOT NULL
);
CREATE INDEX login_failures_account ON login_failures (email, ip, at);

CREATE TABLE password_resets (
    id          INTEGER PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    staff_id    INTEGER REFERENCES staff (id),
    end_user_id INTEGER REFERENCES end_users (id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    CHECK ((staff_id IS NULL) <> (end_user_id IS NULL))
);
