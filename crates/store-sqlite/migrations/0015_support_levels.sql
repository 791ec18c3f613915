-- Support levels (SPEC §5.4): what a support contract promises, named by contracts.
CREATE TABLE support_levels (
    id                         INTEGER PRIMARY KEY,
    name                       TEXT NOT NULL,
    description                TEXT NOT NULL DEFAULT '',
    max_first_response_minutes INTEGER CHECK (max_first_response_minutes > 0),
    created_at                 INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL
);
