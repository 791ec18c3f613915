//! Keyword search of customers and end users: how terms become a query over the index expression of
//! migration 0011 ([`PersonMatch`]), and lists in id order, whose matches are found in the GIN index in
//! windows of ids ([`crate::windows`]) so that only the rows of matches inside each window are read.
//!
//! Asked for `ORDER BY id DESC LIMIT 50` with `search @@ …`, the planner either gathers every match from
//! the index and sorts them (a word in 1% of a million customers: 10,000 row reads) or walks the primary
//! key testing each row (a rare word: most of the table). Windows read about a page of matches for any
//! word.
use crate::dialect::{FEW_MATCHES, planned_rows, quoted, ts_terms};
use crate::windows::IdWindows;
use crate::{PgConn, map_err};
use domain::AttributeEntity;
use sqlx::PgConnection as DbConn;
use std::ops::DerefMut;
use store::{PersonColumn, PersonField, PersonPage, PersonQuery, Result};
use store_sql::{Connection as _, QueryBuilder, RowMap, Value};

/// ASCII punctuation and the common typographic marks: the search vectors of customers and end users are
/// made from their text with each of these as a space (`person_search_text`, migration 0011), so that words
/// are cut as SQLite cuts them.
pub(crate) const PERSON_PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~‘’‚“”„«»‹›–—…·•";

/// Keyword terms of a customer or end-user search as their search vectors hold them: punctuation inside a
/// term becomes a space (`ada.lovelace@example.com` is then the phrase of its four words).
pub(crate) fn person_terms(terms: &[String]) -> Vec<String> {
    terms
        .iter()
        .map(|t| {
            t.chars()
                .map(|c| if PERSON_PUNCTUATION.contains(c) { ' ' } else { c })
                .collect()
        })
        .collect()
}

/// Keyword terms of a customer or end-user search, as SQL over the index expression of their table
/// (`person_search_index(e.search, e.id)`, migration 0011): every term whole, the last one also as the
/// beginning of longer words through the index's prefix lexemes (`person_prefix_query`).
pub(crate) struct PersonMatch {
    /// The terms matched whole, as `to_tsquery` input; empty when there are none.
    whole: String,
    /// The last term when it matches as a prefix, with its `to_tsquery` form (`'…':*`) for words the
    /// prefix lexemes do not cover.
    prefix: Option<(String, String)>,
}

impl PersonMatch {
    pub(crate) fn new(terms: &[String]) -> Self {
        let terms = person_terms(terms);
        if !domain::last_term_is_prefix(&terms) {
            return Self {
                whole: ts_terms(&terms),
                prefix: None,
            };
        }
        let Some((last, others)) = terms.split_last() else {
            return Self {
                whole: String::new(),
                prefix: None,
            };
        };
        Self {
            whole: others.iter().map(|t| quoted(t)).collect::<Vec<_>>().join(" & "),
            prefix: Some((last.clone(), quoted(last) + ":*")),
        }
    }

    /// `<index expression> @@ <query>` over the row `alias`, its parameters numbered from `$first`, and
    /// narrowed by the marker lexemes of the parameter `$markers` when given. [`PersonMatch::params`]
    /// are the values, in order.
    pub(crate) fn sql(&self, alias: &str, first: usize, markers: Option<usize>) -> String {
        format!(
            "person_search_index({alias}.search, {alias}.id) @@ {}",
            self.query_sql(first, markers)
        )
    }

    /// The `tsquery` of [`PersonMatch::sql`] alone.
    pub(crate) fn query_sql(&self, first: usize, markers: Option<usize>) -> String {
        let mut parts = Vec::new();
        let mut n = first;
        if !self.whole.is_empty() {
            parts.push(format!("to_tsquery('ferrodesk_search', ${n})"));
            n += 1;
        }
        if self.prefix.is_some() {
            parts.push(format!("person_prefix_query(${n}, ${})", n + 1));
        }
        if let Some(m) = markers {
            parts.push(format!("${m}::tsquery"));
        }
        if parts.is_empty() {
            // No term at all: an empty query, which matches nothing (a list without terms never asks).
            return "''::tsquery".to_owned();
        }
        format!("({})", parts.join(" && "))
    }

    /// The values of the parameters of [`PersonMatch::sql`], without the markers.
    pub(crate) fn params(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.whole.is_empty() {
            out.push(self.whole.clone());
        }
        if let Some((word, fallback)) = &self.prefix {
            out.push(word.clone());
            out.push(fallback.clone());
        }
        out
    }

    /// The condition, appended to `q` (`AND …`) with its values bound.
    pub(crate) fn push(&self, q: &mut QueryBuilder, alias: &str) {
        let sql = format!(" AND {}", self.sql(alias, q.next_param(), None));
        q.push_numbered(&sql, self.params().into_iter().map(Value::from));
    }
}

/// The most rows (offset and page together) a windowed list reads; a deeper page is left to the one query
/// of the list, which counts through every match anyway.
const MOST_ROWS: u64 = 5_000;

/// The fewest match ids one query reads the rows of: a window holding hundreds of matches of a common word
/// costs about the rows of a page.
const CHUNK: usize = 100;

