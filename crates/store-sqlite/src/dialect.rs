//! What SQLite does differently: no row locks (the single writer serialises), FTS5 for search.
use crate::sql::{map_err, search_row};
use crate::{Db, DbConn};
use sqlx::QueryBuilder;
use store::{MARK_END, MARK_START, Result, SearchKind, SearchRequest, SearchRow};

/// SQLite has no row locks; `BEGIN IMMEDIATE` on the one writer already excludes other writers.
pub const FOR_UPDATE: &str = "";

/// Busy, locked, I/O, full and cannot-open errors are conditions of the moment, not bugs.
pub fn is_unavailable(e: &dyn sqlx::error::DatabaseError) -> bool {
    let primary = e.code().and_then(|c| c.parse::<i32>().ok()).map(|c| c & 0xff);
    matches!(primary, Some(5 | 6 | 10 | 13 | 14))
}

/// An FTS5 query that matches every term as a literal word (quotes doubled, so no operator injection),
/// limited to `columns` when given.
pub fn fts_query(terms: &[String], columns: Option<&str>) -> String {
    terms
        .iter()
        .map(|t| {
            let phrase = format!("\"{}\"", t.replace('"', "\"\""));
            match columns {
                Some(c) => format!("{{{c}}} : {phrase}"),
                None => phrase,
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn push_ticket_terms(q: &mut QueryBuilder<Db>, terms: &[String], internal: bool) {
    let columns = if internal { None } else { Some("title body") };
    q.push(" AND t.id IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ")
        .push_bind(fts_query(terms, columns))
        .push(")");
}

pub async fn search(c: &mut DbConn, r: &SearchRequest) -> Result<Vec<SearchRow>> {
    let mut out = Vec::new();
    let snippet = format!("char({}), char({}), '…', 16", MARK_START as u32, MARK_END as u32);
    for kind in &r.kinds {
        let limit = i64::from(r.limit);
        let rows = match kind {
            SearchKind::Ticket => {
                let columns = if r.customer_scope.is_some() {
                    Some("title body")
                } else {
                    None
                };
                let q = fts_query(&r.terms, columns);
                match r.customer_scope {
                    // The best matches overall first, then the tickets: lets FTS5 stop after `limit` rows.
                    None => sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT t.id, t.title, s.snip, s.score FROM (SELECT rowid AS id, \
                         snippet(ticket_fts, -1, {snippet}) AS snip, -rank AS score FROM ticket_fts \
                         WHERE ticket_fts MATCH $1 ORDER BY rank LIMIT $2) s JOIN tickets t ON t.id = s.id \
                         ORDER BY s.score DESC, t.id DESC"
                    )))
                    .bind(q)
                    .bind(limit)
                    .fetch_all(&mut *c)
                    .await
                    .map_err(map_err)?,
                    Some(customer) => sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT t.id, t.title, snippet(ticket_fts, -1, {snippet}) AS snip, -ticket_fts.rank AS score \
                         FROM ticket_fts JOIN tickets t ON t.id = ticket_fts.rowid \
                         WHERE ticket_fts MATCH $1 AND t.customer_id = $3 ORDER BY ticket_fts.rank LIMIT $2"
                    )))
                    .bind(q)
                    .bind(limit)
                    .bind(customer)
                    .fetch_all(&mut *c)
                    .await
                    .map_err(map_err)?,
                }
            }
            SearchKind::Customer | SearchKind::EndUser => {
                let (fts, table) = match kind {
                    SearchKind::Customer => ("customer_fts", "customers"),
                    _ => ("end_user_fts", "end_users"),
                };
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT e.id, e.name AS title, snippet({fts}, -1, {snippet}) AS snip, -{fts}.rank AS score \
                     FROM {fts} JOIN {table} e ON e.id = {fts}.rowid \
                     WHERE {fts} MATCH $1 AND e.deleted_at IS NULL ORDER BY {fts}.rank LIMIT $2"
                )))
                .bind(fts_query(&r.terms, None))
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

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn terms_are_quoted() {
        let terms = vec!["a\"b".to_string(), "OR".to_string()];
        assert_eq!(fts_query(&terms, None), "\"a\"\"b\" \"OR\"");
        assert_eq!(fts_query(&terms[1..], Some("title body")), "{title body} : \"OR\"");
    }
}
