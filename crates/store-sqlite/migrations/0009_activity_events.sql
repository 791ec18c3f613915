-- End users' activity events (TeamTools' `Event`: a named thing an end user did, counted, with metadata),
-- sent by integrations through the TeamTools API and listed per end user and per customer.
CREATE TABLE activity_events (
    id          INTEGER PRIMARY KEY,
    end_user_id INTEGER NOT NULL REFERENCES end_users (id),
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    name        TEXT NOT NULL,
    counter     INTEGER NOT NULL DEFAULT 1,
    metadata    TEXT NOT NULL DEFAULT '{}',
    timestamp   INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX activity_events_end_user ON activity_events (end_user_id, id);
CREATE INDEX activity_events_customer ON activity_events (customer_id, id);
