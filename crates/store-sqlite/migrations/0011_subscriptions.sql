-- Subscriptions (SPEC §5.2). A customer holds at most one live (not canceled) subscription per group: the
-- partial unique index decides between concurrent subscribes, and `force` cancels the one there is first.
CREATE TABLE subscriptions (
    id                   INTEGER PRIMARY KEY,
    customer_id          INTEGER NOT NULL REFERENCES customers (id),
    plan_id              INTEGER NOT NULL REFERENCES plans (id),
    group_id             INTEGER NOT NULL REFERENCES billing_groups (id),
    status               TEXT NOT NULL CHECK (status IN ('trialing', 'active', 'past_due', 'canceled')),
    quantity             INTEGER NOT NULL CHECK (quantity >= 0),
    manual               BOOLEAN NOT NULL DEFAULT FALSE,
    currency             TEXT NOT NULL,
    anchor               INTEGER NOT NULL,
    current_period_start INTEGER NOT NULL,
    current_period_end   INTEGER NOT NULL,
    trial_end            INTEGER,
    cancel_at_period_end BOOLEAN NOT NULL DEFAULT FALSE,
    canceled_at          INTEGER,
    balance              INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE UNIQUE INDEX subscriptions_one_per_group ON subscriptions (customer_id, group_id) WHERE status <> 'canceled';
CREATE INDEX subscriptions_customer ON subscriptions (customer_id, id);
-- The renewal scheduler reads the live subscriptions whose period has ended.
CREATE INDEX subscriptions_period_end ON subscriptions (current_period_end) WHERE status <> 'canceled';
