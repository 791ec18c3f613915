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

// ------------------------------------------------------------------------------------------ configuring

#[tokio::test]
async fn the_webcall_backend_needs_valid_settings() {
    let desk = webcall_desk().await;
    let backend = WebcallServer::start().await;
    let brand = desk
        .admin
        .create_brand(&NewBrand {
            name: unique("Brand"),
            ..Default::default()
        })
        .await
        .expect("brand");
    let p = assert_code(
        desk.admin
            .update_brand(
                brand.id,
                &BrandPatch {
                    customer_backend: Some("webcall".into()),
                    ..Default::default()
                },
            )
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["webcall"]);

    for bad in [
        "",
        "not a url",
        "ftp://crm.example/search",
        "javascript:alert(1)",
        "http://",
    ] {
        let p = assert_code(
            desk.admin
                .update_brand(
                    brand.id,
                    &BrandPatch {
                        customer_backend: Some("webcall".into()),
                        webcall: Some(WebcallInput {
                            search_url: bad.into(),
                            ..backend.settings()
                        }),
                        ..Default::default()
                    },
                )
                .await,
            ErrorCode::ValidationFailed,
        );
        assert_eq!(fields(&p), ["webcall.search_url"], "{bad:?}");
    }
    let p = assert_code(
        desk.admin
            .update_brand(
                brand.id,
                &BrandPatch {
                    customer_backend: Some("soap".into()),
                    webcall: Some(WebcallInput {
                        load_url: "mailto:crm@example.com".into(),
                        update_url: Some("//crm.example/update".into()),
                        timeout_ms: Some(0),
                        ..backend.settings()
                    }),
                    ..Default::default()
                },
            )
            .await,
        ErrorCode::ValidationFailed,
    );
    let mut named = fields(&p);
    named.sort();
    assert_eq!(
        named,
        [
            "customer_backend",
            "webcall.load_url",
            "webcall.timeout_ms",
            "webcall.update_url"
        ]
    );
    let unchanged = desk.admin.brand(brand.id).await.expect("brand");
    assert_eq!(
        (unchanged.customer_backend.as_str(), unchanged.webcall),
        ("local", None)
    );
}

#[tokio::test]
async fn the_integration_password_is_masked_everywhere_and_kept_when_masked_or_left_out() {
    let (desk, backend, brand) = served().await;
    let shown: Value = desk
        .admin
        .get(&format!("/api/v1/brands/{}", brand.id))
        .await
        .expect("brand");
    assert_eq!(shown["customer_backend"], "webcall");
    assert_eq!(shown["webcall"]["int_pass"], "********");
    assert_eq!(shown["webcall"]["int_user"], INT_USER);
    assert_eq!(shown["webcall"]["search_url"], backend.url("search"));
    let listed: Value = desk.admin.get("/api/v1/brands").await.expect("brands");
    let agent_view: Value = desk
        .agent()
        .await
        .get(&format!("/api/v1/brands/{}", brand.id))
        .await
        .expect("brand");
    let events: Value = desk
        .admin
        .get_query(
            "/api/v1/events",
            &EventQuery {
                entity: Some("brand".into()),
                entity_id: Some(brand.id),
                ..Default::default()
            },
        )
        .await
        .expect("events");
    assert!(
        events["data"].as_array().is_some_and(|e| e.len() == 2),
        "created and updated: {events}"
    );
    for answer in [&shown, &listed, &agent_view, &events] {
        let text = raw(answer);
        assert!(!text.contains(INT_PASS), "{text}");
    }
    assert!(raw(&events).contains("********"), "{events}");

    // Masked, empty or left out: the stored password stays.
    for kept in [Some("********".to_owned()), Some(String::new()), None] {
        desk.admin
            .update_brand(
                brand.id,
                &BrandPatch {
                    webcall: Some(WebcallInput {
                        int_pass: kept.clone(),
                        timeout_ms: Some(4_000),
                        ..backend.settings()
                    }),
                    ..Default::default()
                },
            )
            .await
            .expect("patch");
        backend.clear_requests();
        desk.admin
            .search_accounts(brand.id, &[("Userkey", "jdoe")])
            .await
            .expect("search");
        assert!(backend.last_request().has_credentials(), "{kept:?}");
    }
    let events: Value = desk
        .admin
        .get_query(
            "/api/v1/events",
            &EventQuery {
                entity: Some("brand".into()),
                entity_id: Some(brand.id),
                ..Default::default()
            },
        )
        .await
        .expect("events");
    assert!(!raw(&events).contains(INT_PASS), "{events}");

    // A new password is used, and a wrong one is the backend's refusal, not a crash.
    desk.admin
        .update_brand(
            brand.id,
            &BrandPatch {
                webcall: Some(WebcallInput {
                    int_pass: Some("not-the-password".into()),
                    ..backend.settings()
                }),
                ..Default::default()
            },
        )
        .await
        .expect("patch");
    let detail = unavailable(
        desk.admin.search_accounts(brand.id, &[("Userkey", "jdoe")]).await,
        "HTTP 401",
    );
    assert!(!detail.contains("not-the-password"), "{detail}");
    assert_eq!(backend.last_request().get("intPass"), Some("not-the-password"));
}

