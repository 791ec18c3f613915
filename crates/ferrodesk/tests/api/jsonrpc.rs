//! SpiceCSM's JSON-RPC API (SPEC §7.3, §9 "JSON-RPC params") over HTTP, as a SpiceCSM client calls it:
//! `connect` with a staff member's email and password, the session key passed by name or last by position,
//! both protocol versions, batches, and every error code (docs/integrations.md, "JSON-RPC API").
use super::pages::{PASSWORD, customer_browser};
use super::*;
use api_types::jsonrpc::{MAX_BATCH, Method};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Instant;

const PATH: &str = "/api/jsonrpc";
const SPICE_PATH: &str = "/api/spiceAPIServer/spiceAPIServer.php";

/// A JSON-RPC client on one of the API's paths.
pub(crate) struct Rpc {
    http: reqwest::Client,
    url: String,
}

impl Rpc {
    pub(crate) fn new(server: &TestServer) -> Rpc {
        Rpc::at(server, PATH)
    }

    pub(crate) fn at(server: &TestServer, path: &str) -> Rpc {
        Rpc {
            http: reqwest::Client::new(),
            url: format!("{}{path}", server.url),
        }
    }

    /// Posts raw bytes; the status and the body.
    pub(crate) async fn send(&self, body: impl Into<reqwest::Body>) -> (StatusCode, String) {
        let response = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("JSON-RPC request");
        let status = response.status();
        (status, response.text().await.expect("JSON-RPC answer"))
    }

    /// Posts a document; the answer document (HTTP 200, as every JSON-RPC answer is).
    pub(crate) async fn post(&self, document: &Value) -> Value {
        let (status, body) = self.send(document.to_string()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("the answer is JSON ({e}): {body}"))
    }

    /// One JSON-RPC 2.0 call.
    pub(crate) async fn call(&self, method: &str, params: Value) -> Value {
        let answer = self
            .post(&json!({"jsonrpc": "2.0", "method": method, "params": params, "id": 1}))
            .await;
        assert_eq!(answer["jsonrpc"], "2.0", "{answer}");
        assert_eq!(answer["id"], 1, "{answer}");
        answer
    }

    /// One call in SpiceCSM's 1.0 style.
    pub(crate) async fn call1(&self, method: &str, params: Value) -> Value {
        let answer = self
            .post(&json!({"method": method, "params": params, "id": "one"}))
            .await;
        assert_eq!(answer["id"], "one", "{answer}");
        assert!(answer.get("jsonrpc").is_none(), "{answer}");
        assert!(
            answer.get("result").is_some() && answer.get("error").is_some(),
            "a 1.0 answer has both members: {answer}"
        );
        answer
    }
}

/// The result of a successful answer.
#[track_caller]
pub(crate) fn ok(answer: &Value) -> &Value {
    assert!(
        answer.get("error").is_none_or(Value::is_null),
        "expected a result: {answer}"
    );
    answer.get("result").expect("result")
}

