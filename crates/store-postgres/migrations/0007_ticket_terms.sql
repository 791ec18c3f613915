-- The words of the ticket search index in a table of their own (store_sql::vocabulary), each under its
-- lookup key: the last word of a query, which also matches as a prefix, is expanded into the words it
-- begins (`'print' | 'printer'`) instead of `'print':*`, which makes GIN gather the rows of every such word
-- before the window of ids narrows them. The store adds the words of new and changed text; this fills the
-- table from the documents there are (the lexemes as keys: folded by `ferrodesk_search` already), and so
-- does a restore.
CREATE TABLE ticket_terms (
    key  TEXT COLLATE "C" NOT NULL,
    term TEXT NOT NULL,
    PRIMARY KEY (key, term)
);

CREATE FUNCTION ticket_terms_fill() RETURNS void LANGUAGE sql AS $$
    INSERT INTO ticket_terms (key, term)
    SELECT word, word FROM ts_stat('SELECT doc FROM ticket_search')
    WHERE word NOT LIKE '~%' AND length(word) <= 128
    ON CONFLICT DO NOTHING
$$;

SELECT ticket_terms_fill();
