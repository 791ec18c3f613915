-- The agent console's own state: saved queue views per staff member, and who is looking at or answering
-- which ticket right now (kept in the database so every node of several sees everyone).
CREATE TABLE saved_views (
    id         INTEGER PRIMARY KEY,
    staff_id   INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    query      TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX saved_views_staff ON saved_views (staff_id, id);

CREATE TABLE ticket_presence (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL,
    staff_id   INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    replying   INTEGER NOT NULL DEFAULT 0,
    seen_at    INTEGER NOT NULL,
    UNIQUE (ticket_id, staff_id)
);
CREATE INDEX ticket_presence_seen ON ticket_presence (seen_at);

-- Forms that must take effect once (a new ticket, a reply): each carries a one-time key, claimed before the
-- change is made and answered with where the change is afterwards, so a second submission of the same form
-- (a double click, a reload) is sent to the first one's result instead of making another.
CREATE TABLE form_submissions (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    result     TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX form_submissions_created ON form_submissions (created_at);