/// The list `query` by windows when it has keyword terms and is in id order (`None` otherwise: one
/// customer's end users, or one external id, are few, and other orders need every match).
pub(crate) async fn person_list_matching<C, T>(
    c: &mut PgConn<C>,
    query: &PersonQuery,
    cols: &str,
    map: RowMap<T>,
) -> Result<Option<Vec<T>>>
where
    C: DerefMut<Target = DbConn> + Send,
    T: Send,
{
    let id_order = matches!(query.order.field, PersonField::Column(PersonColumn::Id));
    if query.terms.is_empty() || !id_order || query.customer_id.is_some() || query.external_id.is_some() {
        return Ok(None);
    }
    let (skip, limit, after) = match &query.page {
        PersonPage::Keyset(page) => (0, u64::from(page.limit), page.after.as_ref().map(|a| a.id)),
        PersonPage::Offset { offset, limit } => (*offset, u64::from(*limit), None),
    };
    let Ok(wanted) = usize::try_from(skip.saturating_add(limit)) else {
        return Ok(None);
    };
    if wanted as u64 > MOST_ROWS {
        return Ok(None);
    }
    let skip = skip as usize;
    let table = match query.entity {
        AttributeEntity::Customer => "customers",
        AttributeEntity::EndUser => "end_users",
    };
    let terms = PersonMatch::new(&query.terms);
    let newest: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT max(id) FROM {table}")))
        .fetch_one(&mut *c.0)
        .await
        .map_err(map_err)?;
    let Some(newest) = newest else {
        return Ok(Some(Vec::new()));
    };
    let descending = query.order.descending;
    // The ids still to be listed.
    let ids = match (after, descending) {
        (Some(after), true) => 0..after.min(newest + 1),
        (Some(after), false) => after.saturating_add(1)..newest + 1,
        (None, _) => 0..newest + 1,
    };
    let mut out: Vec<T> = Vec::with_capacity(wanted.min(500));
    // Few matches in all: one index scan reads them, where windows would repeat it. The estimate only
    // decides whether to try; the limit bounds what a wrong guess costs.
    if expected_matches(&mut c.0, table, &terms).await? <= FEW_MATCHES {
        let mut all = matching_ids(&mut c.0, table, &terms, None, FEW_MATCHES + 1).await?;
        if all.len() as i64 <= FEW_MATCHES {
            all.retain(|id| ids.contains(id));
            read_among(c, query, cols, map, all, wanted, &mut out).await?;
            return Ok(Some(out.split_off(skip.min(out.len()))));
        }
    }
    let mut walk = IdWindows::new(ids, descending);
    while out.len() < wanted
        && let Some((cover, ids)) = walk.next_window()
    {
        let mut found = matching_ids(&mut c.0, table, &terms, Some(&cover), i64::MAX).await?;
        found.retain(|id| ids.contains(id));
        read_among(c, query, cols, map, found, wanted, &mut out).await?;
        walk.resize((wanted - out.len()) as i64, out.len() as i64);
    }
    Ok(Some(out.split_off(skip.min(out.len()))))
}

/// How many rows of `table` the planner expects to match `terms`, from the statistics of its search index.
async fn expected_matches(c: &mut DbConn, table: &str, terms: &PersonMatch) -> Result<i64> {
    let sql = format!(
        "EXPLAIN (FORMAT JSON) SELECT 1 FROM {table} e WHERE {}",
        terms.sql("e", 1, None)
    );
    let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
    for p in terms.params() {
        query = query.bind(p);
    }
    let plan: serde_json::Value = query.fetch_one(c).await.map_err(map_err)?;
    Ok(planned_rows(&plan))
}

/// The ids of rows of `table` matching `terms` (and one of the marker lexemes `markers`, when given), in no
/// order, at most `limit`; deleted rows included. Asking nothing but the index expression keeps the
/// planner on the GIN index.
async fn matching_ids(
    c: &mut DbConn,
    table: &str,
    terms: &PersonMatch,
    markers: Option<&str>,
    limit: i64,
) -> Result<Vec<i64>> {
    let params = terms.params();
    let n = params.len();
    let markers_param = markers.map(|_| n + 1);
    let sql = format!(
        "SELECT id FROM {table} e WHERE {} LIMIT ${}",
        terms.sql("e", 1, markers_param),
        n + 1 + usize::from(markers.is_some())
    );
    let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
    for p in params {
        query = query.bind(p);
    }
    if let Some(markers) = markers {
        query = query.bind(markers.to_owned());
    }
    query.bind(limit).fetch_all(c).await.map_err(map_err)
}

/// Appends to `out` the rows of the list among `ids` (matches of its terms), in the list's order, until it
/// holds `wanted`. The ids are read a chunk at a time, sized by what is still wanted.
async fn read_among<C, T>(
    c: &mut PgConn<C>,
    query: &PersonQuery,
    cols: &str,
    map: RowMap<T>,
    mut ids: Vec<i64>,
    wanted: usize,
    out: &mut Vec<T>,
) -> Result<()>
where
    C: DerefMut<Target = DbConn> + Send,
    T: Send,
{
    if query.order.descending {
        ids.sort_unstable_by(|a, b| b.cmp(a));
    } else {
        ids.sort_unstable();
    }
    let mut rest = ids.as_slice();
    while !rest.is_empty() && out.len() < wanted {
        let needed = wanted - out.len();
        let (chunk, after) = rest.split_at(rest.len().min(CHUNK.max(2 * needed)));
        rest = after;
        let limit = u32::try_from(needed).unwrap_or(u32::MAX);
        let (sql, params) = store_sql::person_query_among::<PgConn<C>>(query, cols, chunk, limit).build();
        out.extend(c.fetch_all(sql, &params, map).await?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn person_terms_cut_words_as_the_migration_does() {
        let migration = include_str!("../migrations/0011_person_search_blocks.sql");
        let sql_literal = PERSON_PUNCTUATION.replace('\'', "''");
        assert_eq!(
            migration.matches(&format!("'{sql_literal}'")).count(),
            2,
            "person_search_text translates exactly PERSON_PUNCTUATION"
        );
        let terms = |t: &[&str]| t.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            person_terms(&terms(&["ada.lovelace@example.com", "o'brien", "café"])),
            terms(&["ada lovelace example com", "o brien", "café"])
        );
    }
}
