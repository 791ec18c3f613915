//! What SQLite does differently: no row locks (the single writer serialises), FTS5 for search.
use crate::conn;
use crate::queue::{RowId, WriteQueue};
use crate::vocabulary;
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
            in_columns(columns, &format!("{}{star}", quoted(t)))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// An FTS5 query that matches every term as a whole word (none as a prefix), in `columns` when given.
fn exact_query(terms: &[String], columns: Option<&str>) -> String {
    terms
        .iter()
        .map(|t| in_columns(columns, &quoted(t)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `word` as an FTS5 string: matched literally, never as query syntax.
fn quoted(word: &str) -> String {
    format!("\"{}\"", word.replace('"', "\"\""))
}

fn in_columns(columns: Option<&str>, expression: &str) -> String {
    match columns {
        Some(c) => format!("{{{c}}} : {expression}"),
        None => expression.to_owned(),
    }
}

/// Pushes the argument of a `MATCH` on `ticket_fts` for `terms`: [`fts_query`], except that a last word
/// which matches as a prefix is expanded through the vocabulary into the words it begins,
/// `… AND ("print" OR "printer" OR "printers")`, by a subquery SQLite runs once (vocabulary.rs: FTS5 reads
/// every match of a prefix query before its first). A prefix that begins more than
/// [`vocabulary::MAX_EXPANSION`] words keeps FTS5's prefix query.
pub(crate) fn push_ticket_match(q: &mut QueryBuilder, terms: &[String], columns: Option<&str>) {
    let Some(vocabulary::Expansion { last, others, key }) = vocabulary::expansion(terms) else {
        q.bind(fts_query(terms, columns));
        return;
    };
    let mut open: String = others
        .iter()
        .map(|t| in_columns(columns, &quoted(t)) + " AND ")
        .collect();
    if let Some(c) = columns {
        open.push_str(&format!("{{{c}}} : "));
    }
    open.push('(');
    open.push_str(&quoted(last));
    let most = vocabulary::MAX_EXPANSION;
    q.push(&format!("(SELECT CASE WHEN count(*) > {most} THEN "))
        .bind(fts_query(terms, columns))
        .push(" ELSE ")
        .bind(open)
        .push(
            " || coalesce(group_concat(' OR \"' || replace(term, '\"', '\"\"') || '\"', ''), '') || ')' END \
             FROM (SELECT term FROM ticket_terms WHERE key < ",
        )
        .bind(vocabulary::key_upper_bound(&key))
        .push(" AND key >= ")
        .bind(key)
        .push(&format!(" LIMIT {}))", most + 1));
}

pub(crate) fn push_ticket_terms(q: &mut QueryBuilder, terms: &[String], internal: bool) {
    let columns = if internal { None } else { Some("title body") };
    q.push(" AND t.id IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ");
    push_ticket_match(q, terms, columns);
    q.push(")");
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
            q.push(" AND ticket_fts MATCH ");
            push_ticket_match(q, &f.terms, columns);
        },
    )
    .build();
    conn::fetch_all(c, sql.as_str(), &params, TICKET_ROW)
}

/// How many of the newest matches are ranked. Ranking costs a lookup per match, so ranking every match of
/// a common word among millions of messages would take seconds; the best of the newest matches is what a
/// help desk wants to see anyway (documented in docs/architecture.md).
pub(crate) const RANKED_MATCHES: i64 = 200;

/// Longest text handed back per hit for its excerpt.
const TEXT_CHARS: i64 = 65_536;

/// What one ranked search reads: its FTS5 table, its bm25 column weights, the table of its records, their
/// title column, and an expression of a hit's text (excerpts are cut by the caller).
struct Ranked<'a> {
    fts: &'a str,
    weights: &'a str,
    table: &'a str,
    title: &'a str,
    text: &'a str,
}

/// Rows of the exact words' ranking query read at most: with a customer scope the newest matches can lie
/// far apart, and every other customer's match between them would be ranked for nothing.
const RANKED_EXACT_ROWS: i64 = 5 * RANKED_MATCHES;

