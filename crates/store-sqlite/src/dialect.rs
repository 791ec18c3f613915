//! What SQLite does differently: no row locks (the single writer serialises), FTS5 for search.
use crate::conn;
use crate::queue::{RowId, WriteQueue};
use domain::Ticket;
use rusqlite::Connection;
use store::{Result, SearchKind, SearchRequest, SearchRow, TicketFilter};
use store_sql::tickets::{TICKET_ROW, ticket_list_query_over};
use store_sql::{QueryBuilder, Value, search_hit, search_rows};

/// SQLite has no row locks; `BEGIN IMMEDIATE` on the one writer already excludes other writers.
pub(crate) const FOR_UPDATE: &str = "";

/// An FTS5 query that matches every term as a literal word (quotes doubled, so no operator injection),
/// the last one also as a prefix (`"print"*`) when it is long enough (`domain::last_term_is_prefix`),
/// limited to `columns` when given. Case and accents are folded by the tables' tokenizer
/// (`unicode61 remove_diacritics 2`), for the query as for the text.
pub(crate) fn fts_query(terms: &[String], columns: Option<&str>) -> String {
    let prefix = domain::last_term_is_prefix(terms);
    terms
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let star = if prefix && i + 1 == terms.len() { "*" } else { "" };
            let phrase = format!("\"{}\"{star}", t.replace('"', "\"\""));
            match columns {
                Some(c) => format!("{{{c}}} : {phrase}"),
                None => phrase,
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn push_ticket_terms(q: &mut QueryBuilder, terms: &[String], internal: bool) {
    let columns = if internal { None } else { Some("title body") };
    q.push(" AND t.id IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ")
        .bind(fts_query(terms, columns))
        .push(")");
}

/// The bounded plan of a ticket list with terms in id order: FTS5 yields the matches in rowid order and
/// the join reads each one's ticket, with the list's filters, until the page is full (`CROSS JOIN` keeps
/// the full-text table the outer loop). The `IN (…)` filter of [`push_ticket_terms`] would collect every
/// match first: a quarter of a million rowids for a common word at a million tickets.
pub(crate) fn ticket_list_matching(c: &Connection, f: &TicketFilter) -> Result<Vec<Ticket>> {
    let columns = if f.search_internal { None } else { Some("title body") };
    let (sql, params) = ticket_list_query_over(
        f,
        f.page.limit,
        |q| {
            q.push("ticket_fts CROSS JOIN tickets t ON t.id = ticket_fts.rowid");
        },
        "ticket_fts.rowid",
        |q| {
            q.push(" AND ticket_fts MATCH ").bind(fts_query(&f.terms, columns));
        },
    )
    .build();
    conn::fetch_all(c, sql.as_str(), &params, TICKET_ROW)
}

/// How many of the newest matches are ranked. Ranking costs a lookup per match, so ranking every match of
/// a common word among millions of messages would take seconds; the best of the newest matches is what a
/// help desk wants to see anyway (documented in docs/architecture.md).
pub(crate) const RANKED_MATCHES: i64 = 500;

/// Longest text handed back per hit for its excerpt.
const TEXT_CHARS: i64 = 65_536;

/// One ranked search over an FTS5 table: the newest `RANKED_MATCHES` matches passing `filter`, ranked with
/// bm25 and cut to `$2`; `text` is an expression of the hit's text (excerpts are cut by the caller).
fn ranked_sql(fts: &str, weights: &str, table: &str, title: &str, text: &str, filter: &str) -> String {
    format!(
        "WITH best AS (SELECT id, score FROM (\
             SELECT {fts}.rowid AS id, -bm25({fts}{weights}) AS score FROM {fts} JOIN {table} e ON e.id = {fts}.rowid \
             WHERE {fts} MATCH $1 {filter} ORDER BY {fts}.rowid DESC LIMIT {RANKED_MATCHES}) \
           ORDER BY score DESC, id DESC LIMIT $2) \
         SELECT e.id, e.{title} AS title, substr({text}, 1, {TEXT_CHARS}) AS text, best.score \
         FROM best JOIN {fts} ON {fts}.rowid = best.id JOIN {table} e ON e.id = best.id \
         ORDER BY best.score DESC, e.id DESC"
    )
}

// New tickets and replies are indexed by explicit statements rather than triggers (migration 0003): a
// trigger makes its statement a "multi-write" one, which SQLite runs inside a statement savepoint, and at
// every savepoint FTS5 writes its pending index data out as a new segment, so each insert cost a flush and,
// soon, a merge. A plain insert into the FTS table needs no savepoint; the ticket's row is queued with its
// inserts and its first messages are added to it before it is sent. (Edits and deletions keep their
// triggers: they are rare, and their old text has to be read anyway.)

const TICKET_FTS: &str = "ticket_fts";

/// The full-text row of a new ticket (title; messages are appended as they are inserted), to be queued
/// under the returned tag.
pub(crate) fn index_new_ticket(id: i64, title: &str) -> (RowId, &'static str, Vec<Value>) {
    let values = vec![Value::from(id), Value::from(title), Value::from(""), Value::from("")];
    let sql = "INSERT INTO ticket_fts (rowid, title, body, notes) VALUES ($1, $2, $3, $4)";
    ((TICKET_FTS, id), sql, values)
}

/// Public messages go to `body`, internal notes to `notes`: the column and its value's offset in the
/// statement of [`index_new_ticket`].
fn message_column(internal: bool) -> (&'static str, usize) {
    if internal { ("notes", 3) } else { ("body", 2) }
}

/// Adds a new message to its ticket's full-text row if that row is still queued; false if it is not.
pub(crate) fn append_to_queued_ticket(queue: &mut WriteQueue, ticket_id: i64, message: &str, internal: bool) -> bool {
    let (_, offset) = message_column(internal);
    queue.amend((TICKET_FTS, ticket_id), offset, |value| {
        if let Value::Text(Some(text)) = value {
            text.push('\n');
            text.push_str(message);
        }
    })
}

/// Adds a new message to its ticket's full-text row when that row is already written, after a line break,
/// as the edit triggers rebuild them.
pub(crate) fn index_new_reply(ticket_id: i64, message: &str, internal: bool) -> (String, Vec<Value>) {
    let (column, _) = message_column(internal);
    let sql = format!("UPDATE ticket_fts SET {column} = {column} || char(10) || $1 WHERE rowid = $2");
    (sql, vec![Value::from(message), Value::from(ticket_id)])
}

/// End users found by search: not deleted, and neither is their customer.
const LIVE_END_USER: &str = "AND e.deleted_at IS NULL \
     AND EXISTS (SELECT 1 FROM customers c WHERE c.id = e.customer_id AND c.deleted_at IS NULL)";

pub(crate) fn search(c: &Connection, r: &SearchRequest) -> Result<Vec<SearchRow>> {
    let mut out = Vec::new();
    let person = |fts: &str| format!("{fts}.name || ' ' || {fts}.email || ' ' || {fts}.phone");
    for kind in &r.kinds {
        let (sql, query) = match kind {
            SearchKind::Ticket => {
                let (columns, filter, text) = match r.customer_scope {
                    Some(_) => (
                        Some("title body"),
                        "AND e.customer_id = $3",
                        "ticket_fts.title || char(10) || ticket_fts.body",
                    ),
                    None => (
                        None,
                        "",
                        "ticket_fts.title || char(10) || ticket_fts.body || char(10) || ticket_fts.notes",
                    ),
                };
                (
                    ranked_sql("ticket_fts", ", 4.0, 1.0, 1.0", "tickets", "title", text, filter),
                    fts_query(&r.terms, columns),
                )
            }
            SearchKind::Customer => (
                ranked_sql(
                    "customer_fts",
                    "",
                    "customers",
                    "name",
                    &format!("{} || ' ' || customer_fts.city", person("customer_fts")),
                    "AND e.deleted_at IS NULL",
                ),
                fts_query(&r.terms, None),
            ),
            SearchKind::EndUser => (
                ranked_sql(
                    "end_user_fts",
                    "",
                    "end_users",
                    "name",
                    &person("end_user_fts"),
                    LIVE_END_USER,
                ),
                fts_query(&r.terms, None),
            ),
        };
        let params = [
            Value::from(query),
            Value::from(i64::from(r.limit)),
            Value::from(r.customer_scope),
        ];
        let hits = conn::fetch_all(c, &sql, &params, search_hit)?;
        out.extend(search_rows(*kind, hits));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn terms_are_quoted() {
        let terms = vec!["a\"b".to_string(), "OR".to_string()];
        assert_eq!(fts_query(&terms, None), "\"a\"\"b\" \"OR\"");
        assert_eq!(fts_query(&terms[1..], Some("title body")), "{title body} : \"OR\"");
    }

    #[test]
    fn the_last_term_is_a_prefix() {
        let terms = vec!["paper".to_string(), "pri\"nt".to_string()];
        assert_eq!(fts_query(&terms, None), "\"paper\" \"pri\"\"nt\"*");
        assert_eq!(
            fts_query(&terms, Some("title body")),
            "{title body} : \"paper\" {title body} : \"pri\"\"nt\"*"
        );
        let short = vec!["printer".to_string(), "pa".to_string()];
        assert_eq!(
            fts_query(&short, None),
            "\"printer\" \"pa\"",
            "too short to be a prefix"
        );
    }
}