#[tokio::test]
async fn a_loopback_backend_is_refused_unless_private_web_calls_are_allowed() {
    let desk = TestServer::start().await;
    let backend = WebcallServer::start().await;
    let brand = backend.brand(&desk).await;
    unavailable(
        desk.admin.search_accounts(brand.id, &[("Userkey", "jdoe")]).await,
        "loopback address",
    );
    assert!(backend.requests().is_empty(), "nothing reaches the private address");
}

// ------------------------------------------------------------------------------------------ search

/// The criteria as the protocol's document lists them, misspellings included.
const DOCUMENT_CRITERIA: [&str; 19] = [
    "Userkey",
    "FirstName",
    "LastName",
    "AddressOne",
    "AddressTwo",
    "City",
    "Region",
    "PostalCode",
    "Country",
    "PrimaryPhone",
    "SecondayPhone",
    "PrimaryEmail",
    "SecondaryEmail",
    "Fax",
    "Modile",
    "Password",
    "Status",
    "AccountID",
    "CustFields",
];

#[tokio::test]
async fn each_search_variable_is_posted_under_the_documents_name_and_empty_ones_are_not() {
    assert_eq!(SEARCH_CRITERIA, DOCUMENT_CRITERIA);
    let (desk, backend, brand) = served().await;
    for name in DOCUMENT_CRITERIA {
        let value = format!("{name} value, with \\ & = + % ” ü");
        let others_empty: Vec<(&str, &str)> = DOCUMENT_CRITERIA
            .iter()
            .filter(|other| **other != name)
            .map(|other| (*other, ""))
            .collect();
        let mut query = vec![(name, value.as_str())];
        query.extend(others_empty);
        desk.admin
            .search_accounts(brand.id, &query)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let posted = backend.last_request();
        assert!(
            posted.call == "search"
                && posted.has_credentials()
                && posted.content_type == "application/x-www-form-urlencoded"
                && posted.sent() == vec![(name, value.as_str())],
            "{name}: {posted:?}"
        );
    }
    assert_eq!(backend.requests().len(), DOCUMENT_CRITERIA.len());
}

#[tokio::test]
async fn several_criteria_are_posted_together_in_the_documents_order() {
    let (desk, backend, brand) = served().await;
    let found = desk
        .admin
        .search_accounts(
            brand.id,
            &[
                ("Modile", "+1 555 555 0177"),
                ("City", "   "),
                ("LastName", "Doe"),
                ("CustFields", "1\\Gold,7\\yes"),
            ],
        )
        .await
        .expect("search");
    assert_eq!(
        backend.last_request().sent(),
        [
            ("LastName", "Doe"),
            ("Modile", "+1 555 555 0177"),
            ("CustFields", "1\\Gold,7\\yes")
        ]
    );
    let keys: Vec<&str> = found.data.iter().map(|a| a.userkey.as_str()).collect();
    assert_eq!(keys, ["jdoe"]);
}

#[tokio::test]
async fn an_unknown_or_missing_criterion_is_refused_before_any_call() {
    let (desk, backend, brand) = served().await;
    for unknown in ["Mobile", "SecondaryPhone", "userkey", "q"] {
        let p = assert_code(
            desk.admin
                .search_accounts(brand.id, &[("Userkey", "jdoe"), (unknown, "x")])
                .await,
            ErrorCode::ValidationFailed,
        );
        assert_eq!(fields(&p), [unknown]);
    }
    for nothing in [&[][..], &[("Userkey", "")][..], &[("City", "  "), ("Fax", "")][..]] {
        let p = assert_code(
            desk.admin.search_accounts(brand.id, nothing).await,
            ErrorCode::ValidationFailed,
        );
        assert_eq!(fields(&p), ["criteria"], "{nothing:?}");
        assert!(p.errors[0].message.contains("SecondayPhone"), "{p:?}");
    }
    assert!(backend.requests().is_empty(), "{:?}", backend.requests());
    assert_code(
        desk.admin.search_accounts(999_999, &[("Userkey", "jdoe")]).await,
        ErrorCode::NotFound,
    );
}

