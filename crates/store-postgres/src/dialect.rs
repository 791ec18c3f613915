//! What PostgreSQL does differently: row locks, and full-text search with tsvector/GIN.
use crate::people::PersonMatch;
use crate::windows::IdWindows;
use crate::{PgConn, map_err};
use domain::Ticket;
use sqlx::PgConnection as DbConn;
use std::ops::DerefMut;
use store::{Result, SearchKind, SearchRequest, SearchRow, TicketFilter};
use store_sql::tickets::{TICKET_ROW, ticket_list_query_over};
use store_sql::{Connection as _, QueryBuilder, Value, vocabulary};

pub(crate) const FOR_UPDATE: &str = " FOR UPDATE";

/// Connection exceptions (class 08), shutdowns and "cannot connect now" (57P01–57P03), too many
/// connections (53300): the server is restarting or overloaded, so the request may be retried.
pub(crate) fn is_unavailable(e: &dyn sqlx::error::DatabaseError) -> bool {
    // Connection failures, shutdowns, too many connections, and a deadlock or serialization failure
    // (40P01, 40001): PostgreSQL undid the transaction, and the same request may simply be sent again.
    e.code()
        .is_some_and(|c| c.starts_with("08") || c.starts_with("57P") || c == "53300" || c == "40P01" || c == "40001")
}

/// The terms as `to_tsquery` input: each a quoted literal (quotes and backslashes escaped, so no operator
/// injection), all of them required, the last also as a prefix (`:*`) when it is long enough
/// (`domain::last_term_is_prefix`). Every query reads it with the `ferrodesk_search` configuration
/// (migration 0005), which folds case and accents as the documents were folded.
pub(crate) fn ts_terms(terms: &[String]) -> String {
    let prefix = domain::last_term_is_prefix(terms);
    terms
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let quoted = quoted(t);
            if prefix && i + 1 == terms.len() {
                quoted + ":*"
            } else {
                quoted
            }
        })
        .collect::<Vec<_>>()
        .join(" & ")
}

/// `word` as a `to_tsquery` literal: matched as written (folded by the configuration), never as syntax.
pub(crate) fn quoted(word: &str) -> String {
    format!("'{}'", word.replace('\\', "\\\\").replace('\'', "''"))
}

/// [`ts_terms`], except that a last word which matches as a prefix is expanded through the vocabulary
/// into the words it begins, `… & ('print' | 'printer' | 'printers')` (`store_sql::vocabulary`): GIN
/// answers `'print':*` by gathering the rows of every such word before the window of ids narrows them. A
/// prefix that begins more than `MAX_EXPANSION` words keeps `:*`.
async fn expanded_terms(c: &mut DbConn, terms: &[String]) -> Result<String> {
    let Some(vocabulary::Expansion { last, others, key }) = vocabulary::expansion(terms) else {
        return Ok(ts_terms(terms));
    };
    let most = vocabulary::MAX_EXPANSION;
    let words: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT term FROM ticket_terms WHERE key >= $1 AND key < $2 LIMIT {}",
        most + 1
    )))
    .bind(&key)
    .bind(vocabulary::key_upper_bound(&key))
    .fetch_all(&mut *c)
    .await
    .map_err(map_err)?;
    if words.len() > most {
        return Ok(ts_terms(terms));
    }
    let alternatives: Vec<String> = std::iter::once(last)
        .chain(words.iter().map(String::as_str))
        .map(quoted)
        .collect();
    let mut parts: Vec<String> = others.iter().map(|t| quoted(t)).collect();
    parts.push(format!("({})", alternatives.join(" | ")));
    Ok(parts.join(" & "))
}

/// End users never search internal notes: of the document they see only the title (weight A) and public
/// replies (B).
fn visible(internal: bool) -> &'static str {
    if internal {
        ""
    } else {
        " AND ts_filter(doc, '{a,b}') @@ to_tsquery('ferrodesk_search', $1)"
    }
}

