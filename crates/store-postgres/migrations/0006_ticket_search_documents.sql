-- Every ticket's search document in one pass, for a restore (`ferrodesk restore`): the replies are read once,
-- grouped by ticket, instead of two index lookups per ticket. Building them one by one with
-- `ticket_search_document(id)` took more than 20 minutes for a million tickets.
--
-- The document is composed in one place, `ticket_search_document_of`, from a ticket's title, customer and
-- the text of its public replies and internal notes; the per-ticket function (used by the triggers) and the
-- set-based one only gather those parts.

CREATE FUNCTION ticket_search_document_of(ticket BIGINT, customer BIGINT, title TEXT, public_text TEXT,
                                          internal_text TEXT) RETURNS tsvector
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('ferrodesk_search', title), 'A')
        || setweight(to_tsvector('ferrodesk_search', coalesce(public_text, '')), 'B')
        || setweight(to_tsvector('ferrodesk_search', coalesce(internal_text, '')), 'D')
        || ticket_search_markers(ticket, customer)
$$;

CREATE OR REPLACE FUNCTION ticket_search_document(ticket BIGINT) RETURNS tsvector
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT ticket_search_document_of(
        t.id, t.customer_id, t.title,
        (SELECT string_agg(r.message, E'\n' ORDER BY r.id) FROM replies r
         WHERE r.ticket_id = t.id AND NOT r.internal),
        (SELECT string_agg(r.message, E'\n' ORDER BY r.id) FROM replies r
         WHERE r.ticket_id = t.id AND r.internal))
    FROM tickets t WHERE t.id = ticket
$$;

CREATE FUNCTION ticket_search_documents() RETURNS TABLE (ticket_id BIGINT, doc tsvector)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT t.id, ticket_search_document_of(t.id, t.customer_id, t.title, r.public_text, r.internal_text)
    FROM tickets t
    LEFT JOIN (SELECT r.ticket_id,
                      string_agg(r.message, E'\n' ORDER BY r.id) FILTER (WHERE NOT r.internal) AS public_text,
                      string_agg(r.message, E'\n' ORDER BY r.id) FILTER (WHERE r.internal) AS internal_text
               FROM replies r GROUP BY r.ticket_id) r ON r.ticket_id = t.id
$$;
