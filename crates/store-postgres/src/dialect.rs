//! What PostgreSQL does differently: row locks, and full-text search with tsvector/GIN.
use crate::sql::{map_err, search_row};
use crate::{Db, DbConn};
use sqlx::QueryBuilder;
use store::{Result, SearchKind, SearchRequest, SearchRow};

pub const FOR_UPDATE: &str = " FOR UPDATE";

/// Connection exceptions (class 08), shutdowns and "cannot connect now" (57P01–57P03), too many
/// connections (53300): the server is restarting or overloaded, so the request may be retried.
pub fn is_unavailable(e: &dyn sqlx::error::DatabaseError) -> bool {
    e.code()
        .is_some_and(|c| c.starts_with("08") || c.starts_with("57P") || c == "53300")
}

/// Every term as a literal word: `plainto_tsquery` does its own quoting, so no operator injection.
fn ts_terms(terms: &[String]) -> String {
    terms.join(" ")
}

/// The document a search runs over: staff also search internal notes, end users never do.
fn document(internal: bool) -> &'static str {
    if internal { "staff_doc" } else { "doc" }
}

pub fn push_ticket_terms(q: &mut QueryBuilder<Db>, terms: &[String], internal: bool) {
    q.push(format!(
        " AND t.id IN (SELECT ticket_id FROM ticket_search WHERE {} @@ plainto_tsquery('simple', ",
        document(internal)
    ))
    .push_bind(ts_terms(terms))
    .push("))");
}

/// How many of the newest matches are ranked (as on SQLite): ranking reads every candidate row, so a common
/// word among millions of tickets must not rank them all.
const RANKED_MATCHES: i64 = 500;

/// Longest text handed back per hit for its excerpt.
const TEXT_CHARS: i64 = 65_536;

pub async fn search(c: &mut DbConn, r: &SearchRequest) -> Result<Vec<SearchRow>> {
    let mut out = Vec::new();
    for kind in &r.kinds {
        let sql = match kind {
            SearchKind::Ticket => {
                let staff = r.customer_scope.is_none();
                let doc = format!("s.{}", document(staff));
                let text = if staff {
                    "s.title || E'\\n' || s.body || E'\\n' || s.notes"
                } else {
                    "s.title || E'\\n' || s.body"
                };
                format!(
                    "SELECT t.id, t.title, substr({text}, 1, {TEXT_CHARS}) AS text, h.score \
                     FROM (SELECT id, score FROM \
                             (SELECT s.ticket_id AS id, ts_rank({doc}, q)::float8 AS score \
                              FROM ticket_search s JOIN tickets t ON t.id = s.ticket_id, plainto_tsquery('simple', $1) q \
                              WHERE {doc} @@ q AND ($3::bigint IS NULL OR t.customer_id = $3) \
                              ORDER BY s.ticket_id DESC LIMIT {RANKED_MATCHES}) newest \
                           ORDER BY score DESC, id DESC LIMIT $2) h \
                     JOIN ticket_search s ON s.ticket_id = h.id JOIN tickets t ON t.id = h.id \
                     ORDER BY h.score DESC, t.id DESC"
                )
            }
            SearchKind::Customer | SearchKind::EndUser => {
                let table = if *kind == SearchKind::Customer {
                    "customers"
                } else {
                    "end_users"
                };
                format!(
                    "SELECT e.id, e.name AS title, e.name || ' ' || coalesce(e.email, '') || ' ' || coalesce(e.phone, '') \
                     AS text, h.score \
                     FROM (SELECT id, score FROM \
                             (SELECT e.id, ts_rank(e.search, q)::float8 AS score FROM {table} e, plainto_tsquery('simple', $1) q \
                              WHERE e.search @@ q AND e.deleted_at IS NULL \
                              ORDER BY e.id DESC LIMIT {RANKED_MATCHES}) newest \
                           ORDER BY score DESC, id DESC LIMIT $2) h \
                     JOIN {table} e ON e.id = h.id ORDER BY h.score DESC, e.id DESC"
                )
            }
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ts_terms(&r.terms))
            .bind(i64::from(r.limit))
            .bind(r.customer_scope)
            .fetch_all(&mut *c)
            .await
            .map_err(map_err)?;
        for row in &rows {
            out.push(search_row(*kind, row)?);
        }
    }
    Ok(out)
}