pub(crate) fn push_ticket_terms(q: &mut QueryBuilder, terms: &[String], internal: bool) {
    let terms = ts_terms(terms);
    q.push(" AND t.id IN (SELECT ticket_id FROM ticket_search WHERE doc @@ to_tsquery('ferrodesk_search', ")
        .bind(Value::from(terms.clone()))
        .push(")");
    if !internal {
        q.push(" AND ts_filter(doc, '{a,b}') @@ to_tsquery('ferrodesk_search', ")
            .bind(Value::from(terms))
            .push(")");
    }
    q.push(")");
}

/// How many of the newest matches are ranked (as on SQLite): ranking reads every candidate row, so a common
/// word among millions of tickets must not rank them all.
const RANKED_MATCHES: i64 = 200;

/// Longest text handed back per hit for its excerpt.
const TEXT_CHARS: i64 = 65_536;

pub(crate) async fn search(c: &mut DbConn, r: &SearchRequest) -> Result<Vec<SearchRow>> {
    let mut out = Vec::new();
    for kind in &r.kinds {
        if *kind == SearchKind::Ticket {
            out.extend(search_tickets(c, r).await?);
            continue;
        }
        // End users of a soft-deleted customer vanish with it.
        let (table, live, text) = if *kind == SearchKind::Customer {
            (
                "customers",
                "e.deleted_at IS NULL",
                "|| ' ' || coalesce(e.city, '') || ' ' || e.search_text",
            )
        } else {
            (
                "end_users",
                "e.deleted_at IS NULL AND EXISTS (SELECT 1 FROM customers c WHERE c.id = e.customer_id \
                 AND c.deleted_at IS NULL)",
                "|| ' ' || e.search_text",
            )
        };
        let terms = PersonMatch::new(&r.terms);
        let params = terms.params();
        let sql = format!(
            "SELECT e.id, e.name AS title, e.name || ' ' || coalesce(e.email, '') || ' ' || coalesce(e.phone, '') \
             {text} AS text, h.score \
             FROM (SELECT id, score FROM \
                     (SELECT e.id, ts_rank(person_search_index(e.search, e.id), q.q)::float8 AS score \
                      FROM {table} e, (SELECT {query} AS q) q \
                      WHERE person_search_index(e.search, e.id) @@ q.q AND {live} \
                      ORDER BY e.id DESC LIMIT {RANKED_MATCHES}) newest \
                   ORDER BY score DESC, id DESC LIMIT ${limit}) h \
             JOIN {table} e ON e.id = h.id ORDER BY h.score DESC, e.id DESC",
            query = terms.query_sql(1, None),
            limit = params.len() + 1,
        );
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
        for p in params {
            query = query.bind(p);
        }
        let hits: Vec<(i64, String, String, f64)> = query
            .bind(i64::from(r.limit))
            .fetch_all(&mut *c)
            .await
            .map_err(map_err)?;
        out.extend(store_sql::search_rows(*kind, hits));
    }
    Ok(out)
}

/// Up to this many matches in all, a search reads them all at once.
pub(crate) const FEW_MATCHES: i64 = 1_000;

/// How many tickets the planner expects to match `terms` (narrowed by the marker lexeme `scope` when
/// given), from the lexeme statistics of `ticket_search.doc`; a guess (words are assumed independent), good
/// enough to decide what to try first.
async fn expected_matches(c: &mut DbConn, terms: &str, scope: Option<&str>) -> Result<i64> {
    let sql = match scope {
        None => "EXPLAIN (FORMAT JSON) SELECT 1 FROM ticket_search WHERE doc @@ to_tsquery('ferrodesk_search', $1)",
        Some(_) => {
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM ticket_search \
             WHERE doc @@ (to_tsquery('ferrodesk_search', $1) && $2::tsquery)"
        }
    };
    let mut query = sqlx::query_scalar(sql).bind(terms);
    if let Some(scope) = scope {
        query = query.bind(scope);
    }
    let plan: serde_json::Value = query.fetch_one(&mut *c).await.map_err(map_err)?;
    Ok(planned_rows(&plan))
}

