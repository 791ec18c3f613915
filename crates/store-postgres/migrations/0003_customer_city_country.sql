-- Customers get `city` and `country` (SPEC §3.4), and customer search finds them by city.
ALTER TABLE customers ADD COLUMN city TEXT, ADD COLUMN country TEXT;

-- A generated column's expression cannot be changed in place (before PostgreSQL 17): it is made again.
DROP INDEX customers_search;
ALTER TABLE customers DROP COLUMN search;
ALTER TABLE customers ADD COLUMN search TSVECTOR GENERATED ALWAYS AS (
    to_tsvector('simple', name || ' ' || coalesce(email, '') || ' ' || coalesce(phone, '') || ' ' || coalesce(city, '')))
    STORED;
CREATE INDEX customers_search ON customers USING GIN (search);