#[tokio::test]
async fn found_accounts_come_back_decoded_and_no_match_is_an_empty_list() {
    let (desk, backend, brand) = served().await;
    let found: Value = desk
        .admin
        .get_query(
            &format!("/api/v1/brands/{}/accounts", brand.id),
            &[("PrimaryPhone", "555.555.5555")],
        )
        .await
        .expect("search");
    assert_eq!(
        found,
        json!({"data": [
            {"userkey": "jdoe", "status": "Active", "name": "John Doe", "email": "johnd@xyz.net",
             "phone": "(555) 555-5555"},
            {"userkey": "jdoe2", "status": "Active", "name": "John Doe", "email": "johgnd@xyz.net",
             "phone": "(555) 555-5555"},
            {"userkey": "johnd", "status": "Active", "name": "John Doe", "email": "johnd@xyz.net",
             "phone": "(555) 555-5555"},
        ]})
    );
    let zoe = desk
        .admin
        .search_accounts(brand.id, &[("PrimaryEmail", "ZOE@example.org")])
        .await
        .expect("search");
    assert_eq!(
        zoe.data,
        [AccountSummaryBody {
            userkey: "zoe".into(),
            status: "Inactive".into(),
            name: "Zoë O'Brien & <Sons>".into(),
            email: "zoe@example.org".into(),
            phone: "+44 20 7946 0958".into(),
        }]
    );
    let none: Value = desk
        .admin
        .get_query(
            &format!("/api/v1/brands/{}/accounts", brand.id),
            &[("Userkey", "nobody")],
        )
        .await
        .expect("search");
    assert_eq!(none, json!({"data": []}));
    let agent = desk.agent().await;
    assert_eq!(
        agent
            .search_accounts(brand.id, &[("FirstName", "ann")])
            .await
            .expect("agents search too")
            .data
            .len(),
        1
    );
    assert_code(
        desk.anonymous().search_accounts(brand.id, &[("Userkey", "jdoe")]).await,
        ErrorCode::Unauthenticated,
    );
    assert_eq!(backend.requests_to("search").len(), 4);
}

#[tokio::test]
async fn the_documents_own_search_example_with_its_typographic_quotes_is_read() {
    let (desk, backend, brand) = served().await;
    backend.set_mode(Mode::DocumentExample);
    let found = desk
        .admin
        .search_accounts(brand.id, &[("LastName", "Doe")])
        .await
        .expect("the document's example");
    let read: Vec<(&str, &str, &str)> = found
        .data
        .iter()
        .map(|a| (a.userkey.as_str(), a.name.as_str(), a.email.as_str()))
        .collect();
    assert_eq!(
        read,
        [
            ("jdoe", "John Doe", "johnd@xyz.net"),
            ("jdoe2", "John Doe", "johgnd@xyz.net")
        ]
    );
    let johnd = desk
        .admin
        .account(brand.id, "johnd")
        .await
        .expect("the document's load example");
    assert_eq!(
        (
            johnd.userkey.as_str(),
            johnd.contacts[0].aone.as_str(),
            johnd.fields.len()
        ),
        ("johnd", "123 Fake St.", 1)
    );
}

// ------------------------------------------------------------------------------------------ load and update

#[tokio::test]
async fn an_account_loads_with_contacts_and_fields_and_never_its_password() {
    let (desk, backend, brand) = served().await;
    let shown: Value = desk
        .admin
        .get(&format!("/api/v1/brands/{}/accounts/jdoe", brand.id))
        .await
        .expect("load");
    assert_eq!(
        shown,
        json!({
            "userkey": "jdoe", "status": "Active", "account": "A-100",
            "contacts": [{
                "firstname": "John", "lastname": "Doe", "aone": "123 Fake St.", "atwo": "",
                "city": "Anywhere", "region": "ZZ", "pc": "123456", "country": "",
                "pphone": "(555) 555-5555", "sphone": "(555) 555-0199", "pemail": "johnd@xyz.net",
                "semail": "", "mobile": "+1 555 555 0177", "fax": ""
            }],
            "fields": [{"id": "1", "value": "Gold"}, {"id": "7", "value": "yes"}]
        })
    );
    assert!(!raw(&shown).contains("p@ss"), "{shown}");
    let posted = backend.last_request();
    assert_eq!(
        (posted.call.as_str(), posted.has_credentials(), posted.sent()),
        ("load", true, vec![("Userkey", "jdoe")])
    );

    let zoe = desk
        .agent()
        .await
        .account(brand.id, "zoe")
        .await
        .expect("agents load too");
    assert_eq!(
        (
            zoe.account.as_str(),
            zoe.contacts.len(),
            zoe.contacts[0].lastname.as_str()
        ),
        ("Z & Sons", 2, "O'Brien & <Sons>")
    );

    // A userkey that needs encoding in the path arrives as it is.
    backend.add_account(Account {
        userkey: "a/b c?d%".into(),
        status: "Active".into(),
        ..Account::default()
    });
    assert_eq!(
        desk.admin.account(brand.id, "a/b c?d%").await.expect("load").userkey,
        "a/b c?d%"
    );
    assert_eq!(backend.last_request().sent(), [("Userkey", "a/b c?d%")]);
}

