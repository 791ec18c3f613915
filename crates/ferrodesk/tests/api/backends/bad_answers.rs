//! Every way a web-call answer can go wrong: 502 `backend_unavailable`, promptly, never expanded or read past its bound.
use super::*;

/// Both reading calls fail with 502 `backend_unavailable` saying `search_says` / `load_says`, within
/// seconds, and the next good answer is read again.
async fn bad_answer(mode: Mode, search_says: &str, load_says: &str) {
    let (desk, backend, brand) = served().await;
    backend.set_mode(mode);
    let started = Instant::now();
    let search = unavailable(
        desk.admin.search_accounts(brand.id, &[("Userkey", "jdoe")]).await,
        search_says,
    );
    assert!(search.starts_with("the search web call failed: "), "{search}");
    let load = unavailable(desk.admin.account(brand.id, "jdoe").await, load_says);
    assert!(load.starts_with("the load web call failed: "), "{load}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{mode:?} took {:?}",
        started.elapsed()
    );
    // The server stays well: the next good answer is read.
    backend.set_mode(Mode::Normal);
    desk.admin.account(brand.id, "jdoe").await.expect("a good answer again");
}

#[tokio::test]
async fn a_doctype_with_nested_entities_is_refused_unexpanded() {
    bad_answer(Mode::Doctype, "DOCTYPE", "DOCTYPE").await;
}

#[tokio::test]
async fn an_external_entity_is_never_read() {
    bad_answer(Mode::ExternalEntity, "DOCTYPE", "DOCTYPE").await;
}

#[tokio::test]
async fn a_ten_megabyte_answer_is_refused() {
    bad_answer(Mode::Huge, "larger than", "larger than").await;
}

#[tokio::test]
async fn a_ten_megabyte_answer_without_a_length_is_refused() {
    bad_answer(Mode::HugeChunked, "larger than", "larger than").await;
}

#[tokio::test]
async fn an_answer_that_is_not_utf8_is_refused() {
    bad_answer(Mode::NotUtf8, "not UTF-8", "not UTF-8").await;
}

#[tokio::test]
async fn a_search_answer_missing_its_elements_is_refused() {
    let (desk, backend, brand) = served().await;
    backend.set_mode(Mode::MissingElements);
    unavailable(
        desk.admin.search_accounts(brand.id, &[("Userkey", "jdoe")]).await,
        "no <users> element",
    );
}

/// `<userdata/>` is "no such account" (404); a `<userdata>` with contacts and fields but no `<user>` is a
/// broken answer (502).
#[tokio::test]
async fn a_load_answer_missing_its_user_is_refused() {
    let (desk, backend, brand) = served().await;
    backend.set_mode(Mode::MissingElements);
    unavailable(desk.admin.account(brand.id, "jdoe").await, "<userdata> has no <user>");
}

#[tokio::test]
async fn an_answer_missing_the_userkey_is_refused() {
    bad_answer(Mode::MissingAttributes, "userkey", "userkey").await;
}

#[tokio::test]
async fn an_http_error_is_refused_whatever_its_body() {
    bad_answer(Mode::Status500, "HTTP 500", "HTTP 500").await;
}

#[tokio::test]
async fn malformed_xml_is_refused() {
    bad_answer(Mode::Malformed, "malformed XML", "malformed XML").await;
}

#[tokio::test]
async fn a_backend_that_does_not_answer_is_given_up_on_at_the_brands_timeout() {
    let desk = webcall_desk().await;
    let backend = WebcallServer::start().await;
    let brand = backend
        .brand_with(
            &desk,
            WebcallInput {
                timeout_ms: Some(500),
                ..backend.settings()
            },
        )
        .await;
    backend.set_mode(Mode::Silent);
    for call in ["search", "load"] {
        let started = Instant::now();
        let result = match call {
            "search" => desk
                .admin
                .search_accounts(brand.id, &[("Userkey", "jdoe")])
                .await
                .map(|_| ()),
            _ => desk.admin.account(brand.id, "jdoe").await.map(|_| ()),
        };
        unavailable(result, "no answer within 500 ms");
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(450) && took < Duration::from_secs(2),
            "{call} took {took:?}"
        );
    }
}