/// The error code of a failed answer.
#[track_caller]
pub(crate) fn code(answer: &Value) -> i64 {
    assert!(answer.get("result").is_none_or(Value::is_null), "{answer}");
    answer["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("expected an error: {answer}"))
}

/// The fields `data.errors` of an invalid-params answer names.
fn error_fields(answer: &Value) -> Vec<String> {
    answer["error"]["data"]["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A staff member with [`PASSWORD`]; their email.
pub(crate) async fn staff(server: &TestServer, role: Role) -> String {
    let email = format!("{}@example.com", unique("rpc").to_lowercase());
    server
        .admin
        .create_staff(&NewStaff {
            email: email.clone(),
            name: unique("Operator"),
            role,
            password: PASSWORD.into(),
            department_ids: None,
        })
        .await
        .expect("staff");
    email
}

/// `connect` by name; the session key.
pub(crate) async fn connect(rpc: &Rpc, email: &str) -> String {
    let answer = rpc
        .call("connect", json!({"username": email, "password": PASSWORD}))
        .await;
    ok(&answer).as_str().expect("a session key").to_owned()
}

/// A REST body read with the admin token.
async fn rest(server: &TestServer, path: &str) -> Value {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", server.url))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("REST request");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.expect("REST body")
}

fn ids(page: &Value) -> Vec<i64> {
    page["data"]
        .as_array()
        .expect("a page")
        .iter()
        .map(|item| item["id"].as_i64().expect("id"))
        .collect()
}

#[tokio::test]
async fn every_method_by_name_and_by_position_in_both_versions_answers_the_rest_bodies() {
    let server = TestServer::start().await;
    let rpc = Rpc::new(&server);
    let email = staff(&server, Role::Admin).await;
    let key = connect(&rpc, &email).await;
    let other = rpc.call1("connect", json!([email, PASSWORD])).await;
    assert_ne!(
        ok(&other).as_str().expect("key"),
        key,
        "each connect is a session of its own"
    );

    // Brands.
    let slug = |prefix: &str| unique(prefix).to_lowercase().replace('_', "-");
    let (slug1, slug2) = (slug("acme"), slug("beta"));
    let b1 = ok(&rpc
        .call(
            "brandCreate",
            json!({"name": "Acme", "slug": slug1, "greeting": "Hello", "session": key}),
        )
        .await)
    .clone();
    let b2 = ok(&rpc.call1("brandCreate", json!(["Beta", slug2, "Hi", key])).await).clone();
    let (id1, id2) = (b1["id"].as_i64().expect("id"), b2["id"].as_i64().expect("id"));
    assert_eq!(
        (b1["slug"].as_str(), b2["greeting"].as_str()),
        (Some(slug1.as_str()), Some("Hi"))
    );
    assert_eq!(
        b1,
        rest(&server, &format!("/api/v1/brands/{id1}")).await,
        "the REST body"
    );
    assert_eq!(
        ok(&rpc.call("brandLoad", json!({"id": id1, "session": key})).await),
        &b1
    );
    assert_eq!(ok(&rpc.call1("brandLoad", json!([id1, key])).await), &b1);
    let updated = ok(&rpc
        .call("brandUpdate", json!({"id": id1, "greeting": "Welcome", "session": key}))
        .await)
    .clone();
    assert_eq!(updated["greeting"], "Welcome");
    assert_eq!(updated["name"], "Acme", "fields left out are kept");
    let renamed = ok(&rpc.call1("brandUpdate", json!([id2, {"name": "Beta Two"}, key])).await).clone();
    assert_eq!(renamed["name"], "Beta Two");
    assert_eq!(renamed, rest(&server, &format!("/api/v1/brands/{id2}")).await);
    let listed = ok(&rpc.call("brandList", json!({"session": key})).await).clone();
    assert_eq!(listed, rest(&server, "/api/v1/brands").await, "the REST page");
    assert!(ids(&listed).contains(&id1) && ids(&listed).contains(&id2));
    assert_eq!(ok(&rpc.call1("brandList", json!([key])).await), &listed);
    let first = ok(&rpc.call("brandList", json!({"limit": 1, "session": key})).await).clone();
    assert_eq!(ids(&first).len(), 1, "a page of one");
    let cursor = first["next_cursor"].as_str().expect("a next page").to_owned();
    let second = ok(&rpc
        .call("brandList", json!({"limit": 1, "cursor": cursor, "session": key}))
        .await)
    .clone();
    assert_ne!(ids(&first), ids(&second));

    // Departments.
    let department = server
        .admin
        .create_department(&NewDepartment {
            brand_id: id1,
            name: unique("Support"),
            ..Default::default()
        })
        .await
        .expect("department");
    let of_brand = ok(&rpc.call("departmentList", json!({"brand": id1, "session": key})).await).clone();
    assert_eq!(ids(&of_brand), vec![department.id]);
    assert_eq!(
        of_brand,
        rest(&server, &format!("/api/v1/departments?brand_id={id1}")).await
    );
    assert_eq!(ok(&rpc.call1("departmentList", json!([id1, key])).await), &of_brand);
    let all = ok(&rpc.call1("departmentList", json!([key])).await).clone();
    assert_eq!(all, rest(&server, "/api/v1/departments").await);
    assert!(
        ok(&rpc.call("departmentList", json!({"brand": id2, "session": key})).await)["data"]
            .as_array()
            .expect("data")
            .is_empty()
    );

    // Cases.
    let person = server.customer().await;
    let word = unique("printer").to_lowercase();
    let t1 = ok(&rpc
        .call(
            "caseCreate",
            json!({"did": department.id, "title": format!("The {word} jams"), "message": "Paper everywhere.",
                "user_id": person.end_user.id, "session": key}),
        )
        .await)
    .clone();
    let tid = t1["id"].as_i64().expect("ticket id");
    assert_eq!(t1["user_id"], person.end_user.id);
    let t2 = ok(&rpc
        .call1(
            "caseCreate",
            json!([department.id, "Second case", "Hello.", person.end_user.id, "ACC-7", key]),
        )
        .await)
    .clone();
    assert_eq!(t2["account_key"], "ACC-7", "the optional account key by position");
    let reply = ok(&rpc
        .call(
            "caseUpdate",
            json!({"id": tid, "message": "We are on it.", "session": key}),
        )
        .await)
    .clone();
    assert_eq!(
        (reply["internal"].as_bool(), reply["admin"].as_i64()),
        (Some(false), Some(1))
    );
    let note = ok(&rpc
        .call1("caseUpdate", json!([tid, "Check the tray.", true, key]))
        .await)
    .clone();
    assert_eq!(note["internal"], true, "`internal` makes an internal note");
    let loaded = ok(&rpc.call("caseLoad", json!({"id": tid, "session": key})).await).clone();
    assert_eq!(
        loaded,
        rest(&server, &format!("/api/v1/tickets/{tid}?include=replies")).await
    );
    let messages: Vec<&str> = loaded["replies"]
        .as_array()
        .expect("the case's responses")
        .iter()
        .filter_map(|r| r["message"].as_str())
        .collect();
    assert_eq!(messages, ["Paper everywhere.", "We are on it.", "Check the tray."]);
    assert_eq!(ok(&rpc.call1("caseLoad", json!([tid, key])).await), &loaded);
    let customer_view = person.client.replies(tid).await.expect("the customer's view");
    assert_eq!(customer_view.data.len(), 2, "the note is not the customer's to see");
    let found = ok(&rpc.call("caseSearch", json!({"q": word, "session": key})).await).clone();
    assert_eq!(ids(&found), vec![tid]);
    assert_eq!(found, rest(&server, &format!("/api/v1/tickets?q={word}")).await);
    let status = loaded["status"].as_str().expect("status").to_owned();
    assert_eq!(
        ids(ok(&rpc.call1("caseSearch", json!([word, status, key])).await)),
        vec![tid]
    );
    assert!(ids(ok(&rpc.call1("caseSearch", json!([word, "solved", key])).await)).is_empty());

    // Accounts, through the brand's backend (here ferrodesk's own customers).
    let userkey = person.customer.id.to_string();
    let search = ok(&rpc
        .call(
            "accountSearch",
            json!({"brand": id1, "Userkey": userkey, "session": key}),
        )
        .await)
    .clone();
    assert_eq!(search["data"][0]["userkey"], userkey.as_str(), "{search}");
    assert_eq!(
        search,
        rest(&server, &format!("/api/v1/brands/{id1}/accounts?Userkey={userkey}")).await
    );
    assert_eq!(
        ok(&rpc
            .call1("accountSearch", json!([id1, {"Userkey": userkey}, key]))
            .await),
        &search
    );
    let account = ok(&rpc
        .call("accountLoad", json!({"brand": id1, "userkey": userkey, "session": key}))
        .await)
    .clone();
    assert_eq!(
        account,
        rest(&server, &format!("/api/v1/brands/{id1}/accounts/{userkey}")).await
    );
    assert_eq!(
        ok(&rpc.call1("accountLoad", json!([id1, userkey, key])).await),
        &account
    );
    let saved = ok(&rpc
        .call(
            "accountUpdate",
            json!({"brand": id1, "userkey": userkey, "account": {"account": "Acme Renamed"}, "session": key}),
        )
        .await)
    .clone();
    assert_eq!(saved["account"], "Acme Renamed");
    let again = ok(&rpc
        .call1("accountUpdate", json!([id1, userkey, {"account": "Acme Again"}, key]))
        .await)
    .clone();
    assert_eq!(again["account"], "Acme Again");
    assert_eq!(
        rest(&server, &format!("/api/v1/customers/{userkey}")).await["name"],
        "Acme Again"
    );

    // Deleting, and the session's end.
    assert_eq!(ok(&rpc.call1("brandDelete", json!([id2, key])).await), &json!(true));
    assert_eq!(
        code(&rpc.call("brandLoad", json!({"id": id2, "session": key})).await),
        -32004
    );
    assert_eq!(ok(&rpc.call("disconnect", json!({"session": key})).await), &json!(true));
    assert_eq!(code(&rpc.call("brandList", json!({"session": key})).await), -32001);
    server.shutdown().await;
}

#[tokio::test]
async fn the_spicecsm_path_is_the_same_api() {
    let server = TestServer::start().await;
    let spice = Rpc::at(&server, SPICE_PATH);
    let email = staff(&server, Role::Agent).await;
    let key = connect(&spice, &email).await;
    let brands = ok(&spice.call1("brandList", json!([key])).await).clone();
    assert_eq!(brands, rest(&server, "/api/v1/brands").await);
    // One session serves both paths.
    assert_eq!(
        ok(&Rpc::new(&server).call("brandList", json!({"session": key})).await),
        &brands
    );
    server.shutdown().await;
}

#[tokio::test]
async fn batches_answer_each_call_in_order_and_run_notifications_silently() {
    let server = TestServer::start().await;
    let rpc = Rpc::new(&server);
    let key = connect(&rpc, &staff(&server, Role::Admin).await).await;
    let department = server.department().await;
    let person = server.customer().await;
    let ticket = person
        .client
        .create_ticket(&new_ticket(department.id, "Batch"))
        .await
        .expect("ticket");
    let batch = json!([
        {"jsonrpc": "2.0", "method": "brandLoad", "params": {"id": department.brand_id, "session": key}, "id": "a"},
        {"method": "caseLoad", "params": [ticket.id, key], "id": "b"},
        {"jsonrpc": "2.0", "method": "caseDestroy", "params": [], "id": "c"},
        1,
        {"jsonrpc": "2.0", "method": "caseUpdate",
            "params": {"id": ticket.id, "message": "Sent as a notification.", "session": key}},
        {"jsonrpc": "2.0", "method": "caseLoad", "params": {"id": "seven", "session": key}, "id": "d"},
        {"jsonrpc": "2.0", "method": "caseLoad", "params": {"id": ticket.id}, "id": "e"},
        {"jsonrpc": "2.0", "method": "noSuchThing"}
    ]);
    let answers = rpc.post(&batch).await;
    let answers = answers.as_array().expect("a batch answer");
    let got: Vec<(Value, Option<i64>)> = answers
        .iter()
        .map(|a| (a["id"].clone(), a["error"]["code"].as_i64()))
        .collect();
    assert_eq!(
        got,
        vec![
            (json!("a"), None),
            (json!("b"), None),
            (json!("c"), Some(-32601)),
            (Value::Null, Some(-32600)),
            (json!("d"), Some(-32602)),
            (json!("e"), Some(-32001)),
        ],
        "{answers:?}"
    );
    assert_eq!(answers[0]["result"]["id"], department.brand_id);
    assert_eq!(answers[1]["result"]["id"], ticket.id);
    assert!(
        answers[1].get("jsonrpc").is_none() && answers[1]["error"].is_null(),
        "1.0 in kind"
    );
    let replies = person.client.replies(ticket.id).await.expect("replies");
    assert!(
        replies.data.iter().any(|r| r.message == "Sent as a notification."),
        "a notification runs"
    );

    // Only notifications: nothing to answer.
    let (status, body) = rpc
        .send(
            json!([{"jsonrpc": "2.0", "method": "brandList", "params": [key]}, {"method": "brandList", "params": [key], "id": null}])
                .to_string(),
        )
        .await;
    assert_eq!((status, body.as_str()), (StatusCode::NO_CONTENT, ""));
    let (status, body) = rpc
        .send(json!({"jsonrpc": "2.0", "method": "disconnect", "params": {"session": "whatever"}}).to_string())
        .await;
    assert_eq!((status, body.as_str()), (StatusCode::NO_CONTENT, ""));

    // A full batch is answered whole.
    let full: Vec<Value> = (0..MAX_BATCH)
        .map(|i| json!({"jsonrpc": "2.0", "method": "caseLoad", "params": [ticket.id, key], "id": i}))
        .collect();
    let answers = rpc.post(&Value::Array(full)).await;
    let answers = answers.as_array().expect("answers");
    assert_eq!(answers.len(), MAX_BATCH);
    assert!(
        answers
            .iter()
            .enumerate()
            .all(|(i, a)| a["id"] == i && a["result"]["id"] == ticket.id)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_batch_of_ten_thousand_is_refused_whole_at_once_without_running_a_call() {
    let server = TestServer::start().await;
    let rpc = Rpc::new(&server);
    let key = connect(&rpc, &staff(&server, Role::Admin).await).await;
    let prefix = unique("Flood");
    let flood: Vec<Value> = (0..10_000)
        .map(|i| {
            json!({"jsonrpc": "2.0", "method": "brandCreate",
                "params": {"name": format!("{prefix} {i}"), "session": key}, "id": i})
        })
        .collect();
    let started = Instant::now();
    let answer = rpc.post(&Value::Array(flood)).await;
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(code(&answer), -32600, "one error for the whole batch: {answer}");
    assert_eq!(answer["id"], Value::Null);
    let message = answer["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("at most 100") && message.contains("10000"),
        "{message}"
    );
    let brands = ok(&rpc.call("brandList", json!({"limit": 500, "session": key})).await).clone();
    assert!(!brands.to_string().contains(&prefix), "no call of the batch ran");
    let over: Vec<Value> = (0..=MAX_BATCH)
        .map(|i| json!({"method": "brandList", "params": [key], "id": i}))
        .collect();
    assert_eq!(code(&rpc.post(&Value::Array(over)).await), -32600, "one over the bound");
    server.shutdown().await;
}

#[tokio::test]
async fn garbage_and_malformed_calls_are_parse_errors_and_invalid_requests() {
    let server = TestServer::start().await;
    let rpc = Rpc::new(&server);
    for body in [
        &b"{"[..],
        b"",
        b"connect me",
        b"{\"method\": }",
        b"\xff\xfe\x00",
        b"[1, 2",
        b"{}{}",
    ] {
        let (status, text) = rpc.send(body.to_vec()).await;
        assert_eq!(status, StatusCode::OK, "{body:?}");
        let answer: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(code(&answer), -32700, "{body:?}: {answer}");
        assert_eq!(
            (answer["id"].clone(), answer["jsonrpc"].clone()),
            (Value::Null, json!("2.0"))
        );
    }
    for (body, id) in [
        (json!([]), Value::Null),
        (json!(42), Value::Null),
        (json!("brandList"), Value::Null),
        (json!({"jsonrpc": "1.0", "method": "brandList", "id": 1}), json!(1)),
        (json!({"jsonrpc": 2, "method": "brandList", "id": 1}), json!(1)),
        (json!({"jsonrpc": "2.0", "params": [], "id": 2}), json!(2)),
        (json!({"jsonrpc": "2.0", "method": 12, "id": 3}), json!(3)),
        (
            json!({"jsonrpc": "2.0", "method": "brandList", "params": "session", "id": 4}),
            json!(4),
        ),
        (json!({"jsonrpc": "2.0", "method": "brandList", "id": [5]}), Value::Null),
    ] {
        let answer = rpc.post(&body).await;
        assert_eq!(code(&answer), -32600, "{body}: {answer}");
        assert_eq!(answer["id"], id, "{body}");
    }
    let one = rpc.post(&json!({"method": ["x"], "id": 9})).await;
    assert_eq!(
        (code(&one), one["id"].clone(), one["result"].clone()),
        (-32600, json!(9), Value::Null)
    );
    let answers = rpc.post(&json!([1, "two"])).await;
    assert_eq!(answers.as_array().map(Vec::len), Some(2), "each entry answered");
    assert!(answers.as_array().expect("array").iter().all(|a| code(a) == -32600));
    let unknown = rpc
        .post(&json!({"jsonrpc": "2.0", "method": "caseDestroy", "params": {}, "id": 6}))
        .await;
    assert_eq!(code(&unknown), -32601);
    assert!(
        unknown["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("caseDestroy"))
    );
    // A body over the bound (4 MiB) is refused as JSON-RPC, not as HTTP.
    let huge = format!(
        "{{\"jsonrpc\":\"2.0\",\"method\":\"brandList\",\"params\":[\"{}\"],\"id\":1}}",
        "x".repeat(5 * 1024 * 1024)
    );
    let (status, text) = rpc.send(huge).await;
    assert_eq!(status, StatusCode::OK);
    let answer: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(code(&answer), -32600, "{answer}");
    // Other methods than POST are not the API's.
    let get = reqwest::get(format!("{}{PATH}", server.url)).await.expect("GET");
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
    server.shutdown().await;
}

#[tokio::test]
async fn params_of_the_wrong_type_count_or_name_and_refused_changes_are_errors_naming_why() {
    let server = TestServer::start().await;
    let rpc = Rpc::new(&server);
    let key = connect(&rpc, &staff(&server, Role::Admin).await).await;
    let department = server.department().await;
    let brand = department.brand_id;
    let cases = [
        ("caseLoad", json!({"id": "seven", "session": key}), "id"),
        ("caseLoad", json!({"session": key}), "id"),
        ("caseLoad", json!({"id": 1, "ticket": 1, "session": key}), "ticket"),
        ("caseLoad", json!([1, 2, key]), "params"),
        ("brandList", json!(["extra", key]), "params"),
        ("brandCreate", json!({"name": 5, "session": key}), "name"),
        ("brandCreate", json!({"name": "", "session": key}), "name"),
        ("brandUpdate", json!([brand, "greeting", key]), "fields"),
        (
            "brandUpdate",
            json!({"id": brand, "colour": "red", "session": key}),
            "colour",
        ),
        (
            "caseCreate",
            json!({"did": department.id, "message": "M", "session": key}),
            "title",
        ),
        ("caseCreate", json!([department.id, "T", "M", "four", key]), "user_id"),
        (
            "caseUpdate",
            json!({"id": 1, "message": "M", "internal": "yes", "session": key}),
            "internal",
        ),
        ("caseSearch", json!({"session": key}), "q"),
        (
            "caseSearch",
            json!({"q": "x", "status": "sleeping", "session": key}),
            "status",
        ),
        ("departmentList", json!({"brand": "one", "session": key}), "brand"),
        (
            "accountSearch",
            json!({"brand": brand, "Mobile": "555", "session": key}),
            "Mobile",
        ),
        ("accountSearch", json!({"brand": brand, "session": key}), "criteria"),
        ("accountUpdate", json!([brand, "1", "account", key]), "account"),
        (
            "accountUpdate",
            json!([brand, "1", {"account": 7}, key]),
            "account.account",
        ),
    ];
    for (method, params, field) in cases {
        let answer = rpc.call(method, params.clone()).await;
        assert_eq!(code(&answer), -32602, "{method} {params}: {answer}");
        assert!(
            error_fields(&answer).iter().any(|f| f == field),
            "{method} {params}: {answer}"
        );
    }
    let connect_bad = rpc
        .call1("connect", json!({"username": "a@example.com", "password": 31337}))
        .await;
    assert_eq!(code(&connect_bad), -32602);
    assert!(!connect_bad.to_string().contains("31337"), "a password never shows");

    // Refusals of the use cases.
    assert_eq!(code(&rpc.call1("caseLoad", json!([999_999, key])).await), -32004);
    assert_eq!(code(&rpc.call1("brandLoad", json!([999_999, key])).await), -32004);
    let in_use = rpc.call("brandDelete", json!({"id": brand, "session": key})).await;
    assert_eq!(code(&in_use), -32009, "{in_use}");
    assert_eq!(in_use["error"]["data"]["reason"], "conflict");
    let taken = rpc
        .call(
            "brandCreate",
            json!({"name": "Same", "slug": "same-slug", "session": key}),
        )
        .await;
    ok(&taken);
    let again = rpc
        .call(
            "brandCreate",
            json!({"name": "Same", "slug": "same-slug", "session": key}),
        )
        .await;
    assert_eq!(code(&again), -32009);
    // What an agent may not do is not found for them, as in the REST API.
    let agent = connect(&rpc, &staff(&server, Role::Agent).await).await;
    assert_eq!(
        code(&rpc.call("brandCreate", json!({"name": "Mine", "session": agent})).await),
        -32004
    );
    // A customer backend that does not answer.
    let webcall = rpc
        .call(
            "brandCreate",
            json!({"name": "Remote", "customer_backend": "webcall", "session": key,
                "webcall": {"search_url": "http://127.0.0.1:9/search", "load_url": "http://127.0.0.1:9/load",
                    "timeout_ms": 500}}),
        )
        .await;
    let remote = ok(&webcall)["id"].as_i64().expect("brand");
    let down = rpc
        .call(
            "accountSearch",
            json!({"brand": remote, "LastName": "Doe", "session": key}),
        )
        .await;
    assert_eq!(code(&down), -32010, "{down}");
    assert!(down["error"]["data"]["detail"].is_string(), "{down}");
    server.shutdown().await;
}

#[tokio::test]
async fn without_a_live_staff_session_every_method_but_connect_is_not_authenticated() {
    let server = TestServer::start().await;
    let rpc = Rpc::new(&server);
    for method in Method::ALL.iter().filter(|m| m.needs_session()) {
        for params in [
            json!({}),
            json!([]),
            Value::Null,
            json!({"session": "fd_unknown"}),
            json!([7, 7]),
        ] {
            let answer = rpc.call(method.name(), params.clone()).await;
            assert_eq!(code(&answer), -32001, "{method} {params}: {answer}");
        }
        assert_eq!(code(&rpc.call1(method.name(), json!(["fd_unknown"])).await), -32001);
    }
    // Wrong credentials, and an end user's right ones.
    let email = staff(&server, Role::Agent).await;
    let wrong = rpc
        .call("connect", json!({"username": email, "password": "not the password"}))
        .await;
    assert_eq!(code(&wrong), -32001);
    let (person, browser) = customer_browser(&server).await;
    let customer_email = person.end_user.email.clone().expect("email");
    let refused = rpc
        .call("connect", json!({"username": customer_email, "password": PASSWORD}))
        .await;
    assert_eq!(code(&refused), -32001, "JSON-RPC is for staff: {refused}");
    assert_eq!(refused["error"]["message"], wrong["error"]["message"], "the same words");
    let portal_key = browser.cookie("fd_session").expect("the end user's web session");
    assert_eq!(
        code(&rpc.call("caseSearch", json!({"q": "x", "session": portal_key})).await),
        -32001,
        "an end user's web session is no JSON-RPC session"
    );
    // A disconnected session is over, on every path.
    let key = connect(&rpc, &email).await;
    ok(&rpc.call1("brandList", json!([key])).await);
    assert_eq!(ok(&rpc.call1("disconnect", json!([key])).await), &json!(true));
    assert_eq!(code(&rpc.call1("brandList", json!([key])).await), -32001);
    assert_eq!(
        code(&Rpc::at(&server, SPICE_PATH).call1("brandList", json!([key])).await),
        -32001
    );
    assert_eq!(code(&rpc.call("disconnect", json!({"session": key})).await), -32001);
    server.shutdown().await;
}

#[tokio::test]
async fn connect_counts_against_the_login_limit() {
    let server = TestServer::start().await;
    let rpc = Rpc::new(&server);
    let email = staff(&server, Role::Agent).await;
    for _ in 0..5 {
        let answer = rpc.call1("connect", json!([email, "wrong password"])).await;
        assert_eq!(code(&answer), -32001);
    }
    let limited = rpc
        .call("connect", json!({"username": email, "password": PASSWORD}))
        .await;
    assert_eq!(code(&limited), -32029, "even the right password waits: {limited}");
    assert!(limited["error"]["data"]["retry_after"].as_u64().is_some_and(|s| s > 0));
    assert!(
        limited["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("try again"))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn an_idle_session_expires_like_a_browsers() {
    let server = TestServer::start_with(|s| s.session_idle_secs = 1).await;
    let rpc = Rpc::new(&server);
    let key = connect(&rpc, &staff(&server, Role::Agent).await).await;
    ok(&rpc.call("brandList", json!({"session": key})).await);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(code(&rpc.call("brandList", json!({"session": key})).await), -32001);
    server.shutdown().await;
}

/// Placeholders of the examples' requests (docs/integrations.md says what each stands for), each replaced
/// with its value's JSON text, quotes included.
const PLACEHOLDERS: [&str; 7] = [
    "SESSION_KEY",
    "BRAND_ID",
    "DEPARTMENT_ID",
    "USER_ID",
    "USERKEY",
    "NEW_BRAND_ID",
    "TICKET_ID",
];

/// The `json` blocks of the doc's "JSON-RPC API" section, in order.
fn doc_examples() -> Vec<String> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/integrations.md"))
        .expect("docs/integrations.md");
    let start = doc.find("\n## JSON-RPC API").expect("the JSON-RPC section");
    let section = &doc[start + 1..];
    let section = section[3..].find("\n## ").map_or(section, |end| &section[..end + 3]);
    let mut blocks = Vec::new();
    let mut rest = section;
    while let Some(open) = rest.find("```json\n") {
        let body = &rest[open + 8..];
        let close = body.find("\n```").expect("a closed block");
        blocks.push(body[..close].to_owned());
        rest = &body[close + 4..];
    }
    blocks
}

/// Whether `actual` has the shape of `documented`: the same kinds of value, objects with the same
/// members, arrays both empty or not with every element shaped like the documented first; `null` fits
/// anything (an optional value), and `jsonrpc` and error codes must be equal.
fn same_shape(documented: &Value, actual: &Value, path: &str) -> Result<(), String> {
    match (documented, actual) {
        (Value::Null, _) | (_, Value::Null) => Ok(()),
        (Value::Object(d), Value::Object(a)) => {
            let (dk, ak): (Vec<&String>, Vec<&String>) = (d.keys().collect(), a.keys().collect());
            if dk != ak {
                return Err(format!("{path}: members {dk:?} documented, {ak:?} answered"));
            }
            for (name, value) in d {
                let here = format!("{path}.{name}");
                if (name == "jsonrpc" || here.ends_with("error.code")) && value != &a[name] {
                    return Err(format!("{here}: {value} documented, {} answered", a[name]));
                }
                same_shape(value, &a[name], &here)?;
            }
            Ok(())
        }
        (Value::Array(d), Value::Array(a)) => {
            if d.is_empty() != a.is_empty() {
                return Err(format!("{path}: {} documented, {} answered", d.len(), a.len()));
            }
            if path.is_empty() {
                // A batch: its answers one for one.
                if d.len() != a.len() {
                    return Err(format!("{} answers documented, {} answered", d.len(), a.len()));
                }
                for (i, (dv, av)) in d.iter().zip(a).enumerate() {
                    same_shape(dv, av, &format!("[{i}]"))?;
                }
                return Ok(());
            }
            for (i, av) in a.iter().enumerate() {
                same_shape(&d[0], av, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Bool(_), Value::Bool(_))
        | (Value::Number(_), Value::Number(_))
        | (Value::String(_), Value::String(_)) => Ok(()),
        _ => Err(format!("{path}: {documented} documented, {actual} answered")),
    }
}

#[tokio::test]
async fn the_documented_examples_answer_as_documented() {
    let server = TestServer::start().await;
    let rpc = Rpc::new(&server);
    // What the examples start from (the doc says so): an admin with this email and password, a brand with
    // a department, and an end user.
    server
        .admin
        .create_staff(&NewStaff {
            email: "admin@example.com".into(),
            name: "Ada Admin".into(),
            role: Role::Admin,
            password: "correct horse battery staple".into(),
            department_ids: None,
        })
        .await
        .expect("the examples' admin");
    let department = server.department().await;
    let person = server.customer().await;
    let mut values: Vec<(&str, String)> = vec![
        ("BRAND_ID", department.brand_id.to_string()),
        ("DEPARTMENT_ID", department.id.to_string()),
        ("USER_ID", person.end_user.id.to_string()),
        ("USERKEY", json!(person.customer.id.to_string()).to_string()),
    ];
    let blocks = doc_examples();
    assert!(
        blocks.len() >= 2 && blocks.len().is_multiple_of(2),
        "request and answer pairs: {}",
        blocks.len()
    );
    for pair in blocks.chunks(2) {
        let (request, documented) = (&pair[0], &pair[1]);
        let mut text = request.clone();
        for name in PLACEHOLDERS {
            let quoted = format!("\"{name}\"");
            if !text.contains(&quoted) {
                continue;
            }
            let (_, value) = values
                .iter()
                .find(|(n, _)| *n == name)
                .unwrap_or_else(|| panic!("{name} is used before an example gives it:\n{request}"));
            text = text.replace(&quoted, value);
        }
        let sent: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("request is JSON ({e}):\n{request}"));
        let documented: Value =
            serde_json::from_str(documented).unwrap_or_else(|e| panic!("answer is JSON ({e}):\n{documented}"));
        let answer = rpc.post(&sent).await;
        if let Err(difference) = same_shape(&documented, &answer, "") {
            panic!("{difference}\nrequest:\n{request}\nanswered:\n{answer:#}");
        }
        // Later examples use what earlier ones made.
        let method = sent["method"].as_str().unwrap_or_default();
        let result = answer["result"].clone();
        match method {
            "connect" => values.push(("SESSION_KEY", result.to_string())),
            "brandCreate" => values.push(("NEW_BRAND_ID", result["id"].to_string())),
            "caseCreate" => values.push(("TICKET_ID", result["id"].to_string())),
            _ => {}
        }
    }
    server.shutdown().await;
}