/// The rows an `EXPLAIN (FORMAT JSON)` expects its statement to yield; a guess, good enough to decide what
/// to try first.
pub(crate) fn planned_rows(plan: &serde_json::Value) -> i64 {
    plan.pointer("/0/Plan/Plan Rows")
        .and_then(serde_json::Value::as_f64)
        .map_or(i64::MAX, |rows| rows as i64)
}

/// The ids of tickets matching `terms` (narrowed by the marker lexemes `markers` when given) that lie in
/// `range`, in no order; `limit` bounds the rows read. The range is applied here rather than in the query:
/// a bound on `ticket_id` invites the planner to walk the primary key reading every row's document, while
/// the terms (and markers) alone are answered by the GIN index, as in the search.
async fn matching_ids(
    c: &mut DbConn,
    terms: &str,
    markers: Option<&str>,
    internal: bool,
    range: std::ops::Range<i64>,
    limit: i64,
) -> Result<Vec<i64>> {
    let visible = if internal {
        ""
    } else {
        " AND ts_filter(doc, '{a,b}') @@ to_tsquery('ferrodesk_search', $1)"
    };
    // Without markers `$2` is NULL and asks nothing of the index.
    let narrowed = if markers.is_some() {
        "(to_tsquery('ferrodesk_search', $1) && $2::tsquery)"
    } else {
        "to_tsquery('ferrodesk_search', $1) AND $2::text IS NULL"
    };
    let sql = format!("SELECT ticket_id FROM ticket_search WHERE doc @@ {narrowed}{visible} LIMIT $3");
    let mut ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(terms)
        .bind(markers)
        .bind(limit)
        .fetch_all(&mut *c)
        .await
        .map_err(map_err)?;
    ids.retain(|id| range.contains(id));
    Ok(ids)
}

/// The fewest match ids whose tickets one query reads; at least twice what the page still needs.
const LIST_CHUNK: usize = 100;

