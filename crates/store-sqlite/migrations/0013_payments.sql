-- Payments applied to invoices, and refunds of them (SPEC §5.3). A payment keeps the part that paid the
-- invoice and the excess credited to the subscription's balance, and how much of it was refunded (never more
-- than the payment: the store locks the payment's row while a refund is written).
CREATE TABLE payments (
    id         INTEGER PRIMARY KEY,
    invoice_id INTEGER NOT NULL REFERENCES invoices (id),
    amount     INTEGER NOT NULL CHECK (amount > 0),
    applied    INTEGER NOT NULL CHECK (applied >= 0),
    credited   INTEGER NOT NULL CHECK (credited >= 0),
    refunded   INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
    method     TEXT NOT NULL DEFAULT '',
    reference  TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX payments_invoice ON payments (invoice_id, id);

CREATE TABLE refunds (
    id         INTEGER PRIMARY KEY,
    payment_id INTEGER NOT NULL REFERENCES payments (id),
    invoice_id INTEGER NOT NULL REFERENCES invoices (id),
    amount     INTEGER NOT NULL CHECK (amount > 0),
    created_at INTEGER NOT NULL
);
CREATE INDEX refunds_invoice ON refunds (invoice_id, id);
CREATE INDEX refunds_payment ON refunds (payment_id, id);
