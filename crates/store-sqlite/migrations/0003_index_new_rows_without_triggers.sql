-- New tickets and replies are now added to ticket_fts by the store's own statements, queued with their
-- inserts (see dialect.rs): a trigger makes each insert run inside a statement savepoint, and FTS5 writes
-- out its pending index data at every savepoint. Edits and deletions keep their triggers.
DROP TRIGGER tickets_fts_insert;
DROP TRIGGER replies_fts_insert_public;
DROP TRIGGER replies_fts_insert_note;
