-- Billing-system links (SPEC §5.5): a customer's accounts in external billing systems, each account linked to
-- one customer only (unique per system and billing id; the system in its canonical spelling).
CREATE TABLE billing_links (
    id             INTEGER PRIMARY KEY,
    customer_id    INTEGER NOT NULL REFERENCES customers (id),
    billing_system TEXT NOT NULL,
    billing_id     TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    UNIQUE (billing_system, billing_id)
);
CREATE INDEX billing_links_customer ON billing_links (customer_id, id);
