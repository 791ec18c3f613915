-- Updates write every column of their row, so `AFTER UPDATE OF title` fired on every ticket update (each
-- reply updates the ticket's status and last reply time) and rewrote the ticket's whole FTS5 row. The
-- search triggers now fire only when an indexed value really changed.

DROP TRIGGER tickets_fts_title;
CREATE TRIGGER tickets_fts_title AFTER UPDATE OF title ON tickets WHEN old.title IS NOT new.title BEGIN
    UPDATE ticket_fts SET title = new.title WHERE rowid = new.id;
END;

DROP TRIGGER replies_fts_update;
CREATE TRIGGER replies_fts_update AFTER UPDATE OF message, internal ON replies
WHEN old.message IS NOT new.message OR old.internal IS NOT new.internal BEGIN
    UPDATE ticket_fts SET
        body = coalesce((SELECT group_concat(message, char(10)) FROM replies WHERE ticket_id = new.ticket_id AND internal = 0), ''),
        notes = coalesce((SELECT group_concat(message, char(10)) FROM replies WHERE ticket_id = new.ticket_id AND internal <> 0), '')
    WHERE rowid = new.ticket_id;
END;

DROP TRIGGER customers_fts_update;
CREATE TRIGGER customers_fts_update AFTER UPDATE OF name, email, phone ON customers
WHEN old.name IS NOT new.name OR old.email IS NOT new.email OR old.phone IS NOT new.phone BEGIN
    UPDATE customer_fts SET name = new.name, email = coalesce(new.email, ''), phone = coalesce(new.phone, '') WHERE rowid = new.id;
END;

DROP TRIGGER end_users_fts_update;
CREATE TRIGGER end_users_fts_update AFTER UPDATE OF name, email, phone ON end_users
WHEN old.name IS NOT new.name OR old.email IS NOT new.email OR old.phone IS NOT new.phone BEGIN
    UPDATE end_user_fts SET name = new.name, email = coalesce(new.email, ''), phone = coalesce(new.phone, '') WHERE rowid = new.id;
END;