#[tokio::test]
async fn an_unknown_account_is_not_found() {
    let (desk, backend, brand) = served().await;
    assert_code(desk.admin.account(brand.id, "nobody").await, ErrorCode::NotFound);
    assert_eq!(backend.last_request().sent(), [("Userkey", "nobody")]);
    assert_code(desk.admin.account(999_999, "jdoe").await, ErrorCode::NotFound);
    let too_long = "k".repeat(256);
    for bad in ["a\nb", "  ", too_long.as_str()] {
        let p = assert_code(desk.admin.account(brand.id, bad).await, ErrorCode::ValidationFailed);
        assert_eq!(fields(&p), ["userkey"], "{bad:?}");
    }
    assert_eq!(backend.requests().len(), 1, "bad userkeys are not sent");
    let end_user = desk.customer().await.client;
    assert_code(
        end_user.search_accounts(brand.id, &[("Userkey", "jdoe")]).await,
        ErrorCode::NotFound,
    );
    assert_code(end_user.account(brand.id, "jdoe").await, ErrorCode::NotFound);
    assert!(backend.requests().len() == 1, "end users reach no account");
}

#[tokio::test]
async fn an_edited_account_is_posted_as_user_xml_with_its_password_and_answered_as_reloaded() {
    let (desk, backend, brand) = served().await;
    let mut edited = desk.admin.account(brand.id, "jdoe").await.expect("load");
    edited.account = "A-100 & Co".into();
    edited.contacts[0].firstname = "Jane".into();
    edited.contacts[0].city = "Zürich".into();
    edited.contacts.push(ContactBody {
        firstname: "Second".into(),
        pemail: "second@xyz.net".into(),
        ..ContactBody::default()
    });
    edited.fields[0].value = "Platinum <1>".into();
    edited.fields.push(FieldBody {
        id: "9".into(),
        value: "new".into(),
    });
    backend.clear_requests();
    let answered = desk
        .admin
        .update_account(brand.id, "jdoe", &edited)
        .await
        .expect("update");
    assert_eq!(answered, edited, "the answer is the account as the backend has it now");
    let calls: Vec<String> = backend.requests().into_iter().map(|r| r.call).collect();
    assert_eq!(calls, ["load", "update", "load"]);

    let update = backend.requests_to("update").remove(0);
    assert!(update.has_credentials());
    let names: Vec<&str> = update.sent().iter().map(|(k, _)| *k).collect();
    assert_eq!(names, ["userXML"]);
    let document = &backend.updates()[0];
    for written in [
        "<userdata>",
        "userkey=\"jdoe\"",
        "password=\"p%40ss%20word%26%3C%22x%22%3E\"",
        "account=\"A%2D100%20%26%20Co\"",
        "firstname=\"Jane\"",
        "city=\"Z%C3%BCrich\"",
        "<contacts>",
        "<fielddata>",
        "<field id=\"1\" value=\"Platinum%20%3C1%3E\"/>",
    ] {
        assert!(document.contains(written), "{written} in {document}");
    }
    let stored = backend.account("jdoe").expect("the account");
    assert_eq!(
        stored,
        Account {
            userkey: "jdoe".into(),
            password: "p@ss word&<\"x\">".into(),
            status: "Active".into(),
            account: "A-100 & Co".into(),
            contacts: vec![
                AccountContact {
                    firstname: "Jane".into(),
                    lastname: "Doe".into(),
                    aone: "123 Fake St.".into(),
                    city: "Zürich".into(),
                    region: "ZZ".into(),
                    pc: "123456".into(),
                    pphone: "(555) 555-5555".into(),
                    sphone: "(555) 555-0199".into(),
                    pemail: "johnd@xyz.net".into(),
                    mobile: "+1 555 555 0177".into(),
                    ..AccountContact::default()
                },
                AccountContact {
                    firstname: "Second".into(),
                    pemail: "second@xyz.net".into(),
                    ..AccountContact::default()
                },
            ],
            fields: vec![
                AccountField {
                    id: "1".into(),
                    value: "Platinum <1>".into(),
                },
                AccountField {
                    id: "7".into(),
                    value: "yes".into(),
                },
                AccountField {
                    id: "9".into(),
                    value: "new".into(),
                },
            ],
        }
    );
}

