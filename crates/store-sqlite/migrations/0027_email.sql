-- Email channel and attachments (SPEC §10, issue 14).

-- A brand's mailboxes: where mail for the brand arrives (imap_url, or `ferrodesk mail-in` from an MTA) and
-- the address its mail leaves from (smtp_url, or the installation's FERRODESK_SMTP_URL). last_error is what
-- the last IMAP poll ran into (cleared by the next poll that works).
CREATE TABLE mailboxes (
    id             INTEGER PRIMARY KEY,
    brand_id       INTEGER NOT NULL REFERENCES brands (id),
    address        TEXT NOT NULL UNIQUE,
    department_id  INTEGER NOT NULL REFERENCES departments (id),
    imap_url       TEXT,
    smtp_url       TEXT,
    active         INTEGER NOT NULL DEFAULT 1,
    last_error     TEXT,
    last_polled_at INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX mailboxes_brand ON mailboxes (brand_id, id);

-- Whether a new ticket opened by email or in the portal gets an acknowledgement (on by default).
ALTER TABLE brands ADD COLUMN acknowledge_new_tickets INTEGER NOT NULL DEFAULT 1;

-- The departments an agent is a member of (staff `department_ids`): who is told of unassigned tickets.
CREATE TABLE staff_departments (
    id            INTEGER PRIMARY KEY,
    staff_id      INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    department_id INTEGER NOT NULL REFERENCES departments (id) ON DELETE CASCADE,
    UNIQUE (staff_id, department_id)
);
CREATE INDEX staff_departments_department ON staff_departments (department_id, staff_id);

-- Attachment content, stored once however many replies carry it (keyed by sha256; the id is what an export
-- copies its rows by, as for every table).
CREATE TABLE attachment_contents (
    id      INTEGER PRIMARY KEY,
    sha256  TEXT NOT NULL UNIQUE,
    size    INTEGER NOT NULL,
    content BLOB NOT NULL
);

-- Each reply's attachments: their own id, name and type; visible as their reply is.
CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    reply_id     INTEGER NOT NULL REFERENCES replies (id) ON DELETE CASCADE,
    ticket_id    INTEGER NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL REFERENCES attachment_contents (sha256),
    created_at   INTEGER NOT NULL
);
CREATE INDEX attachments_reply ON attachments (reply_id, id);
CREATE INDEX attachments_sha256 ON attachments (sha256);

-- Every Message-ID of a ticket's mail, received or sent: threading finds the ticket of an answer by the
-- ids it names, and a message received twice is stored once. Ids are kept without angle brackets.
CREATE TABLE mail_messages (
    id         INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,
    ticket_id  INTEGER NOT NULL,
    reply_id   INTEGER,
    brand_id   INTEGER NOT NULL,
    direction  TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    created_at INTEGER NOT NULL
);
CREATE INDEX mail_messages_ticket ON mail_messages (ticket_id, id);

-- Outbound mail, one row per message and recipient (so a refused recipient does not hold the others'),
-- queued by the outbox for an event and claimed by a node with a lease, as webhook deliveries are.
-- kind: reply (a staff reply to the requester), acknowledgement (of a new ticket), notification (to agents).
CREATE TABLE mail_deliveries (
    id              INTEGER PRIMARY KEY,
    event_id        INTEGER NOT NULL REFERENCES events (id),
    kind            TEXT NOT NULL CHECK (kind IN ('reply', 'acknowledgement', 'notification')),
    mailbox_id      INTEGER NOT NULL,
    brand_id        INTEGER NOT NULL,
    ticket_id       INTEGER NOT NULL,
    reply_id        INTEGER,
    recipient       TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER,
    deadline_at     INTEGER NOT NULL,
    claimed_by      TEXT,
    claimed_until   INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (event_id, kind, recipient)
);
CREATE INDEX mail_deliveries_due ON mail_deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX mail_deliveries_event ON mail_deliveries (event_id, id);

CREATE TABLE mail_attempts (
    id               INTEGER PRIMARY KEY,
    mail_delivery_id INTEGER NOT NULL REFERENCES mail_deliveries (id),
    attempted_at     INTEGER NOT NULL,
    smtp_code        INTEGER,
    error            TEXT,
    latency_us       INTEGER NOT NULL
);
CREATE INDEX mail_attempts_of ON mail_attempts (mail_delivery_id, id);
