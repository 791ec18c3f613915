-- Renewals (SPEC §5.2/§5.3). A renewal invoice names the period it bills; the unique index makes "one
-- invoice per subscription period" a fact of the database, whatever several schedulers do at once.
-- `credit_applied` is the part of `amount_paid` that came from the subscription's balance.
ALTER TABLE invoices ADD COLUMN credit_applied INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN period_start INTEGER;
ALTER TABLE invoices ADD COLUMN period_end INTEGER;
CREATE UNIQUE INDEX invoices_one_per_period ON invoices (subscription_id, period_start) WHERE period_start IS NOT NULL;
-- Open invoices by due date: the scheduler marks subscriptions past due from it.
CREATE INDEX invoices_open_due ON invoices (due_at) WHERE status = 'open';

-- Items added to a subscription (TeamTools' addInvoiceItem) that its next invoice picks up.
CREATE TABLE pending_invoice_items (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id),
    description     TEXT NOT NULL,
    quantity        INTEGER NOT NULL CHECK (quantity >= 1),
    unit_amount     INTEGER NOT NULL CHECK (unit_amount >= 0),
    amount          INTEGER NOT NULL CHECK (amount >= 0),
    created_at      INTEGER NOT NULL
);
CREATE INDEX pending_invoice_items_subscription ON pending_invoice_items (subscription_id, id);