#[tokio::test]
async fn an_update_names_its_own_account_and_needs_an_update_url() {
    let (desk, backend, brand) = served().await;
    let loaded = desk.admin.account(brand.id, "jdoe").await.expect("load");
    let p = assert_code(
        desk.admin.update_account(brand.id, "jdoe2", &loaded).await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["userkey"]);
    let keyless = AccountBody {
        userkey: String::new(),
        ..loaded.clone()
    };
    assert_code(
        desk.admin.update_account(brand.id, "nobody", &keyless).await,
        ErrorCode::NotFound,
    );
    let unknown_member = desk
        .admin
        .send_raw(
            "PUT",
            &format!("/api/v1/brands/{}/accounts/jdoe", brand.id),
            "application/json",
            br#"{"account": "x", "password": "new"}"#.to_vec(),
        )
        .await;
    assert!(
        unknown_member.as_ref().err().and_then(|e| e.code()) == Some(ErrorCode::ValidationFailed)
            || unknown_member.as_ref().err().and_then(|e| e.code()) == Some(ErrorCode::BadRequest),
        "a password cannot be set through the API: {unknown_member:?}"
    );
    assert!(backend.updates().is_empty());

    let read_only = backend
        .brand_with(
            &desk,
            WebcallInput {
                update_url: Some(String::new()),
                ..backend.settings()
            },
        )
        .await;
    let p = assert_code(
        desk.admin.update_account(read_only.id, "jdoe", &keyless).await,
        ErrorCode::Conflict,
    );
    assert!(p.detail.unwrap_or_default().contains("update_url"));
    assert!(
        backend.requests().iter().all(|r| r.call != "update") && backend.updates().is_empty(),
        "{:?}",
        backend.requests()
    );
    backend.clear_requests();
    assert_code(
        desk.admin.update_account(read_only.id, "jdoe", &keyless).await,
        ErrorCode::Conflict,
    );
    assert!(backend.requests().is_empty(), "refused before any call");
}

#[tokio::test]
async fn a_failing_update_is_the_backends_error() {
    let (desk, backend, brand) = served().await;
    let loaded = desk.admin.account(brand.id, "jdoe").await.expect("load");
    backend.set_mode_of("update", Mode::Status500);
    unavailable(
        desk.admin.update_account(brand.id, "jdoe", &loaded).await,
        "the update web call failed: HTTP 500",
    );
    assert_eq!(backend.requests_to("update").len(), 1);
}

// ------------------------------------------------------------------------------------------ bad answers

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

// ------------------------------------------------------------------------------------------ connection test

#[tokio::test]
async fn the_connection_test_reports_latency_or_the_failure_and_is_for_admins() {
    let (desk, backend, brand) = served().await;
    let test = desk.admin.test_backend(brand.id).await.expect("test");
    assert!(
        test.ok && test.backend == "webcall" && test.error.is_none() && test.latency_ms > 0.0,
        "{test:?}"
    );
    let posted = backend.last_request();
    assert!(posted.call == "search" && posted.has_credentials(), "{posted:?}");

    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        listener.local_addr().expect("address").port()
    };
    let url = format!("http://127.0.0.1:{closed}/search");
    let dead = backend
        .brand_with(
            &desk,
            WebcallInput {
                search_url: url.clone(),
                load_url: url,
                ..backend.settings()
            },
        )
        .await;
    let test = desk.admin.test_backend(dead.id).await.expect("test");
    assert!(!test.ok && test.backend == "webcall", "{test:?}");
    let error = test.error.unwrap_or_default();
    assert!(error.contains("could not reach"), "{error}");
    assert!(!error.contains(INT_PASS), "{error}");

    backend.set_mode(Mode::Malformed);
    let test = desk.admin.test_backend(brand.id).await.expect("test");
    assert!(
        !test.ok && test.error.as_deref().is_some_and(|e| e.contains("malformed XML")),
        "{test:?}"
    );

    let agent = desk.agent().await;
    assert_code(agent.test_backend(brand.id).await, ErrorCode::NotFound);
    assert_code(desk.admin.test_backend(999_999).await, ErrorCode::NotFound);
    let local = desk.department().await.brand_id;
    let test = desk.admin.test_backend(local).await.expect("test");
    assert!(test.ok && test.backend == "local", "{test:?}");
}

// ------------------------------------------------------------------------------------------ tickets

#[tokio::test]
async fn a_ticket_of_a_webcall_brand_keeps_its_account_key() {
    let (desk, _backend, brand) = served().await;
    let department = desk
        .admin
        .create_department(&NewDepartment {
            brand_id: brand.id,
            name: unique("Support"),
            ..Default::default()
        })
        .await
        .expect("department");
    let pat = desk.customer().await;
    let ticket = desk
        .admin
        .create_ticket(&NewTicket {
            customer_id: Some(pat.customer.id),
            user_id: Some(pat.end_user.id),
            account_key: Some("jdoe".into()),
            ..new_ticket(department.id, "Billing question")
        })
        .await
        .expect("ticket");
    assert_eq!(ticket.account_key.as_deref(), Some("jdoe"));
    let reloaded = desk.admin.ticket(ticket.id).await.expect("ticket");
    assert_eq!(reloaded.account_key.as_deref(), Some("jdoe"));
    let account = desk
        .admin
        .account(brand.id, reloaded.account_key.as_deref().unwrap_or_default())
        .await
        .expect("the ticket's account");
    assert_eq!(account.contacts[0].pemail, "johnd@xyz.net");
}

