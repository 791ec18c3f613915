//! The web-call client against a real HTTP server on 127.0.0.1 that implements the protocol from its
//! document (see `server.rs`): what is sent, what is read back, and every way an answer can go wrong.
mod server;

use domain::account::{AccountCriteria, AccountSummary, CaseUpdate, SEARCH_CRITERIA};
use ferrodesk_integrations::webcall::{
    CONNECTION_TEST_USERKEY, MAX_ANSWER_BYTES, Operation, WebcallClient, WebcallConfig, WebcallError, case_xml,
    parse_tickets, parse_userdata, user_xml,
};
use server::{Backend, INT_PASS, accounts};
use std::time::{Duration, Instant};

fn client() -> WebcallClient {
    WebcallClient::new(true).expect("a client")
}

fn criteria(pairs: &[(&str, &str)]) -> AccountCriteria {
    let mut criteria = AccountCriteria::default();
    for (name, value) in pairs {
        criteria.set(name, *value).expect("a criterion of the protocol");
    }
    criteria
}

/// Every failure's message is shown to agents: the integration password never is.
fn message(error: &WebcallError) -> String {
    let text = error.to_string();
    assert!(!text.contains(INT_PASS), "{text}");
    text
}

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
async fn each_search_variable_is_sent_under_the_documents_name() {
    assert_eq!(SEARCH_CRITERIA, DOCUMENT_CRITERIA);
    let backend = Backend::start().await;
    let client = client();
    for name in DOCUMENT_CRITERIA {
        let value = format!("value of {name}, with \\ & = + % ”");
        client
            .search(&backend.config(), &criteria(&[(name, &value)]))
            .await
            .expect("a search");
        let post = backend.last_post();
        assert_eq!(
            (post.path.as_str(), post.sent()),
            ("/search", vec![(name, value.as_str())]),
            "{name}"
        );
    }
}

#[tokio::test]
async fn only_criteria_with_data_are_sent_in_the_documents_order() {
    let backend = Backend::start().await;
    let sent = criteria(&[
        ("Modile", "555 0100"),
        ("City", ""),
        ("LastName", "Doe"),
        ("Region", "   "),
        ("SecondayPhone", "555 0101"),
        ("Userkey", "jdoe"),
    ]);
    client().search(&backend.config(), &sent).await.expect("a search");
    assert_eq!(
        backend.last_post().sent(),
        vec![
            ("Userkey", "jdoe"),
            ("LastName", "Doe"),
            ("SecondayPhone", "555 0101"),
            ("Modile", "555 0100")
        ]
    );
}

#[tokio::test]
async fn search_answers_are_read_with_values_url_decoded() {
    let backend = Backend::start().await;
    let client = client();
    let found = client
        .search(&backend.config(), &criteria(&[("FirstName", "john")]))
        .await
        .expect("a search");
    assert_eq!(
        found.iter().map(|u| u.userkey.as_str()).collect::<Vec<_>>(),
        ["jdoe", "jdoe2"]
    );
    assert_eq!(
        found[0],
        AccountSummary {
            userkey: "jdoe".into(),
            status: "Active".into(),
            name: "John Doe".into(),
            email: "johnd@xyz.net".into(),
            phone: "(555) 555-5555".into(),
        }
    );

    let by_phone = client
        .search(&backend.config(), &criteria(&[("PrimaryPhone", "+44 (20) 7946-0958")]))
        .await
        .expect("a search");
    assert_eq!(by_phone.len(), 1);
    assert_eq!(by_phone[0].name, "Zoë O'Brien & <Sons>");
    assert_eq!(by_phone[0].phone, "+44 20 7946 0958", "a plus stays a plus");

    let nobody = client
        .search(&backend.config(), &criteria(&[("Userkey", "nobody")]))
        .await
        .expect("a search");
    assert_eq!(nobody, vec![], "an empty <users> is no match");
}

#[tokio::test]
async fn cust_fields_pairs_are_passed_through() {
    let backend = Backend::start().await;
    let found = client()
        .search(&backend.config(), &criteria(&[("CustFields", "1\\Gold,7\\yes")]))
        .await
        .expect("a search");
    assert_eq!(backend.last_post().sent(), vec![("CustFields", "1\\Gold,7\\yes")]);
    assert_eq!(found.iter().map(|u| u.userkey.as_str()).collect::<Vec<_>>(), ["jdoe"]);
}

