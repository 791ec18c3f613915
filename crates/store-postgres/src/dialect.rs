//! What PostgreSQL does differently: row locks, and full-text search with tsvector/GIN.
use crate::sql::{map_err, search_row};
use crate::{Db, DbConn};
use sqlx::QueryBuilder;
use store::{MARK_END, MARK_START, Result, SearchKind, SearchRequest, SearchRow};

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

pub async fn search(c: &mut DbConn, r: &SearchRequest) -> Result<Vec<SearchRow>> {
    let mut out = Vec::new();
    let options = format!(
        "'StartSel=' || chr({}) || ', StopSel=' || chr({}) || ', MaxWords=24, MinWords=8, MaxFragments=2'",
        MARK_START as u32, MARK_END as u32
    );
    for kind in &r.kinds {
        let limit = i64::from(r.limit);
        let rows = match kind {
            SearchKind::Ticket => {
                let staff = r.customer_scope.is_none();
                let doc = format!("s.{}", document(staff));
                let text = if staff {
                    "s.title || E'\\n' || s.body || E'\\n' || s.notes"
                } else {
                    "s.title || E'\\n' || s.body"
                };
                let matches = format!("{doc} @@ q");
                // Rank and cut in the inner query, so headlines are computed for the returned rows only.
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT t.id, t.title, ts_headline('simple', {text}, h.q, {options}) AS snip, h.score \
                     FROM (SELECT s.ticket_id, q, ts_rank({doc}, q)::float8 AS score \
                           FROM ticket_search s JOIN tickets t ON t.id = s.ticket_id, plainto_tsquery('simple', $1) q \
                           WHERE {matches} AND ($3::bigint IS NULL OR t.customer_id = $3) \
                           ORDER BY score DESC, s.ticket_id DESC LIMIT $2) h \
                     JOIN ticket_search s ON s.ticket_id = h.ticket_id JOIN tickets t ON t.id = h.ticket_id \
                     ORDER BY h.score DESC, t.id DESC"
                )))
                .bind(ts_terms(&r.terms))
                .bind(limit)
                .bind(r.customer_scope)
                .fetch_all(&mut *c)
                .await
                .map_err(map_err)?
            }
            SearchKind::Customer | SearchKind::EndUser => {
                let table = if *kind == SearchKind::Customer {
                    "customers"
                } else {
                    "end_users"
                };
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT h.id, h.name AS title, ts_headline('simple', h.name || ' ' || coalesce(h.email, '') || ' ' || \
                     coalesce(h.phone, ''), h.q, {options}) AS snip, h.score FROM \
                     (SELECT e.id, e.name, e.email, e.phone, q, ts_rank(e.search, q)::float8 AS score \
                      FROM {table} e, plainto_tsquery('simple', $1) q \
                      WHERE e.search @@ q AND e.deleted_at IS NULL ORDER BY score DESC, e.id DESC LIMIT $2) h \
                     ORDER BY h.score DESC, h.id DESC"
                )))
                .bind(ts_terms(&r.terms))
                .bind(limit)
                .fetch_all(&mut *c)
                .await
                .map_err(map_err)?
            }
        };
        for row in &rows {
            out.push(search_row(*kind, row)?);
        }
    }
    Ok(out)
}