impl Ranked<'_> {
    /// The newest `RANKED_MATCHES` matches of what `matching` pushes (the `MATCH` argument) that pass what
    /// `filter` pushes (`AND …` on the record `e`), ranked with bm25, the best `limit` of them.
    ///
    /// With `exact` (the `MATCH` argument of the query's words taken whole, when its last word was
    /// expanded into the words it begins), bm25 scores the matches by those words only, on the rows of the
    /// matches' range: bm25 first counts the rows of each word of its query, which for a prefix that begins
    /// sixty words, common ones among them, read over a million rows (65 ms at 1,000,000 tickets). Matches of
    /// the completions alone score 0 and follow, newest first.
    fn query(
        &self,
        limit: i64,
        matching: impl FnOnce(&mut QueryBuilder),
        filter: impl FnOnce(&mut QueryBuilder),
        exact: Option<String>,
    ) -> QueryBuilder {
        let Ranked {
            fts,
            weights,
            table,
            title,
            text,
        } = self;
        let mut q = match exact {
            None => QueryBuilder::new(format!(
                "WITH best AS (SELECT id, score FROM (\
                     SELECT {fts}.rowid AS id, -bm25({fts}{weights}) AS score FROM {fts} JOIN {table} e ON e.id = {fts}.rowid \
                     WHERE {fts} MATCH "
            )),
            Some(_) => QueryBuilder::new(format!(
                "WITH newest AS (SELECT {fts}.rowid AS id FROM {fts} JOIN {table} e ON e.id = {fts}.rowid \
                 WHERE {fts} MATCH "
            )),
        };
        matching(&mut q);
        q.push(" ");
        filter(&mut q);
        match exact {
            None => {
                q.push(&format!(
                    " ORDER BY {fts}.rowid DESC LIMIT {RANKED_MATCHES}) ORDER BY score DESC, id DESC LIMIT "
                ))
                .bind(limit);
            }
            Some(exact) => {
                q.push(&format!(
                    " ORDER BY {fts}.rowid DESC LIMIT {RANKED_MATCHES}), \
                     scored AS (SELECT rowid AS id, -bm25({fts}{weights}) AS score FROM {fts} WHERE {fts} MATCH "
                ))
                .bind(exact)
                .push(&format!(
                    " AND rowid >= (SELECT min(id) FROM newest) AND rowid <= (SELECT max(id) FROM newest) \
                     ORDER BY rowid DESC LIMIT {RANKED_EXACT_ROWS}), \
                     best AS (SELECT newest.id AS id, coalesce(scored.score, 0.0) AS score \
                     FROM newest LEFT JOIN scored ON scored.id = newest.id ORDER BY score DESC, id DESC LIMIT "
                ))
                .bind(limit);
            }
        }
        q.push(&format!(
            ") SELECT e.id, e.{title} AS title, substr({text}, 1, {TEXT_CHARS}) AS text, best.score \
             FROM best JOIN {fts} ON {fts}.rowid = best.id JOIN {table} e ON e.id = best.id \
             ORDER BY best.score DESC, e.id DESC"
        ));
        q
    }
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

/// The FTS5 table of customers' or end users' search documents (rowid = the record's id).
pub(crate) fn person_fts(entity: domain::AttributeEntity) -> &'static str {
    match entity {
        domain::AttributeEntity::Customer => "customer_fts",
        domain::AttributeEntity::EndUser => "end_user_fts",
    }
}

/// Narrows a customer or end-user list (`… e`) to rows whose search document matches every term: on the
/// FTS5 table the list reads (`streaming`: FTS5 yields matches in rowid order, so a page stops early), or
/// by the set of matching ids.
pub(crate) fn push_person_terms(
    q: &mut QueryBuilder,
    entity: domain::AttributeEntity,
    terms: &[String],
    streaming: bool,
) {
    let fts = person_fts(entity);
    if streaming {
        q.push(&format!(" AND {fts} MATCH ")).bind(fts_query(terms, None));
    } else {
        q.push(&format!(" AND e.id IN (SELECT rowid FROM {fts} WHERE {fts} MATCH "))
            .bind(fts_query(terms, None))
            .push(")");
    }
}

pub(crate) fn search(c: &Connection, r: &SearchRequest) -> Result<Vec<SearchRow>> {
    let mut out = Vec::new();
    let person = |fts: &str| format!("{fts}.name || ' ' || {fts}.email || ' ' || {fts}.phone");
    let limit = i64::from(r.limit);
    for kind in &r.kinds {
        let query = match kind {
            SearchKind::Ticket => {
                let (columns, text) = match r.customer_scope {
                    Some(_) => (Some("title body"), "ticket_fts.title || char(10) || ticket_fts.body"),
                    None => (
                        None,
                        "ticket_fts.title || char(10) || ticket_fts.body || char(10) || ticket_fts.notes",
                    ),
                };
                let tickets = Ranked {
                    fts: "ticket_fts",
                    weights: ", 4.0, 1.0, 1.0",
                    table: "tickets",
                    title: "title",
                    text,
                };
                // The words whole when the last one is expanded into the words it begins.
                let exact = vocabulary::expansion(&r.terms).map(|_| exact_query(&r.terms, columns));
                tickets.query(
                    limit,
                    |q| push_ticket_match(q, &r.terms, columns),
                    |q| {
                        if let Some(customer) = r.customer_scope {
                            q.push("AND e.customer_id = ").bind(customer);
                        }
                    },
                    exact,
                )
            }
            SearchKind::Customer => {
                let text = format!(
                    "{} || ' ' || customer_fts.city || ' ' || customer_fts.attributes",
                    person("customer_fts")
                );
                let customers = Ranked {
                    fts: "customer_fts",
                    weights: "",
                    table: "customers",
                    title: "name",
                    text: &text,
                };
                customers.query(
                    limit,
                    |q| {
                        q.bind(fts_query(&r.terms, None));
                    },
                    |q| {
                        q.push("AND e.deleted_at IS NULL");
                    },
                    None,
                )
            }
            SearchKind::EndUser => {
                let text = format!("{} || ' ' || end_user_fts.attributes", person("end_user_fts"));
                let end_users = Ranked {
                    fts: "end_user_fts",
                    weights: "",
                    table: "end_users",
                    title: "name",
                    text: &text,
                };
                end_users.query(
                    limit,
                    |q| {
                        q.bind(fts_query(&r.terms, None));
                    },
                    |q| {
                        q.push(LIVE_END_USER);
                    },
                    None,
                )
            }
        };
        let (sql, params) = query.build();
        let hits = conn::fetch_all(c, sql.as_str(), &params, search_hit)?;
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