#[tokio::test]
async fn the_documents_search_example_answer_reads_as_its_two_users() {
    let backend = Backend::start().await;
    let found = client()
        .search(
            &backend.config_for("/document-example"),
            &criteria(&[("LastName", "Doe")]),
        )
        .await
        .expect("the document's own example");
    assert_eq!(
        found
            .iter()
            .map(|u| (u.userkey.as_str(), u.email.as_str()))
            .collect::<Vec<_>>(),
        [("jdoe", "johnd@xyz.net"), ("jdoe2", "johgnd@xyz.net")]
    );
}

#[tokio::test]
async fn load_sends_the_userkey_and_reads_contacts_and_fields() {
    let backend = Backend::start().await;
    let client = client();
    for expected in accounts() {
        let loaded = client.load(&backend.config(), &expected.userkey).await.expect("a load");
        assert_eq!(backend.last_post().sent(), vec![("Userkey", expected.userkey.as_str())]);
        assert_eq!(loaded, expected);
    }
    let missing = client
        .load(&backend.config(), "nobody")
        .await
        .expect_err("an unknown account");
    assert_eq!(message(&missing), "HTTP 404");
}

#[tokio::test]
async fn update_sends_the_load_structure_with_the_password_as_loaded() {
    let backend = Backend::start().await;
    let client = client();
    let mut account = client.load(&backend.config(), "jdoe").await.expect("a load");
    account.contacts[0].city = "Somewhere Else".into();
    client.update(&backend.config(), &account).await.expect("an update");
    let post = backend.last_post();
    assert_eq!(post.path, "/update");
    let sent = post.sent();
    assert_eq!(
        sent.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
        ["userXML"],
        "the only variable"
    );
    let document = sent[0].1;
    insta::assert_snapshot!(document, @r#"
    <?xml version="1.0" encoding="UTF-8"?>
    <userdata>
      <user userkey="jdoe" password="p%40ss%20word%26%3C%3E%22" status="Active" account="A%2D100"/>
      <contacts>
        <contact firstname="John" lastname="Doe" aone="123%20Fake%20St%2E" atwo="" city="Somewhere%20Else" region="ZZ" pc="123456" country="" pphone="%28555%29%20555%2D5555" sphone="" pemail="johnd%40xyz%2Enet" semail="" mobile="" fax=""/>
      </contacts>
      <fielddata>
        <field id="1" value="Gold"/>
        <field id="7" value="yes"/>
      </fielddata>
    </userdata>
    "#);
    assert_eq!(document, user_xml(&account));
    let read_back = parse_userdata(document.as_bytes()).expect("the receiver reads it");
    assert_eq!(read_back.password, "p@ss word&<>\"", "the password exactly as loaded");
    assert_eq!(read_back, account);
}

#[tokio::test]
async fn case_update_sends_the_userkey_and_the_case_document() {
    let backend = Backend::start().await;
    let case = CaseUpdate {
        cid: "6344".into(),
        id: "7906".into(),
        tier: "1".into(),
        date: "1/27/06 1:27:51 PM".into(),
        status: "In Progress".into(),
        sid: "2".into(),
        issue: "Browsing".into(),
        agent: "Doe, John".into(),
        aname: "Roe, Jane".into(),
        journal: "13:28:41 - line one\nline <two> & \"three\"".into(),
        email: String::new(),
        article: String::new(),
        treepath: String::new(),
        events: String::new(),
    };
    client()
        .case_update(&backend.config(), "jdoe", &case)
        .await
        .expect("a case update");
    let post = backend.last_post();
    assert_eq!(post.path, "/case");
    let sent = post.sent();
    assert_eq!(sent.iter().map(|(k, _)| *k).collect::<Vec<_>>(), ["Userkey", "caseXML"]);
    assert_eq!(sent[0].1, "jdoe");
    insta::assert_snapshot!(sent[1].1, @r#"
    <?xml version="1.0" ?>
    <tickets>
      <ticket cid="6344" id="7906" tier="1" date="1/27/06 1:27:51 PM" status="In Progress" sid="2" issue="Browsing" agent="Doe, John" aname="Roe, Jane" journal="13:28:41 - line one&#10;line &lt;two&gt; &amp; &quot;three&quot;" email="" article="" treepath="" events=""/>
    </tickets>
    "#);
    assert_eq!(sent[1].1, case_xml(&case));
    assert_eq!(parse_tickets(sent[1].1.as_bytes()), Ok(vec![case]));
}

#[tokio::test]
async fn the_connection_test_searches_for_nobody_and_needs_a_users_answer() {
    let backend = Backend::start().await;
    let client = client();
    let latency = client
        .test_connection(&backend.config())
        .await
        .expect("a working backend");
    assert!(latency < Duration::from_secs(5), "{latency:?}");
    let post = backend.last_post();
    assert_eq!(
        (post.path.as_str(), post.sent()),
        ("/search", vec![("Userkey", CONNECTION_TEST_USERKEY)])
    );

    let wrong_root = client
        .test_connection(&backend.config_for("/wrong-root"))
        .await
        .expect_err("not a web-call backend");
    assert_eq!(message(&wrong_root), "the answer's root element is <html>, not <users>");
    let wrong_pass = WebcallConfig {
        int_pass: "wrong".into(),
        ..backend.config()
    };
    let refused = client.test_connection(&wrong_pass).await.expect_err("bad credentials");
    assert_eq!(message(&refused), "HTTP 403");
}

#[tokio::test]
async fn a_call_without_its_url_is_not_configured_and_sends_nothing() {
    let backend = Backend::start().await;
    let client = client();
    let config = WebcallConfig {
        load_url: String::new(),
        case_url: "  ".into(),
        ..backend.config()
    };
    let load = client.load(&config, "jdoe").await.expect_err("no load URL");
    assert_eq!(load, WebcallError::NotConfigured(Operation::Load));
    assert_eq!(message(&load), "the web-call load URL is not configured");
    let case = client
        .case_update(&config, "jdoe", &CaseUpdate::default())
        .await
        .expect_err("no case URL");
    assert_eq!(message(&case), "the web-call case update URL is not configured");
    let invalid = WebcallConfig {
        search_url: "crm.example/search".into(),
        ..backend.config()
    };
    let err = client.search(&invalid, &criteria(&[])).await.expect_err("not a URL");
    assert_eq!(err.kind(), "invalid_url", "{err}");
    assert!(backend.posts().is_empty());
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let backend = Backend::start().await;
    let strict = WebcallClient::new(false).expect("a client");
    let literal = strict
        .search(&backend.config(), &criteria(&[("Userkey", "jdoe")]))
        .await
        .expect_err("127.0.0.1 is loopback");
    assert_eq!(message(&literal), "refused: 127.0.0.1 is a loopback address");

    let by_name = WebcallConfig {
        search_url: backend.url("/search").replace("127.0.0.1", "localhost"),
        ..backend.config()
    };
    let named = strict
        .search(&by_name, &criteria(&[]))
        .await
        .expect_err("localhost is loopback");
    assert_eq!(named.kind(), "refused", "{named}");
    assert!(
        message(&named).starts_with("refused: localhost resolves to a loopback address"),
        "{named}"
    );
    assert!(backend.posts().is_empty(), "nothing reached the backend");
}

#[tokio::test]
async fn an_unreachable_backend_is_a_clear_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let address = listener.local_addr().expect("its address");
    drop(listener);
    let config = WebcallConfig {
        search_url: format!("http://{address}/search"),
        int_pass: INT_PASS.into(),
        ..WebcallConfig::default()
    };
    let err = client()
        .search(&config, &criteria(&[]))
        .await
        .expect_err("nobody listens");
    assert_eq!(err.kind(), "unreachable", "{err}");
    assert!(message(&err).starts_with("could not reach the backend: "), "{err}");
    assert!(!message(&err).contains("/search"), "no URL in the message: {err}");
}

// Answers that go wrong, each its own test.

async fn search_answer_of(path: &str) -> (WebcallError, Duration) {
    let backend = Backend::start().await;
    let started = Instant::now();
    let err = client()
        .search(&backend.config_for(path), &criteria(&[("Userkey", "jdoe")]))
        .await
        .expect_err("a bad answer");
    message(&err);
    (err, started.elapsed())
}

#[tokio::test]
async fn a_doctype_with_nested_entities_is_refused_without_expansion() {
    let (err, took) = search_answer_of("/billion-laughs").await;
    assert_eq!(err, WebcallError::Doctype);
    assert_eq!(
        err.to_string(),
        "the answer declares a DOCTYPE; entities are never expanded"
    );
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[tokio::test]
async fn a_doctype_with_an_external_entity_is_refused() {
    let backend = Backend::start().await;
    let err = client()
        .load(&backend.config_for("/external-entity"), "jdoe")
        .await
        .expect_err("external entity");
    assert_eq!(err, WebcallError::Doctype);
}

#[tokio::test]
async fn a_ten_megabyte_answer_is_too_large() {
    let (err, took) = search_answer_of("/huge").await;
    assert_eq!(err, WebcallError::TooLarge);
    assert_eq!(
        err.to_string(),
        format!("the answer is larger than {MAX_ANSWER_BYTES} bytes")
    );
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[tokio::test]
async fn a_ten_megabyte_answer_of_unknown_length_is_too_large() {
    let (err, took) = search_answer_of("/huge-chunked").await;
    assert_eq!(err, WebcallError::TooLarge);
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[tokio::test]
async fn an_endless_answer_stops_at_the_bound() {
    let (err, took) = search_answer_of("/endless").await;
    assert_eq!(err, WebcallError::TooLarge);
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn an_answer_that_is_not_utf8_is_refused() {
    let (err, _) = search_answer_of("/not-utf8").await;
    assert_eq!(err, WebcallError::NotUtf8 { position: 23 });
    assert_eq!(err.to_string(), "the answer is not UTF-8 (invalid byte at 23)");
}

#[tokio::test]
async fn a_load_answer_without_its_user_element_is_refused() {
    let backend = Backend::start().await;
    let err = client()
        .load(&backend.config_for("/missing-user"), "jdoe")
        .await
        .expect_err("no <user>");
    assert_eq!(message(&err), "<userdata> has no <user> element");
}

#[tokio::test]
async fn a_search_answer_user_without_userkey_is_refused() {
    let (err, _) = search_answer_of("/missing-userkey").await;
    assert_eq!(err.to_string(), "a <user> element has no userkey attribute");
}

#[tokio::test]
async fn http_500_is_an_error() {
    let (err, _) = search_answer_of("/status-500").await;
    assert_eq!(err, WebcallError::Status(500));
    assert_eq!(err.to_string(), "HTTP 500");
    let backend = Backend::start().await;
    let update = client()
        .update(&backend.config_for("/status-500"), &accounts()[0])
        .await
        .expect_err("the update failed");
    assert_eq!(update.to_string(), "HTTP 500");
}

#[tokio::test]
async fn no_answer_within_the_timeout_returns_promptly() {
    let backend = Backend::start().await;
    let config = WebcallConfig {
        timeout: Duration::from_millis(300),
        ..backend.config_for("/slow")
    };
    let started = Instant::now();
    let err = client()
        .search(&config, &criteria(&[("Userkey", "jdoe")]))
        .await
        .expect_err("the server sleeps 30 s");
    let took = started.elapsed();
    assert_eq!(err.to_string(), "no answer within 300 ms");
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(1),
        "{took:?}"
    );
}

#[tokio::test]
async fn an_answer_that_stalls_midway_times_out_too() {
    let backend = Backend::start().await;
    let config = WebcallConfig {
        timeout: Duration::from_millis(300),
        ..backend.config_for("/stalled-body")
    };
    let started = Instant::now();
    let err = client()
        .search(&config, &criteria(&[]))
        .await
        .expect_err("the body never ends");
    assert_eq!(err, WebcallError::Timeout { millis: 300 });
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
}

#[tokio::test]
async fn malformed_xml_is_refused_with_its_position() {
    let (err, _) = search_answer_of("/malformed").await;
    assert_eq!(err.kind(), "malformed_xml");
    assert!(err.to_string().starts_with("malformed XML at byte 32: "), "{err}");
}
