-- Custom attributes of customers and end users (SPEC §3.4), tags as indexed rows, the rest of TeamTools'
-- end-user fields, and keyword search over searchable attributes.

-- Definitions. A name is taken for good, deleted or not: stored values are keyed by it, so a new attribute
-- of another type must not inherit them (restore the deleted one instead).
CREATE TABLE attributes (
    id            INTEGER PRIMARY KEY,
    entity        TEXT NOT NULL CHECK (entity IN ('customer', 'end_user')),
    name          TEXT NOT NULL,
    pretty_name   TEXT NOT NULL,
    type          TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    required      INTEGER NOT NULL DEFAULT 0,
    editable      INTEGER NOT NULL DEFAULT 1,
    searchable    INTEGER NOT NULL DEFAULT 0,
    unique_values INTEGER NOT NULL DEFAULT 0,
    default_value TEXT,
    options       TEXT NOT NULL DEFAULT '[]',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    deleted_at    INTEGER
);
CREATE UNIQUE INDEX attributes_name ON attributes (entity, lower(name));

-- The values, as the entity's `attributes` JSON holds them, once more as rows that filters, sorting and
-- uniqueness can use: `folded` is the lower-case text (its first 256 characters), `number` the value of a
-- number, `unique_value` the folded text while the attribute is unique. Uniqueness counts soft-deleted
-- entities too, so a restore never collides. (`id` only numbers the rows for export and restore.)
CREATE TABLE attribute_values (
    id           INTEGER PRIMARY KEY,
    entity_id    INTEGER NOT NULL,
    attribute_id INTEGER NOT NULL REFERENCES attributes (id),
    value        TEXT NOT NULL,
    folded       TEXT NOT NULL,
    number       REAL,
    unique_value TEXT,
    UNIQUE (entity_id, attribute_id)
);
CREATE INDEX attribute_values_folded ON attribute_values (attribute_id, folded, entity_id);
CREATE INDEX attribute_values_number ON attribute_values (attribute_id, number, entity_id) WHERE number IS NOT NULL;
CREATE UNIQUE INDEX attribute_values_unique ON attribute_values (attribute_id, unique_value)
    WHERE unique_value IS NOT NULL;

-- Tags, one row each, for `GET …/tag/{tag}` and tag filters (the entity's `tags` JSON stays what is shown).
CREATE TABLE entity_tags (
    entity    TEXT NOT NULL,
    tag       TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    PRIMARY KEY (entity, tag, entity_id)
) WITHOUT ROWID;
CREATE INDEX entity_tags_owner ON entity_tags (entity, entity_id);
INSERT INTO entity_tags (entity, tag, entity_id)
    SELECT DISTINCT 'customer', j.value, c.id FROM customers c, json_each(c.tags) j;
INSERT INTO entity_tags (entity, tag, entity_id)
    SELECT DISTINCT 'end_user', j.value, e.id FROM end_users e, json_each(e.tags) j;

ALTER TABLE customers ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
ALTER TABLE customers ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
ALTER TABLE end_users ADD COLUMN first_name TEXT;
ALTER TABLE end_users ADD COLUMN last_name TEXT;
ALTER TABLE end_users ADD COLUMN city TEXT;
ALTER TABLE end_users ADD COLUMN country TEXT;
ALTER TABLE end_users ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
ALTER TABLE end_users ADD COLUMN search_text TEXT NOT NULL DEFAULT '';

-- A customer's email identifies it, as in TeamTools (deleted customers keep theirs, so a restore cannot
-- collide). A database holding two customers with one email stops here, naming them: resolve, then start again.
CREATE UNIQUE INDEX customers_email ON customers (email) WHERE email IS NOT NULL;

-- Built-in fields filtered and sorted without case.
CREATE INDEX customers_name_folded ON customers (lower(name), id);
CREATE INDEX end_users_name_folded ON end_users (lower(name), id);

-- The search tables gain the searchable attributes' text (`search_text`, kept by the store).
DROP TRIGGER customers_fts_insert;
DROP TRIGGER customers_fts_update;
DROP TABLE customer_fts;
CREATE VIRTUAL TABLE customer_fts USING fts5 (name, email, phone, city, attributes,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
INSERT INTO customer_fts (rowid, name, email, phone, city, attributes)
    SELECT id, name, coalesce(email, ''), coalesce(phone, ''), coalesce(city, ''), '' FROM customers;
CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customer_fts (rowid, name, email, phone, city, attributes)
    VALUES (new.id, new.name, coalesce(new.email, ''), coalesce(new.phone, ''), coalesce(new.city, ''),
            new.search_text);
END;
CREATE TRIGGER customers_fts_update AFTER UPDATE OF name, email, phone, city, search_text ON customers
WHEN old.name IS NOT new.name OR old.email IS NOT new.email OR old.phone IS NOT new.phone
    OR old.city IS NOT new.city OR old.search_text IS NOT new.search_text
BEGIN
    UPDATE customer_fts SET name = new.name, email = coalesce(new.email, ''), phone = coalesce(new.phone, ''),
        city = coalesce(new.city, ''), attributes = new.search_text WHERE rowid = new.id;
END;

DROP TRIGGER end_users_fts_insert;
DROP TRIGGER end_users_fts_update;
DROP TABLE end_user_fts;
CREATE VIRTUAL TABLE end_user_fts USING fts5 (name, email, phone, attributes,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
INSERT INTO end_user_fts (rowid, name, email, phone, attributes)
    SELECT id, name, coalesce(email, ''), coalesce(phone, ''), '' FROM end_users;
CREATE TRIGGER end_users_fts_insert AFTER INSERT ON end_users BEGIN
    INSERT INTO end_user_fts (rowid, name, email, phone, attributes)
    VALUES (new.id, new.name, coalesce(new.email, ''), coalesce(new.phone, ''), new.search_text);
END;
CREATE TRIGGER end_users_fts_update AFTER UPDATE OF name, email, phone, search_text ON end_users
WHEN old.name IS NOT new.name OR old.email IS NOT new.email OR old.phone IS NOT new.phone
    OR old.search_text IS NOT new.search_text
BEGIN
    UPDATE end_user_fts SET name = new.name, email = coalesce(new.email, ''), phone = coalesce(new.phone, ''),
        attributes = new.search_text WHERE rowid = new.id;
END;