/// The tickets of the list `f` among `ids`, in the list's order, at most `limit`. The ids are taken in the
/// list's order a chunk at a time (sized by what the page still needs), so a window holding hundreds of
/// matches of a common word costs the rows of about a page, not of every match in it.
async fn list_among<C: DerefMut<Target = DbConn> + Send>(
    c: &mut PgConn<C>,
    f: &TicketFilter,
    mut ids: Vec<i64>,
    limit: usize,
) -> Result<Vec<Ticket>> {
    if f.sort.descending() {
        ids.sort_unstable_by(|a, b| b.cmp(a));
    } else {
        ids.sort_unstable();
    }
    let mut out: Vec<Ticket> = Vec::new();
    let mut rest = ids.as_slice();
    while !rest.is_empty() && out.len() < limit {
        let needed = limit - out.len();
        let (chunk, after) = rest.split_at(rest.len().min(LIST_CHUNK.max(2 * needed)));
        rest = after;
        let chunk = format!("{{{}}}", chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
        let (sql, params) = ticket_list_query_over(
            f,
            u32::try_from(needed).unwrap_or(u32::MAX),
            |q| {
                q.push("tickets t");
            },
            "t.id",
            |q| {
                q.push(" AND t.id = ANY(CAST(").bind(chunk).push(" AS bigint[]))");
            },
        )
        .build();
        out.extend(c.fetch_all(sql, &params, TICKET_ROW).await?);
    }
    Ok(out)
}

/// The bounded plan of a ticket list with terms in id order. The GIN index yields matches in no order, and
/// the planner, asked for `ORDER BY id LIMIT n` with a term filter, walks the tickets' primary key testing
/// every ticket (all million of them for a rare word). So, as the search does, the list first asks the
/// index for the ids of matches — all of them at once when the statistics expect few, otherwise in
/// windows of ids from the newest (or, ascending, the oldest) end, named by the block markers and sized by
/// the density seen — and then reads those tickets with the list's filters, until the page is full. A
/// customer's list is narrowed by the customer's marker in the index as well.
pub(crate) async fn ticket_list_matching<C: DerefMut<Target = DbConn> + Send>(
    c: &mut PgConn<C>,
    f: &TicketFilter,
) -> Result<Vec<Ticket>> {
    let terms = expanded_terms(&mut c.0, &f.terms).await?;
    let scope = f.customer_id.map(|id| format!("'~u{id}'"));
    let descending = f.sort.descending();
    let limit = f.page.limit as usize;
    let newest: Option<i64> = sqlx::query_scalar("SELECT max(ticket_id) FROM ticket_search")
        .fetch_one(&mut *c.0)
        .await
        .map_err(map_err)?;
    let Some(newest) = newest else {
        return Ok(Vec::new());
    };
    // The ids still to be listed: `start..end`.
    let (start, end) = match (&f.page.after, descending) {
        (Some(after), true) => (0, after.id.min(newest + 1)),
        (Some(after), false) => (after.id.saturating_add(1), newest + 1),
        (None, _) => (0, newest + 1),
    };
    if expected_matches(&mut c.0, &terms, scope.as_deref()).await? <= FEW_MATCHES {
        let mut all = matching_ids(
            &mut c.0,
            &terms,
            scope.as_deref(),
            f.search_internal,
            0..i64::MAX,
            FEW_MATCHES + 1,
        )
        .await?;
        if all.len() as i64 <= FEW_MATCHES {
            all.retain(|id| (start..end).contains(id));
            return list_among(c, f, all, limit).await;
        }
    }
    let mut walk = IdWindows::new(start..end, descending);
    let mut out: Vec<Ticket> = Vec::with_capacity(limit);
    while out.len() < limit
        && let Some((cover, ids)) = walk.next_window()
    {
        let markers = match &scope {
            Some(scope) => format!("{scope} & ({cover})"),
            None => cover,
        };
        let ids = matching_ids(&mut c.0, &terms, Some(&markers), f.search_internal, ids, i64::MAX).await?;
        let rows = list_among(c, f, ids, limit - out.len()).await?;
        out.extend(rows);
        walk.resize((limit - out.len()) as i64, out.len() as i64);
    }
    Ok(out)
}

/// Tickets: the newest `RANKED_MATCHES` matches. If there are few matches in all they are read at once;
/// otherwise the search walks back from the newest ticket ids in windows sized by the matches seen so far
/// (each answered by the GIN index from the block markers, so only rows of matches inside the window are
/// read). They are ranked, with the text of the best `limit` for their excerpts. An end user's
/// search is narrowed by the customer's marker instead.
async fn search_tickets(c: &mut DbConn, r: &SearchRequest) -> Result<Vec<SearchRow>> {
    let terms = expanded_terms(c, &r.terms).await?;
    // Matches are found with the last word expanded through the vocabulary (what GIN answers fastest), but
    // ranked by the words as typed, the last one a prefix: ts_rank's cost grows with the query's words, and
    // ranking hundreds of documents against an expansion of dozens of words cost ~13 µs a document, a
    // tenth of that as typed.
    let ranked_by = ts_terms(&r.terms);
    let staff = r.customer_scope.is_none();
    let candidates = format!(
        "SELECT ticket_id, ts_rank(doc, to_tsquery('ferrodesk_search', $3))::float8 AS score FROM ticket_search \
         WHERE doc @@ (to_tsquery('ferrodesk_search', $1) && $2::tsquery){} \
         ORDER BY ticket_id DESC LIMIT {RANKED_MATCHES}",
        visible(staff)
    );
    let mut matches: Vec<(i64, f64)> = Vec::new();
    if let Some(customer) = r.customer_scope {
        matches = sqlx::query_as(sqlx::AssertSqlSafe(candidates.clone()))
            .bind(&terms)
            .bind(format!("'~u{customer}'"))
            .bind(&ranked_by)
            .fetch_all(&mut *c)
            .await
            .map_err(map_err)?;
    } else {
        let newest: Option<i64> = sqlx::query_scalar("SELECT max(ticket_id) FROM ticket_search")
            .fetch_one(&mut *c)
            .await
            .map_err(map_err)?;
        let top = newest.map_or(0, |id| id + 1);
        // Few matches in all: reading them all is one index scan, where windows would repeat it. The
        // planner's estimate only decides whether to try; the LIMIT bounds what a wrong guess costs.
        let mut walk = IdWindows::new(0..top, true);
        if expected_matches(c, &terms, None).await? <= FEW_MATCHES {
            let all: Vec<(i64, f64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT ticket_id, ts_rank(doc, to_tsquery('ferrodesk_search', $2))::float8 AS score FROM ticket_search \
                 WHERE doc @@ to_tsquery('ferrodesk_search', $1) LIMIT {}",
                FEW_MATCHES + 1
            )))
            .bind(&terms)
            .bind(&ranked_by)
            .fetch_all(&mut *c)
            .await
            .map_err(map_err)?;
            if all.len() as i64 <= FEW_MATCHES {
                matches = all;
                matches.sort_by_key(|m| std::cmp::Reverse(m.0));
                walk = IdWindows::new(0..0, true);
            }
        }
        while matches.len() < RANKED_MATCHES as usize
            && let Some((cover, _)) = walk.next_window()
        {
            let found: Vec<(i64, f64)> = sqlx::query_as(sqlx::AssertSqlSafe(candidates.clone()))
                .bind(&terms)
                .bind(cover)
                .bind(&ranked_by)
                .fetch_all(&mut *c)
                .await
                .map_err(map_err)?;
            matches.extend(found);
            walk.resize(RANKED_MATCHES - matches.len() as i64, matches.len() as i64);
        }
        matches.truncate(RANKED_MATCHES as usize);
    }
    matches.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
    matches.truncate(r.limit as usize);
    if matches.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = matches.iter().map(|m| m.0).collect();
    let notes = if staff {
        " || coalesce(E'\\n' || (SELECT string_agg(message, E'\\n' ORDER BY id) FROM replies \
           WHERE ticket_id = t.id AND internal), '')"
    } else {
        ""
    };
    let rows: Vec<(i64, String, String, f64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT t.id, t.title, substr(t.title || coalesce(E'\\n' || \
           (SELECT string_agg(message, E'\\n' ORDER BY id) FROM replies WHERE ticket_id = t.id AND NOT internal), '')\
           {notes}, 1, {TEXT_CHARS}) AS text, 0::float8 AS score \
         FROM tickets t WHERE t.id = ANY($1)"
    )))
    .bind(&ids)
    .fetch_all(&mut *c)
    .await
    .map_err(map_err)?;
    let mut hits: Vec<SearchRow> = store_sql::search_rows(SearchKind::Ticket, rows).collect();
    // In rank order, with the rank found above.
    let mut ranked = Vec::with_capacity(hits.len());
    for (id, score) in matches {
        if let Some(hit) = hits.iter().position(|h| h.id == id).map(|i| hits.swap_remove(i)) {
            ranked.push(SearchRow { score, ..hit });
        }
    }
    Ok(ranked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_quoted_and_the_last_is_a_prefix() {
        let terms = |t: &[&str]| t.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(ts_terms(&terms(&["paper", "pri"])), "'paper' & 'pri':*");
        assert_eq!(
            ts_terms(&terms(&["printer", "pa"])),
            "'printer' & 'pa'",
            "too short to be a prefix"
        );
        assert_eq!(
            ts_terms(&terms(&["it's", "a\\b", "!x|y&z"])),
            "'it''s' & 'a\\\\b' & '!x|y&z':*"
        );
    }
}
