-- An email belongs to at most one live end user of a customer. The use cases check it first (for a clear
-- answer), but only the database can hold it against concurrent writers. Soft-deleted end users keep
-- their email without blocking a new one; end users without an email are not constrained.
-- (A database that already holds such duplicates stops here, naming them: resolve them, then start again.)
CREATE UNIQUE INDEX end_users_customer_email ON end_users (customer_id, email)
    WHERE deleted_at IS NULL AND email IS NOT NULL;
