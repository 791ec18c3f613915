-- Every word of the ticket search index into `ticket_terms` (after migration 0006 and after a restore),
-- keyed by `ferrodesk_term_key`, which the store registers on its connections (vocabulary.rs).
CREATE VIRTUAL TABLE temp.ticket_fts_words USING fts5vocab(main, ticket_fts, row);
INSERT OR IGNORE INTO ticket_terms (key, term)
    SELECT ferrodesk_term_key(term), term FROM temp.ticket_fts_words WHERE length(term) <= 128;
DROP TABLE temp.ticket_fts_words;