// ------------------------------------------------------------------------------------------ local backend

/// A customer with a phone, an external id and two end users.
async fn local_customer(desk: &TestServer, name: &str) -> (Customer, EndUser, EndUser) {
    let domain = format!(
        "{}.example",
        name.split_whitespace().next().unwrap_or("x").to_lowercase()
    );
    let customer = desk
        .admin
        .create_customer(&NewCustomer {
            name: name.into(),
            email: Some(format!("{}@{domain}", unique("office").to_lowercase())),
            phone: Some("+1 (555) 555-0100".into()),
            city: Some("Springfield".into()),
            external_id: Some(unique("EXT")),
            ..Default::default()
        })
        .await
        .expect("customer");
    let ada = desk
        .admin
        .create_end_user(&NewEndUser {
            customer_id: customer.id,
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            email: Some(format!("ada@{domain}")),
            phone: Some("030 1234 5678".into()),
            city: Some("London".into()),
            ..Default::default()
        })
        .await
        .expect("end user");
    let bob = desk
        .admin
        .create_end_user(&NewEndUser {
            customer_id: customer.id,
            name: Some("Bob Builder".into()),
            ..Default::default()
        })
        .await
        .expect("end user");
    (customer, ada, bob)
}

fn userkeys(list: AccountList) -> Vec<String> {
    list.data.into_iter().map(|a| a.userkey).collect()
}

#[tokio::test]
async fn a_local_brands_accounts_are_its_customers() {
    let desk = TestServer::start().await;
    let brand = desk.department().await.brand_id;
    let (globex, _, _) = local_customer(&desk, "Globex Corporation").await;
    let (initech, _, _) = local_customer(&desk, "Initech").await;
    let key = globex.id.to_string();
    let external = globex.external_id.clone().unwrap_or_default();
    let search = |criteria: Vec<(&'static str, String)>| {
        let admin = desk.admin.clone();
        async move {
            let pairs: Vec<(&str, &str)> = criteria.iter().map(|(k, v)| (*k, v.as_str())).collect();
            userkeys(admin.search_accounts(brand, &pairs).await.expect("search"))
        }
    };
    assert_eq!(search(vec![("Userkey", key.clone())]).await, [key.as_str()]);
    assert_eq!(search(vec![("AccountID", external.clone())]).await, [key.as_str()]);
    assert_eq!(
        search(vec![("PrimaryPhone", "030-1234-5678".into())]).await,
        [initech.id.to_string(), key.clone()],
        "newest first: an end user's number, punctuation aside (both customers have Ada's number)"
    );
    assert_eq!(
        search(vec![
            ("PrimaryPhone", "(555) 555.0100".into()),
            ("Userkey", key.clone())
        ])
        .await,
        [key.as_str()]
    );
    assert_eq!(
        search(vec![("LastName", "Initech".into())]).await,
        [initech.id.to_string()]
    );
    assert_eq!(
        search(vec![("FirstName", "Globex".into()), ("City", "Springfield".into())]).await,
        [key.as_str()]
    );
    assert!(search(vec![("Userkey", "999999".into())]).await.is_empty());
    assert!(search(vec![("Userkey", "not-a-number".into())]).await.is_empty());
    assert!(
        search(vec![("Userkey", key.clone()), ("Status", "Inactive".into())])
            .await
            .is_empty()
    );

    let found = desk
        .admin
        .search_accounts(brand, &[("Userkey", key.as_str())])
        .await
        .expect("search");
    assert_eq!(
        found.data,
        [AccountSummaryBody {
            userkey: key.clone(),
            status: "Active".into(),
            name: "Globex Corporation".into(),
            email: globex.email.clone().unwrap_or_default(),
            phone: "+1 (555) 555-0100".into(),
        }]
    );

    for unsearchable in ["Password", "CustFields"] {
        let p = assert_code(
            desk.admin.search_accounts(brand, &[(unsearchable, "x")]).await,
            ErrorCode::ValidationFailed,
        );
        assert_eq!(fields(&p), [unsearchable]);
    }
}

