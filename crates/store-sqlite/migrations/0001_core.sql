-- Core schema: staff, tokens, brands, departments, customers, end users, tickets, replies, events.
-- Timestamps are INTEGER microseconds since the Unix epoch (UTC). JSON values are TEXT.

CREATE TABLE staff (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'agent')),
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE brands (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL,
    slug             TEXT NOT NULL UNIQUE,
    greeting         TEXT NOT NULL DEFAULT '',
    customer_backend TEXT NOT NULL DEFAULT 'local',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

CREATE TABLE departments (
    id          INTEGER PRIMARY KEY,
    brand_id    INTEGER NOT NULL REFERENCES brands (id),
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    public      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX departments_brand ON departments (brand_id);

CREATE TABLE customers (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    email       TEXT,
    phone       TEXT,
    external_id TEXT UNIQUE,
    tags        TEXT NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER
);

CREATE TABLE end_users (
    id            INTEGER PRIMARY KEY,
    customer_id   INTEGER NOT NULL REFERENCES customers (id),
    name          TEXT NOT NULL,
    email         TEXT,
    phone         TEXT,
    tags          TEXT NOT NULL DEFAULT '[]',
    password_hash TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    deleted_at    INTEGER
);
CREATE INDEX end_users_customer ON end_users (customer_id);
CREATE INDEX end_users_email ON end_users (email);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'agent', 'end_user')),
    end_user_id INTEGER REFERENCES end_users (id),
    created_by  INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE tickets (
    id               INTEGER PRIMARY KEY,
    did              INTEGER NOT NULL REFERENCES departments (id),
    user_id          INTEGER NOT NULL REFERENCES end_users (id),
    customer_id      INTEGER NOT NULL REFERENCES customers (id),
    status           TEXT NOT NULL,
    locked           INTEGER NOT NULL DEFAULT 0,
    priority         INTEGER NOT NULL,
    title            TEXT NOT NULL,
    ctime            INTEGER NOT NULL,
    lastreply        INTEGER NOT NULL,
    read_by_customer INTEGER NOT NULL,
    read_by_staff    INTEGER NOT NULL,
    service          INTEGER,
    assigned         INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    assigned_by      INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    custom_fields    TEXT NOT NULL DEFAULT '{}',
    redeemed         TEXT NOT NULL DEFAULT '[]',
    account_key      TEXT,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX tickets_customer ON tickets (customer_id, id);
CREATE INDEX tickets_user ON tickets (user_id, id);
CREATE INDEX tickets_department ON tickets (did, id);
CREATE INDEX tickets_status ON tickets (status, id);
CREATE INDEX tickets_assigned ON tickets (assigned, id);
CREATE INDEX tickets_lastreply ON tickets (lastreply, id);
CREATE INDEX tickets_priority ON tickets (priority, id);

CREATE TABLE replies (
    id        INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL,
    admin     INTEGER NOT NULL,
    name      TEXT NOT NULL,
    encrypted INTEGER NOT NULL DEFAULT 0,
    message   TEXT NOT NULL,
    ctime     INTEGER NOT NULL,
    ip        TEXT,
    internal  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX replies_ticket ON replies (ticket_id, id);

-- The event log, which is also the outbox: consumers claim pending rows (claimed_by / claimed_until),
-- and mark them done; attempts counts claims that did not finish.
CREATE TABLE events (
    id            INTEGER PRIMARY KEY,
    timestamp     INTEGER NOT NULL,
    source        TEXT NOT NULL,
    member_id     INTEGER,
    member_type   TEXT,
    url           TEXT,
    action        TEXT NOT NULL,
    name          TEXT,
    entity        TEXT NOT NULL,
    entity_id     INTEGER NOT NULL,
    customer_id   INTEGER,
    value         TEXT NOT NULL,
    old           TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending',
    claimed_by    TEXT,
    claimed_until INTEGER,
    attempts      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX events_entity ON events (entity, entity_id, id);
CREATE INDEX events_customer ON events (customer_id, id);
CREATE INDEX events_timestamp ON events (timestamp);
CREATE INDEX events_pending ON events (id) WHERE status = 'pending';

-- Full-text search, kept in step with writes by triggers inside the writing transaction.
-- One row per ticket (rowid = ticket id): the title, public replies, and internal notes apart so that
-- end users never match on notes.
CREATE VIRTUAL TABLE ticket_fts USING fts5 (title, body, notes, tokenize = 'unicode61 remove_diacritics 2');

CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_fts (rowid, title, body, notes) VALUES (new.id, new.title, '', '');
END;
CREATE TRIGGER tickets_fts_title AFTER UPDATE OF title ON tickets BEGIN
    UPDATE ticket_fts SET title = new.title WHERE rowid = new.id;
END;
CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets BEGIN
    DELETE FROM ticket_fts WHERE rowid = old.id;
END;
CREATE TRIGGER replies_fts_insert_public AFTER INSERT ON replies WHEN new.internal = 0 BEGIN
    UPDATE ticket_fts SET body = body || char(10) || new.message WHERE rowid = new.ticket_id;
END;
CREATE TRIGGER replies_fts_insert_note AFTER INSERT ON replies WHEN new.internal <> 0 BEGIN
    UPDATE ticket_fts SET notes = notes || char(10) || new.message WHERE rowid = new.ticket_id;
END;
CREATE TRIGGER replies_fts_update AFTER UPDATE OF message, internal ON replies BEGIN
    UPDATE ticket_fts SET
        body = coalesce((SELECT group_concat(message, char(10)) FROM replies WHERE ticket_id = new.ticket_id AND internal = 0), ''),
        notes = coalesce((SELECT group_concat(message, char(10)) FROM replies WHERE ticket_id = new.ticket_id AND internal <> 0), '')
    WHERE rowid = new.ticket_id;
END;
CREATE TRIGGER replies_fts_delete AFTER DELETE ON replies BEGIN
    UPDATE ticket_fts SET
        body = coalesce((SELECT group_concat(message, char(10)) FROM replies WHERE ticket_id = old.ticket_id AND internal = 0), ''),
        notes = coalesce((SELECT group_concat(message, char(10)) FROM replies WHERE ticket_id = old.ticket_id AND internal <> 0), '')
    WHERE rowid = old.ticket_id;
END;

CREATE VIRTUAL TABLE customer_fts USING fts5 (name, email, phone, tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customer_fts (rowid, name, email, phone) VALUES (new.id, new.name, coalesce(new.email, ''), coalesce(new.phone, ''));
END;
CREATE TRIGGER customers_fts_update AFTER UPDATE OF name, email, phone ON customers BEGIN
    UPDATE customer_fts SET name = new.name, email = coalesce(new.email, ''), phone = coalesce(new.phone, '') WHERE rowid = new.id;
END;

CREATE VIRTUAL TABLE end_user_fts USING fts5 (name, email, phone, tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER end_users_fts_insert AFTER INSERT ON end_users BEGIN
    INSERT INTO end_user_fts (rowid, name, email, phone) VALUES (new.id, new.name, coalesce(new.email, ''), coalesce(new.phone, ''));
END;
CREATE TRIGGER end_users_fts_update AFTER UPDATE OF name, email, phone ON end_users BEGIN
    UPDATE end_user_fts SET name = new.name, email = coalesce(new.email, ''), phone = coalesce(new.phone, '') WHERE rowid = new.id;
END;
