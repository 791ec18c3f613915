-- Search ignores accents as well as case (SPEC §3.3: `Café` = `cafe`), as SQLite's FTS5 tables do
-- (`unicode61 remove_diacritics 2`): a text-search configuration `ferrodesk_search`, the `simple` one with
-- the `unaccent` dictionary in front for words with letters beyond ASCII. Every search vector is built
-- again with it, and every query uses it (see dialect.rs).

-- The extension is installed once per database, into `public` where that schema exists (not into the
-- schema at the front of the search path, which may belong to one tenant or test and be dropped with
-- everything in it), unless it is installed already; the configuration names its dictionary with the
-- schema it is in. `unaccent` ships with PostgreSQL (contrib) and is trusted: a database owner may
-- install it without being a superuser.
DO $$
DECLARE
    home TEXT;
BEGIN
    SELECT n.nspname INTO home FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'unaccent';
    IF home IS NULL THEN
        home := CASE WHEN EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public') THEN 'public'
                     ELSE current_schema() END;
        EXECUTE format('CREATE EXTENSION unaccent SCHEMA %I', home);
    END IF;
    CREATE TEXT SEARCH CONFIGURATION ferrodesk_search (COPY = simple);
    EXECUTE format('ALTER TEXT SEARCH CONFIGURATION ferrodesk_search ALTER MAPPING FOR word, hword, hword_part, '
                   'numword, numhword, hword_numpart '
                   'WITH %I.unaccent, simple', home);
END $$;

-- Customers and end users: generated vectors, made again with the new configuration.
DROP INDEX customers_search;
ALTER TABLE customers DROP COLUMN search;
ALTER TABLE customers ADD COLUMN search TSVECTOR GENERATED ALWAYS AS (
    to_tsvector('ferrodesk_search',
                name || ' ' || coalesce(email, '') || ' ' || coalesce(phone, '') || ' ' || coalesce(city, '')))
    STORED;
CREATE INDEX customers_search ON customers USING GIN (search);

DROP INDEX end_users_search;
ALTER TABLE end_users DROP COLUMN search;
ALTER TABLE end_users ADD COLUMN search TSVECTOR GENERATED ALWAYS AS (
    to_tsvector('ferrodesk_search', name || ' ' || coalesce(email, '') || ' ' || coalesce(phone, ''))) STORED;
CREATE INDEX end_users_search ON end_users USING GIN (search);

-- Tickets: the functions of migration 0002, with the new configuration.
CREATE OR REPLACE FUNCTION ticket_search_document(ticket BIGINT) RETURNS tsvector
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('ferrodesk_search', t.title), 'A')
        || setweight(to_tsvector('ferrodesk_search', coalesce(
               (SELECT string_agg(r.message, E'\n' ORDER BY r.id) FROM replies r
                WHERE r.ticket_id = t.id AND NOT r.internal), '')), 'B')
        || setweight(to_tsvector('ferrodesk_search', coalesce(
               (SELECT string_agg(r.message, E'\n' ORDER BY r.id) FROM replies r
                WHERE r.ticket_id = t.id AND r.internal), '')), 'D')
        || ticket_search_markers(t.id, t.customer_id)
    FROM tickets t WHERE t.id = ticket
$$;

CREATE OR REPLACE FUNCTION ticket_search_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ticket_search (ticket_id, doc)
    VALUES (NEW.id, setweight(to_tsvector('ferrodesk_search', NEW.title), 'A')
                    || ticket_search_markers(NEW.id, NEW.customer_id));
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION ticket_search_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ticket_search
    SET doc = doc || setweight(to_tsvector('ferrodesk_search', NEW.message),
                               CASE WHEN NEW.internal THEN 'D' ELSE 'B' END::"char")
    WHERE ticket_id = NEW.ticket_id;
    RETURN NULL;
END $$;

-- Every ticket's document built again: into an empty table without its index (one bulk index build
-- instead of a million index updates and dead rows), then the index as migration 0002 made it.
DROP INDEX ticket_search_doc;
TRUNCATE ticket_search;
INSERT INTO ticket_search (ticket_id, doc) SELECT id, ticket_search_document(id) FROM tickets;
CREATE INDEX ticket_search_doc ON ticket_search USING GIN (doc) WITH (gin_pending_list_limit = 128);
ANALYZE ticket_search;
