-- Keyword lists of customers and end users, rebuilt for lists in id order (the default order of every list)
-- at a million rows. The search index moves from the `search` column itself to an expression over it,
-- `person_search_index(search, id)`, which adds two kinds of position-less lexemes that user text never
-- produces (the parser splits words at `~` and `^`):
--
--   * Block markers `~f<id>>11>`, `~m<id>>14>` and `~c<id>>17>`, as ticket search documents have them
--     (migration 0002). GIN yields matches in no order, so "the newest 50 customers matching a word" either
--     gathered every match and sorted them (a word in 1% of a million customers: 10,000 rows read) or
--     walked the primary key testing each row; with the markers the index itself narrows a search to a
--     window of ids, and a list reads only the rows of matches inside windows that grow from the end it
--     reads first (store-postgres `people.rs`).
--   * Prefix lexemes `^<beginning>` for every beginning of 3 to 16 characters of a longer word. The last
--     word of a query also matches as a prefix (SPEC §3.3), and `'sto':*` makes GIN gather the rows of
--     every word it begins, in the whole index, for every window (13 ms for 259 words at a million
--     customers; the same words ORed, 60 ms). `'sto' | '^sto'` is two entries.
--
-- The words themselves are cut as SQLite cuts them: punctuation becomes a space before the parser sees the
-- text, so `ada.lovelace@example.com` is the words `ada`, `lovelace`, `example` and `com` (as FTS5 indexes
-- it), not one email lexeme that only a search for its beginning would find.

-- The text as the search index reads it: ASCII punctuation and the common typographic marks as spaces
-- (store-postgres `dialect::PERSON_PUNCTUATION` cuts query words the same way).
CREATE FUNCTION person_search_text(t TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT translate(t, '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~‘’‚“”„«»‹›–—…·•',
                     repeat(' ', length('!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~‘’‚“”„«»‹›–—…·•')))
$$;

-- What the index holds for a row: its words, the beginnings of its longer words, its blocks of ids.
CREATE FUNCTION person_search_index(words tsvector, id BIGINT) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT words
        || array_to_tsvector(ARRAY(
               SELECT DISTINCT '^' || left(w, n)
               FROM unnest(tsvector_to_array(words)) w, generate_series(3, least(length(w) - 1, 16)) n))
        || array_to_tsvector(ARRAY['~f' || (id >> 11), '~m' || (id >> 14), '~c' || (id >> 17)])
$$;

-- `lexeme` as a `tsquery` literal, verbatim (no parser, no folding).
CREATE FUNCTION quote_lexeme(lexeme TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT '''' || replace(replace(lexeme, '\', '\\'), '''', '''''') || ''''
$$;

-- The last word of a query as it matches: itself, or a word it begins. `word` is one word as the index cuts
-- words; when it folds into one lexeme of 3 to 16 characters, the prefix lexeme answers; otherwise
-- (a longer or a split word) `fallback`, the word as a `to_tsquery` prefix (`'…':*`).
CREATE FUNCTION person_prefix_query(word TEXT, fallback TEXT) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN cardinality(l) = 1 AND length(l[1]) BETWEEN 3 AND 16
                THEN (quote_lexeme(l[1]) || ' | ' || quote_lexeme('^' || l[1]))::tsquery
                ELSE to_tsquery('ferrodesk_search', fallback) END
    FROM (SELECT tsvector_to_array(to_tsvector('ferrodesk_search', word)) AS l) lexemes
$$;

DROP INDEX customers_search;
ALTER TABLE customers DROP COLUMN search;
ALTER TABLE customers ADD COLUMN search TSVECTOR GENERATED ALWAYS AS (
    to_tsvector('ferrodesk_search', person_search_text(
                name || ' ' || coalesce(email, '') || ' ' || coalesce(phone, '') || ' ' || coalesce(city, '')
                || ' ' || search_text)))
    STORED;
-- Every search reads the whole pending list of new entries: a short one keeps that cheap (migration 0002).
CREATE INDEX customers_search ON customers USING GIN (person_search_index(search, id))
    WITH (gin_pending_list_limit = 128);
-- Rare words are the common case of a search; more statistics keep their estimates honest.
ALTER INDEX customers_search ALTER COLUMN 1 SET STATISTICS 1000;

DROP INDEX end_users_search;
ALTER TABLE end_users DROP COLUMN search;
ALTER TABLE end_users ADD COLUMN search TSVECTOR GENERATED ALWAYS AS (
    to_tsvector('ferrodesk_search', person_search_text(
                name || ' ' || coalesce(email, '') || ' ' || coalesce(phone, '') || ' ' || search_text)))
    STORED;
CREATE INDEX end_users_search ON end_users USING GIN (person_search_index(search, id))
    WITH (gin_pending_list_limit = 128);
ALTER INDEX end_users_search ALTER COLUMN 1 SET STATISTICS 1000;

-- The statistics of the new index expressions are gathered after this transaction, by the store (an ANALYZE
-- here would ignore the targets set above: store-postgres `AFTER_MIGRATION`).