#[tokio::test]
async fn a_local_account_shows_end_users_as_contacts_and_attributes_as_fields() {
    let desk = TestServer::start().await;
    let brand = desk.department().await.brand_id;
    desk.admin
        .create_attribute(
            AttributeEntity::Customer,
            &AttributeInput {
                name: Some("seats".into()),
                kind: Some("number".into()),
                ..Default::default()
            },
        )
        .await
        .expect("attribute");
    let (globex, ada, _) = local_customer(&desk, "Globex Corporation").await;
    desk.admin
        .update_customer(
            globex.id,
            &CustomerPatch {
                attributes: [("seats".to_owned(), json!(12))].into_iter().collect(),
                ..Default::default()
            },
        )
        .await
        .expect("seats");
    let account = desk.admin.account(brand, &globex.id.to_string()).await.expect("load");
    assert_eq!(
        (account.userkey, account.status.as_str(), account.account.as_str()),
        (globex.id.to_string(), "Active", "Globex Corporation")
    );
    assert_eq!(
        account.contacts,
        [
            ContactBody {
                firstname: "Ada".into(),
                lastname: "Lovelace".into(),
                city: "London".into(),
                pphone: "030 1234 5678".into(),
                pemail: ada.email.clone().unwrap_or_default(),
                ..ContactBody::default()
            },
            ContactBody {
                firstname: "Bob".into(),
                lastname: "Builder".into(),
                ..ContactBody::default()
            },
        ]
    );
    assert_eq!(
        account.fields,
        [FieldBody {
            id: "seats".into(),
            value: "12".into(),
        }]
    );
    assert_code(desk.admin.account(brand, "999999").await, ErrorCode::NotFound);
    assert_code(desk.admin.account(brand, "abc").await, ErrorCode::NotFound);
    desk.admin.delete_customer(globex.id).await.expect("delete");
    assert_code(
        desk.admin.account(brand, &globex.id.to_string()).await,
        ErrorCode::NotFound,
    );
}

#[tokio::test]
async fn a_local_account_update_goes_through_the_customer_rules() {
    let desk = TestServer::start().await;
    let brand = desk.department().await.brand_id;
    desk.admin
        .create_attribute(
            AttributeEntity::Customer,
            &AttributeInput {
                name: Some("seats".into()),
                kind: Some("number".into()),
                required: Some(true),
                default_value: Some(json!(1)),
                ..Default::default()
            },
        )
        .await
        .expect("attribute");
    let (globex, ada, bob) = local_customer(&desk, "Globex Corporation").await;
    let key = globex.id.to_string();
    let loaded = desk.admin.account(brand, &key).await.expect("load");

    // Unchanged, it changes nothing.
    let same = desk.admin.update_account(brand, &key, &loaded).await.expect("update");
    assert_eq!(same, loaded);
    assert_eq!(
        desk.admin.customer(globex.id).await.expect("customer").updated_at,
        globex.updated_at
    );

    let mut edited = loaded.clone();
    edited.account = "Globex International".into();
    edited.fields = vec![FieldBody {
        id: "seats".into(),
        value: "25".into(),
    }];
    edited.contacts[0].lastname = "King".into();
    edited.contacts[0].pphone = "030 9999 0000".into();
    edited.contacts[1].firstname = "Robert".into();
    let answered = desk.admin.update_account(brand, &key, &edited).await.expect("update");
    assert_eq!(answered, edited);
    let customer = desk.admin.customer(globex.id).await.expect("customer");
    assert_eq!(
        (customer.name.as_str(), customer.attributes.get("seats")),
        ("Globex International", Some(&json!(25)))
    );
    let ada = desk.admin.end_user(ada.id).await.expect("ada");
    assert_eq!(
        (ada.name.as_str(), ada.last_name.as_deref(), ada.phone.as_deref()),
        ("Ada King", Some("King"), Some("030 9999 0000"))
    );
    assert_eq!(desk.admin.end_user(bob.id).await.expect("bob").name, "Robert Builder");

    // A required attribute emptied, a wrong type, an unknown attribute: 422, nothing written.
    for (id, value) in [("seats", ""), ("seats", "many"), ("colour", "red")] {
        let mut bad = answered.clone();
        bad.account = "Should Not Stick".into();
        bad.fields = vec![FieldBody {
            id: id.into(),
            value: value.into(),
        }];
        let p = assert_code(
            desk.admin.update_account(brand, &key, &bad).await,
            ErrorCode::ValidationFailed,
        );
        assert_eq!(fields(&p), [id], "{id}={value:?}");
    }
    // A contact's bad email: nothing written either, the customer's name included.
    let mut bad = answered.clone();
    bad.account = "Should Not Stick".into();
    bad.contacts[1].pemail = "not an address".into();
    let p = assert_code(
        desk.admin.update_account(brand, &key, &bad).await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["contacts[1].pemail"]);
    assert_eq!(
        desk.admin.customer(globex.id).await.expect("customer").name,
        "Globex International"
    );
    assert_eq!(desk.admin.account(brand, &key).await.expect("load"), answered);
}

#[tokio::test]
async fn a_search_answers_at_most_fifty_accounts() {
    let (desk, backend, brand) = served().await;
    for n in 0..60 {
        backend.add_account(Account {
            userkey: format!("many-{n:02}"),
            status: "Active".into(),
            contacts: vec![AccountContact {
                lastname: "Many".into(),
                ..AccountContact::default()
            }],
            ..Account::default()
        });
    }
    let found = desk
        .admin
        .search_accounts(brand.id, &[("LastName", "Many")])
        .await
        .expect("search");
    assert_eq!(found.data.len(), 50);
    assert_eq!(found.data[0].userkey, "many-00", "in the backend's order");
}

