//! Ranked full-text search over tickets, customers and end users (SPEC §3.3).
use crate::{App, AppError, AppResult};
use api_types::{SearchHit, SearchQuery, SearchResults};
use domain::{Principal, excerpt, search_terms};
use store::{MARK_END, MARK_START, SearchKind, SearchRequest};

/// Words in a hit's excerpt.
const EXCERPT_WORDS: usize = 24;

/// HTML-escapes a snippet and turns the store's match markers into `<mark>` tags.
pub(crate) fn highlight(snippet: &str) -> String {
    let mut out = String::with_capacity(snippet.len() + 16);
    for c in snippet.chars() {
        match c {
            MARK_START => out.push_str("<mark>"),
            MARK_END => out.push_str("</mark>"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl App {
    /// End users search only their own customer's tickets (never internal notes); staff search everything.
    pub async fn search(&self, p: &Principal, q: &SearchQuery) -> AppResult<SearchResults> {
        let terms = search_terms(&q.q);
        if terms.is_empty() {
            return Err(AppError::field("q", "must contain at least one word"));
        }
        let mut kinds = Vec::new();
        for t in q.types.as_deref().unwrap_or("tickets,customers,end_users").split(',') {
            let Some(kind) = SearchKind::parse(t.trim()) else {
                return Err(AppError::field(
                    "types",
                    "must be a comma list of tickets, customers, end_users",
                ));
            };
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        if !p.is_staff() {
            kinds.retain(|k| *k == SearchKind::Ticket);
        }
        let limit = crate::paging::checked_limit(q.limit, 20, 100)?;
        let request = SearchRequest {
            terms,
            kinds,
            limit,
            customer_scope: p.customer_scope(),
        };
        let rows = self.store().read().await?.search(&request).await?;
        let mut data: Vec<SearchHit> = rows
            .into_iter()
            .map(|r| SearchHit {
                kind: r.kind.as_str().into(),
                id: r.id,
                title: r.title,
                highlight: highlight(&excerpt(&r.text, &request.terms, EXCERPT_WORDS)),
                score: r.score,
            })
            .collect();
        data.sort_by(|a, b| b.score.total_cmp(&a.score));
        Ok(SearchResults { data })
    }
}

#[cfg(test)]
mod tests {
    use super::highlight;

    #[test]
    fn escapes_then_marks() {
        assert_eq!(
            highlight("a <b> \u{1}word\u{2} & 'q'"),
            "a &lt;b&gt; <mark>word</mark> &amp; &#39;q&#39;"
        );
    }
}
