//! The requests the load phases send, each a closure that builds one request from the run's random numbers.
use super::*;

pub(super) fn create_request(
    base: &str,
    token: &str,
    fixture: Fixture,
    vocab: Arc<Vocabulary>,
) -> impl Fn(&reqwest::Client, &mut Rng) -> (reqwest::RequestBuilder, u8) + Clone + Send + Sync + 'static {
    let url = format!("{base}/api/v1/tickets");
    let token = token.to_owned();
    move |http, rng| {
        let mut words = Vec::new();
        let mut title = String::new();
        let mut message = String::new();
        vocab.title(rng, &mut title, &mut words);
        vocab.message(rng, &mut message, &mut words);
        let body = NewTicket {
            did: fixture.department,
            title,
            message,
            user_id: Some(fixture.end_user),
            ..NewTicket::default()
        };
        (http.post(&url).bearer_auth(&token).json(&body), 0)
    }
}

/// `ids` are the tickets to pick from; a single negative entry `-n` means "any id in 1..=n".
pub(super) fn get_request(
    base: &str,
    token: &str,
    ids: Arc<Vec<i64>>,
) -> impl Fn(&reqwest::Client, &mut Rng) -> (reqwest::RequestBuilder, u8) + Send + Sync + 'static {
    let base = base.to_owned();
    let token = token.to_owned();
    move |http, rng| {
        let id = match ids.as_slice() {
            [n] if *n < 0 => 1 + rng.below(n.unsigned_abs()) as i64,
            ids => ids[rng.below(ids.len() as u64) as usize],
        };
        (http.get(format!("{base}/api/v1/tickets/{id}")).bearer_auth(&token), 0)
    }
}

pub(super) fn list_request(
    base: &str,
    token: &str,
) -> impl Fn(&reqwest::Client, &mut Rng) -> (reqwest::RequestBuilder, u8) + Send + Sync + 'static {
    let url = format!("{base}/api/v1/tickets?limit=50");
    let token = token.to_owned();
    move |http, _rng| (http.get(&url).bearer_auth(&token), 0)
}

/// A `q=` query from the mix on `path` (`/api/v1/search` or `/api/v1/tickets`), with the one other query pair
/// that endpoint needs.
pub(super) fn q_request(
    base: &str,
    path: &str,
    other: (&'static str, &'static str),
    token: &str,
    queries: Arc<QueryMix>,
) -> impl Fn(&reqwest::Client, &mut Rng) -> (reqwest::RequestBuilder, u8) + Send + Sync + 'static {
    let url = format!("{base}{path}");
    let token = token.to_owned();
    move |http, rng| {
        let (q, band) = queries.pick(rng);
        let rb = http.get(&url).query(&[("q", q.as_str()), other]).bearer_auth(&token);
        (rb, band)
    }
}

/// Full-text search of tickets.
pub(super) fn search_request(
    base: &str,
    token: &str,
    queries: Arc<QueryMix>,
) -> impl Fn(&reqwest::Client, &mut Rng) -> (reqwest::RequestBuilder, u8) + Send + Sync + 'static {
    q_request(base, "/api/v1/search", ("types", "tickets"), token, queries)
}

/// The ticket list's `q=` filter, a page of 50.
pub(super) fn list_q_request(
    base: &str,
    token: &str,
    queries: Arc<QueryMix>,
) -> impl Fn(&reqwest::Client, &mut Rng) -> (reqwest::RequestBuilder, u8) + Send + Sync + 'static {
    q_request(base, "/api/v1/tickets", ("limit", "50"), token, queries)
}