// ------------------------------------------------------------------------------------------ the docs

/// The fenced blocks of docs/integrations.md's "Customer backends in ferrodesk": each ```http block, and
/// the ```json block right after it (only blank lines between) when there is one.
fn documented_exchanges() -> Vec<(String, Option<String>)> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/integrations.md"))
        .expect("docs/integrations.md");
    let start = doc.find("\n## Customer backends in ferrodesk\n").expect("the section");
    let section = &doc[start + 1..];
    let section = &section[..section[1..].find("\n## ").map_or(section.len(), |end| end + 1)];
    let mut blocks: Vec<(&str, String, bool)> = Vec::new();
    let mut lines = section.lines();
    let mut blank_run = true;
    while let Some(line) = lines.next() {
        if let Some(language) = line.strip_prefix("```") {
            let body: Vec<&str> = lines.by_ref().take_while(|l| !l.starts_with("```")).collect();
            blocks.push((language, body.join("\n"), blank_run));
            blank_run = true;
        } else if !line.trim().is_empty() {
            blank_run = false;
        }
    }
    let mut exchanges = Vec::new();
    for (i, (language, body, _)) in blocks.iter().enumerate() {
        if *language == "http" {
            let answer = blocks
                .get(i + 1)
                .filter(|(next, _, adjacent)| *next == "json" && *adjacent)
                .map(|(_, answer, _)| answer.clone());
            exchanges.push((body.clone(), answer));
        }
    }
    exchanges
}

/// Whether `documented` is `actual` with members left out (objects may be abridged; arrays are whole).
fn abridges(documented: &Value, actual: &Value) -> bool {
    match (documented, actual) {
        (Value::Object(d), Value::Object(a)) => d
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|actual| abridges(v, actual))),
        (Value::Array(d), Value::Array(a)) => d.len() == a.len() && d.iter().zip(a).all(|(d, a)| abridges(d, a)),
        _ => documented == actual,
    }
}

#[tokio::test]
async fn the_documented_requests_answer_as_documented() {
    let desk = webcall_desk().await;
    let backend = WebcallServer::start().await;
    let brand = desk
        .admin
        .create_brand(&NewBrand {
            name: unique("Documented"),
            ..Default::default()
        })
        .await
        .expect("brand");
    let base = format!("http://{}", backend.address());
    let concrete = |text: &str| {
        text.replace("https://crm.example.com/spice", &base)
            .replace("/api/v1/brands/1/", &format!("/api/v1/brands/{}/", brand.id))
            .replace("/api/v1/brands/1\n", &format!("/api/v1/brands/{}\n", brand.id))
            .replace("\"id\": 1,", &format!("\"id\": {},", brand.id))
    };
    let exchanges = documented_exchanges();
    assert_eq!(exchanges.len(), 6, "{exchanges:?}");
    let http = reqwest::Client::new();
    for (request, answer) in exchanges {
        let request = concrete(&format!("{request}\n"));
        let (head, body) = request.split_once("\n\n").unwrap_or((&request, ""));
        let mut head = head.lines();
        let (method, path) = head.next().and_then(|l| l.split_once(' ')).expect("METHOD path");
        let mut call = http
            .request(
                method.parse().expect("a method"),
                format!("{}{}", desk.url, path.trim()),
            )
            .bearer_auth(ADMIN_TOKEN);
        for header in head {
            let (name, value) = header.split_once(": ").expect("a header");
            call = call.header(name, value);
        }
        if !body.trim().is_empty() {
            call = call.body(body.trim().to_owned());
        }
        let response = call.send().await.expect("an answer");
        let status = response.status();
        let mut actual: Value = response.json().await.expect("JSON");
        assert!(
            status.is_success() || status.as_u16() == 422,
            "{method} {path}: {status} {actual}"
        );
        let Some(documented) = answer else { continue };
        let mut documented: Value = serde_json::from_str(&concrete(&documented))
            .unwrap_or_else(|e| panic!("{method} {path}: the documented answer is not JSON: {e}"));
        // How long a call took differs from run to run.
        for v in [&mut documented, &mut actual] {
            if let Some(o) = v.as_object_mut() {
                o.remove("latency_ms");
            }
        }
        assert!(
            abridges(&documented, &actual),
            "{method} {path}:\ndocumented {documented:#}\nactual {actual:#}"
        );
    }
    // The documented password reached the backend, and the edit was posted.
    assert!(backend.requests().iter().all(|r| r.has_credentials()));
    assert_eq!(backend.account("jdoe").expect("jdoe").contacts[0].firstname, "Jane");
}
