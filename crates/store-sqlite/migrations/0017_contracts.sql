-- Support contracts with per-incident support (SPEC §5.4). A contract counts incidents per type; a ticket
-- redeems a type once (the primary key of ticket_incidents), and `used` only goes up where it stays within
-- `total` (the UPDATE's condition), so the last incident goes to exactly one of two concurrent redeems.
CREATE TABLE contracts (
    id               INTEGER PRIMARY KEY,
    customer_id      INTEGER NOT NULL REFERENCES customers (id),
    status           TEXT NOT NULL CHECK (status IN ('active', 'expired', 'cancelled')),
    start_date       TEXT NOT NULL,
    end_date         TEXT NOT NULL,
    support_level_id INTEGER REFERENCES support_levels (id),
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    CHECK (start_date <= end_date)
);
CREATE INDEX contracts_customer ON contracts (customer_id, id);

CREATE TABLE contract_incidents (
    id          INTEGER PRIMARY KEY,
    contract_id INTEGER NOT NULL REFERENCES contracts (id),
    type        TEXT NOT NULL,
    total       INTEGER NOT NULL CHECK (total >= 0),
    used        INTEGER NOT NULL CHECK (used >= 0),
    UNIQUE (contract_id, type)
);

CREATE TABLE ticket_incidents (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id),
    contract_id INTEGER NOT NULL REFERENCES contracts (id),
    type        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (ticket_id, type)
);
CREATE INDEX ticket_incidents_contract ON ticket_incidents (contract_id);

