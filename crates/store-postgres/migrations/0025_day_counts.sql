-- The dashboard's figures of days that are over (tickets opened, tickets solved), counted once and kept:
-- counting a day reads every ticket opened that day, and the chart shows thirty of them on every view.
-- Derived data: a backup leaves it out, and a day whose tickets change (a deletion, an import) is
-- forgotten and counted again.
CREATE TABLE day_counts (
    day BIGINT PRIMARY KEY,
    opened BIGINT NOT NULL,
    solved BIGINT NOT NULL
);
