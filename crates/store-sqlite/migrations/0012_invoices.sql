-- Invoices (SPEC §5.3). An invoice gets its number when it is issued, from the year's counter: the
-- counter's row is updated in the issuing transaction (a row lock where writers run concurrently), so
-- numbers are given in order, and a transaction that rolls back gives its number back: no gaps, no
-- duplicates (the unique index is the safety net). Items are JSON, read and written whole with the invoice.
CREATE TABLE invoice_numbers (
    id   INTEGER PRIMARY KEY,
    year INTEGER NOT NULL UNIQUE,
    last INTEGER NOT NULL
);

CREATE TABLE invoices (
    id              INTEGER PRIMARY KEY,
    customer_id     INTEGER NOT NULL REFERENCES customers (id),
    subscription_id INTEGER REFERENCES subscriptions (id),
    number          TEXT UNIQUE,
    currency        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'void')),
    items           TEXT NOT NULL,
    subtotal        INTEGER NOT NULL,
    total           INTEGER NOT NULL,
    amount_paid     INTEGER NOT NULL DEFAULT 0,
    issued_at       INTEGER,
    due_at          INTEGER,
    paid_at         INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX invoices_customer ON invoices (customer_id, id);
CREATE INDEX invoices_subscription ON invoices (subscription_id, id) WHERE subscription_id IS NOT NULL;
