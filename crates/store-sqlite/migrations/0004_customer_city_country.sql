-- Customers get `city` and `country` (SPEC §3.4), and customer search finds them by city.
ALTER TABLE customers ADD COLUMN city TEXT;
ALTER TABLE customers ADD COLUMN country TEXT;

-- An FTS5 table cannot gain a column: customer_fts is made again with `city`, filled from the customers,
-- and its triggers follow.
DROP TRIGGER customers_fts_insert;
DROP TRIGGER customers_fts_update;
DROP TABLE customer_fts;
CREATE VIRTUAL TABLE customer_fts USING fts5 (name, email, phone, city, tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO customer_fts (rowid, name, email, phone, city)
    SELECT id, name, coalesce(email, ''), coalesce(phone, ''), coalesce(city, '') FROM customers;
CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customer_fts (rowid, name, email, phone, city)
    VALUES (new.id, new.name, coalesce(new.email, ''), coalesce(new.phone, ''), coalesce(new.city, ''));
END;
CREATE TRIGGER customers_fts_update AFTER UPDATE OF name, email, phone, city ON customers
WHEN old.name IS NOT new.name OR old.email IS NOT new.email OR old.phone IS NOT new.phone OR old.city IS NOT new.city
BEGIN
    UPDATE customer_fts SET name = new.name, email = coalesce(new.email, ''), phone = coalesce(new.phone, ''),
        city = coalesce(new.city, '') WHERE rowid = new.id;
END;
