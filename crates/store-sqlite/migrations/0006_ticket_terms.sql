-- The words of the ticket search index in a table of their own, each under its lookup key (lower case,
-- accents removed): the last word of a query, which also matches as a prefix, is expanded into the words
-- it begins instead of an FTS5 prefix query, which reads every match before the first (vocabulary.rs).
-- New words are added by the statements that index new and changed text.
CREATE TABLE ticket_terms (
    key  TEXT NOT NULL,
    term TEXT NOT NULL,
    PRIMARY KEY (key, term)
) WITHOUT ROWID;

