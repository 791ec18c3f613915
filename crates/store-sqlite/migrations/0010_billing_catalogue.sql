-- The billing catalogue (SPEC §5.1): features and the features they require, groups (one default), packages
-- and their features, and plans. Money is integer minor units beside its currency; a plan's tiers are JSON
-- (`[{"up_to": n|null, "unit_amount": n, "flat_amount": n}]`), read and written whole with the plan. The
-- link tables have an `id` of their own, as every table that `export` copies has.
CREATE TABLE features (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    unique_key  TEXT UNIQUE,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER
);

CREATE TABLE feature_dependencies (
    id            INTEGER PRIMARY KEY,
    feature_id    INTEGER NOT NULL REFERENCES features (id),
    dependency_id INTEGER NOT NULL REFERENCES features (id),
    UNIQUE (feature_id, dependency_id)
);
CREATE INDEX feature_dependencies_dependency ON feature_dependencies (dependency_id);

CREATE TABLE billing_groups (
    id                 INTEGER PRIMARY KEY,
    name               TEXT NOT NULL,
    is_default         BOOLEAN NOT NULL DEFAULT FALSE,
    default_package_id INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
-- At most one default group, held by the database whatever writes race.
CREATE UNIQUE INDEX billing_groups_one_default ON billing_groups (is_default) WHERE is_default;

CREATE TABLE packages (
    id          INTEGER PRIMARY KEY,
    group_id    INTEGER NOT NULL REFERENCES billing_groups (id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    is_default  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER
);
CREATE INDEX packages_group ON packages (group_id, id);

CREATE TABLE package_features (
    id         INTEGER PRIMARY KEY,
    package_id INTEGER NOT NULL REFERENCES packages (id),
    feature_id INTEGER NOT NULL REFERENCES features (id),
    quantity   INTEGER,
    UNIQUE (package_id, feature_id)
);
CREATE INDEX package_features_feature ON package_features (feature_id);

CREATE TABLE plans (
    id             INTEGER PRIMARY KEY,
    package_id     INTEGER NOT NULL REFERENCES packages (id),
    name           TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    currency       TEXT NOT NULL,
    cycle          TEXT NOT NULL CHECK (cycle IN ('day', 'week', 'month', 'year')),
    interval_count INTEGER NOT NULL CHECK (interval_count >= 1),
    trial_days     INTEGER NOT NULL DEFAULT 0 CHECK (trial_days >= 0),
    initial_fee    INTEGER NOT NULL DEFAULT 0 CHECK (initial_fee >= 0),
    pricing        TEXT NOT NULL CHECK (pricing IN ('flat', 'unit', 'tier')),
    amount         INTEGER,
    tier_mode      TEXT CHECK (tier_mode IN ('graduated', 'volume')),
    tiers          TEXT,
    unit           TEXT NOT NULL DEFAULT 'quantity' CHECK (unit IN ('quantity', 'enduser')),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    deleted_at     INTEGER
);
CREATE INDEX plans_package ON plans (package_id, id);
