//! Customer backends through the API (SPEC §6, §9 "customer backends"): a brand configured for web calls
//! against a real web-call server on 127.0.0.1 (`webcall_server.rs`), what ferrodesk posts for each
//! search variable, load and update, every way the backend's answer can go wrong (502
//! `backend_unavailable`, promptly), the connection test, and the `local` backend over ferrodesk's own
//! customers.
use crate::webcall_server::{INT_PASS, INT_USER, Mode, WebcallServer, webcall_desk};
use crate::*;
use domain::account::{Account, AccountContact, AccountField, SEARCH_CRITERIA};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A ferrodesk allowed to call loopback addresses, a web-call server, and a brand it serves.
async fn served() -> (TestServer, WebcallServer, Brand) {
    let desk = webcall_desk().await;
    let backend = WebcallServer::start().await;
    let brand = backend.brand(&desk).await;
    (desk, backend, brand)
}

/// A 502 `backend_unavailable` whose detail says what went wrong and never shows the integration password.
#[track_caller]
fn unavailable<T: std::fmt::Debug>(result: Result<T, ferrodesk_client::Error>, says: &str) -> String {
    let p = assert_code(result, ErrorCode::BackendUnavailable);
    let detail = p.detail.unwrap_or_default();
    assert!(detail.contains(says), "{detail:?} should say {says:?}");
    assert!(!detail.contains(INT_PASS), "{detail}");
    detail
}

fn raw(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("json")
}

mod accounts;
mod bad_answers;
mod docs;
mod local;
mod search;
mod settings;
