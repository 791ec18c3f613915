//! OAuth 2.0 client credentials (SPEC §2, issue 9 item 4): clients managed by admins, `POST /oauth/token`
//! as a form, JSON or with HTTP Basic, the TeamTools token endpoint as the real SDK calls it, expiry,
//! revocation, the CLI, and export/restore.
use crate::*;
use ferrodesk_client::{Client, TokenRequestStyle};
use serde_json::{Value, json};
use std::time::Duration;

/// A client of `role` made by the admin.
async fn new_client(s: &TestServer, name: &str, role: Option<Role>) -> CreatedOauthClient {
    s.admin
        .create_oauth_client(&NewOauthClient {
            name: name.into(),
            role,
            salt: None,
        })
        .await
        .expect("create OAuth client")
}

fn credentials(c: &CreatedOauthClient) -> OauthTokenRequest {
    OauthTokenRequest::client_credentials(&c.client_id, &c.client_secret)
}

/// The status and body of a refused token request.
#[track_caller]
fn refused<T: std::fmt::Debug>(result: Result<T, ferrodesk_client::Error>) -> (u16, Value) {
    match result {
        Err(ferrodesk_client::Error::Token { status, body }) => (status, body),
        other => panic!("expected a refused token request, got {other:?}"),
    }
}

/// An RFC 6749 §5.2 refusal: its status and `error` word.
#[track_caller]
fn assert_oauth_error<T: std::fmt::Debug>(result: Result<T, ferrodesk_client::Error>, status: u16, error: &str) {
    let (got, body) = refused(result);
    assert_eq!((got, body["error"].as_str()), (status, Some(error)), "{body}");
    assert!(body["error_description"].is_string(), "{body}");
    assert!(body.get("access_token").is_none(), "{body}");
}

/// A TeamTools refusal: its status and `error.code`, with a message the SDK shows.
#[track_caller]
fn assert_teamtools_error<T: std::fmt::Debug>(result: Result<T, ferrodesk_client::Error>, status: u16, code: &str) {
    let (got, body) = refused(result);
    assert_eq!((got, body["error"]["code"].as_str()), (status, Some(code)), "{body}");
    assert!(
        body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_are_admin_only_and_show_their_secret_once() {
    let s = TestServer::start().await;
    let created = new_client(&s, "  Billing sync ", None).await;
    assert_eq!((created.name.as_str(), created.role), ("Billing sync", Role::Agent));
    assert!(created.client_secret.starts_with("fdcs_") && created.client_secret.len() >= 40);
    assert_eq!(created.client_id.len(), 24);
    assert!(created.client_id.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(created.salt.len(), 32, "a random salt when none is given");
    let given = s
        .admin
        .create_oauth_client(&NewOauthClient {
            name: "Ops".into(),
            role: Some(Role::Admin),
            salt: Some("my salt".into()),
        })
        .await
        .expect("create");
    assert_eq!((given.role, given.salt.as_str()), (Role::Admin, "my salt"));
    assert_ne!(given.client_id, created.client_id);
    assert_ne!(given.client_secret, created.client_secret);

    // Listed and read without the secret or the salt.
    let listed = s.admin.oauth_clients(&ListQuery::default()).await.expect("list");
    assert_eq!(
        listed.data.iter().map(|c| c.id).collect::<Vec<_>>(),
        [given.id, created.id]
    );
    let one = s.admin.oauth_client(created.id).await.expect("get");
    assert_eq!(
        (one.name.as_str(), one.role, one.client_id.as_str(), one.created_by),
        ("Billing sync", Role::Agent, created.client_id.as_str(), None)
    );
    for shown in [
        s.admin.get::<Value>("/api/v1/oauth-clients").await.expect("list"),
        s.admin
            .get::<Value>(&format!("/api/v1/oauth-clients/{}", created.id))
            .await
            .expect("get"),
        s.admin
            .get::<Value>("/api/v1/events?type=oauth_client")
            .await
            .expect("events"),
    ] {
        let text = shown.to_string();
        for secret in [&created.client_secret, &given.client_secret, &given.salt, &created.salt] {
            assert!(!text.contains(secret.as_str()), "{secret} shown in {text}");
        }
    }
    let page = s
        .admin
        .oauth_clients(&ListQuery {
            limit: Some(1),
            ..Default::default()
        })
        .await
        .expect("page");
    assert_eq!(page.data.len(), 1);
    let rest = s
        .admin
        .oauth_clients(&ListQuery {
            limit: Some(1),
            cursor: page.next_cursor,
            ..Default::default()
        })
        .await
        .expect("next page");
    assert_eq!(rest.data.iter().map(|c| c.id).collect::<Vec<_>>(), [created.id]);

    // Creation wrote its event, naming the acting token.
    let events = s
        .admin
        .events(&EventQuery {
            entity: Some("oauth_client".into()),
            entity_id: Some(created.id),
            ..Default::default()
        })
        .await
        .expect("events");
    let [event] = &events.data[..] else {
        panic!("one event: {events:?}");
    };
    assert_eq!(
        (event.action, event.data.entity),
        (EventAction::Created, EntityType::OauthClient)
    );
    assert_eq!(event.data.value["client_id"], json!(created.client_id));
    assert_eq!(event.member_type.as_deref(), Some("token"));

    // Agents and end users never learn the routes exist; nobody else gets in.
    let agent = s.agent().await;
    let pat = s.customer().await;
    for who in [&agent, &pat.client] {
        assert_code(
            who.create_oauth_client(&NewOauthClient {
                name: "x".into(),
                ..Default::default()
            })
            .await,
            ErrorCode::NotFound,
        );
        assert_code(who.oauth_clients(&ListQuery::default()).await, ErrorCode::NotFound);
        assert_code(who.oauth_client(created.id).await, ErrorCode::NotFound);
        assert_code(who.delete_oauth_client(created.id).await, ErrorCode::NotFound);
    }
    assert_code(
        s.anonymous().oauth_clients(&ListQuery::default()).await,
        ErrorCode::Unauthenticated,
    );
    assert_code(s.admin.oauth_client(created.id + 100).await, ErrorCode::NotFound);

    // Bad input names its field.
    let p = assert_code(
        s.admin
            .create_oauth_client(&NewOauthClient {
                name: " ".into(),
                role: Some(Role::EndUser),
                salt: Some(String::new()),
            })
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["name", "role", "salt"]);
    let p = assert_code(
        s.admin
            .send_raw(
                "POST",
                "/api/v1/oauth-clients",
                "application/json",
                br#"{"name": "x", "secret": "mine"}"#.to_vec(),
            )
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["secret"]);
    assert_eq!(
        s.admin
            .oauth_clients(&ListQuery::default())
            .await
            .expect("list")
            .data
            .len(),
        2,
        "nothing was written by refused requests"
    );
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_by_form_json_basic_and_teamtools_act_with_the_clients_role() {
    let s = TestServer::start().await;
    let agent_client = new_client(&s, "Sync", None).await;
    let admin_client = new_client(&s, "Ops", Some(Role::Admin)).await;
    let anonymous = s.anonymous();
    let request = credentials(&agent_client);

    let mut tokens = Vec::new();
    for style in [
        TokenRequestStyle::Form,
        TokenRequestStyle::Json,
        TokenRequestStyle::Basic,
    ] {
        tokens.push(anonymous.oauth_token(&request, style).await.expect("token"));
    }
    // Exactly the bytes the TeamTools PHP SDK sends (json_encode of its three members), with and
    // without the trailing slash, and a form body too.
    let sdk_body = format!(
        r#"{{"client_id":"{}","client_secret":"{}","grant_type":"client_credentials"}}"#,
        agent_client.client_id, agent_client.client_secret
    );
    for path in ["/teamtools/access_token", "/teamtools/access_token/"] {
        tokens.push(
            anonymous
                .token_request_raw(path, "application/json", sdk_body.clone().into_bytes())
                .await
                .expect("TeamTools token"),
        );
    }
    let form_body = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        agent_client.client_id, agent_client.client_secret
    );
    tokens.push(
        anonymous
            .token_request_raw(
                "/teamtools/access_token",
                "application/x-www-form-urlencoded",
                form_body.into_bytes(),
            )
            .await
            .expect("TeamTools token from a form"),
    );
    tokens.push(
        anonymous
            .teamtools_access_token(&agent_client.client_id, &agent_client.client_secret)
            .await
            .expect("TeamTools token"),
    );
    for token in &tokens {
        assert_eq!(token.token_type, "Bearer");
        assert_eq!(token.expires_in, 30 * 24 * 60 * 60, "30 days by default");
        assert!(token.access_token.starts_with("fdat_"));
        let me = s.client(&token.access_token).me().await.expect("the token works");
        assert_eq!(
            (me.kind.as_str(), me.id, me.role, me.name.as_str()),
            ("oauth_client", agent_client.id, Role::Agent, "Sync")
        );
    }
    let mut distinct: Vec<&str> = tokens.iter().map(|t| t.access_token.as_str()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), tokens.len(), "every request gets a token of its own");

    // An agent client does what agents do, and nothing more (404, never 403).
    let agent = s.client(&tokens[0].access_token);
    let customer = agent
        .create_customer(&NewCustomer {
            name: unique("Acme"),
            ..Default::default()
        })
        .await
        .expect("agents create customers");
    assert!(
        agent
            .customers(&ListQuery::default())
            .await
            .expect("customers")
            .data
            .iter()
            .any(|c| c.id == customer.id)
    );
    let events = s
        .admin
        .events(&EventQuery {
            entity: Some("customer".into()),
            entity_id: Some(customer.id),
            ..Default::default()
        })
        .await
        .expect("events");
    assert_eq!(
        (events.data[0].member_id, events.data[0].member_type.as_deref()),
        (Some(agent_client.id), Some("oauth_client")),
        "the event log names the client"
    );
    let staff = NewStaff {
        email: "new.agent@example.com".into(),
        name: "New".into(),
        role: Role::Agent,
        password: "long enough password".into(),
        department_ids: None,
    };
    assert_code(agent.create_staff(&staff).await, ErrorCode::NotFound);
    assert_code(agent.oauth_clients(&ListQuery::default()).await, ErrorCode::NotFound);

    // An admin client may.
    let admin_token = anonymous
        .oauth_token(&credentials(&admin_client), TokenRequestStyle::Json)
        .await
        .expect("token");
    let admin = s.client(&admin_token.access_token);
    assert_eq!(admin.me().await.expect("me").role, Role::Admin);
    admin.create_staff(&staff).await.expect("admins create staff");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_and_malformed_requests_are_refused() {
    let s = TestServer::start().await;
    let c = new_client(&s, "Sync", None).await;
    let anonymous = s.anonymous();
    let wrong_secret = format!("{}x", c.client_secret);
    for style in [
        TokenRequestStyle::Form,
        TokenRequestStyle::Json,
        TokenRequestStyle::Basic,
    ] {
        let wrong = OauthTokenRequest::client_credentials(&c.client_id, &wrong_secret);
        assert_oauth_error(anonymous.oauth_token(&wrong, style).await, 401, "invalid_client");
        let unknown = OauthTokenRequest::client_credentials("000000000000000000000000", &c.client_secret);
        assert_oauth_error(anonymous.oauth_token(&unknown, style).await, 401, "invalid_client");
        // Another client's secret is no secret of this one.
        let other = new_client(&s, &unique("Other"), None).await;
        let swapped = OauthTokenRequest::client_credentials(&c.client_id, &other.client_secret);
        assert_oauth_error(anonymous.oauth_token(&swapped, style).await, 401, "invalid_client");
    }
    assert_teamtools_error(
        anonymous.teamtools_access_token(&c.client_id, &wrong_secret).await,
        401,
        "unauthenticated",
    );
    // Nothing a refused request could have handed out works.
    for guess in [wrong_secret.as_str(), c.client_secret.as_str(), "fdat_not_a_token"] {
        assert_code(s.client(guess).me().await, ErrorCode::Unauthenticated);
    }

    // The answers are never cached, and a 401 says how to authenticate.
    let raw = reqwest::Client::new()
        .post(format!("{}/oauth/token", s.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&client_id=x&client_secret=y")
        .send()
        .await
        .expect("send");
    assert_eq!(raw.status(), 401);
    assert_eq!(raw.headers()["cache-control"], "no-store");
    assert!(raw.headers().contains_key("www-authenticate"));

    // Protocol errors (RFC 6749 §5.2).
    let mut request = credentials(&c);
    request.grant_type = Some("password".into());
    assert_oauth_error(
        anonymous.oauth_token(&request, TokenRequestStyle::Form).await,
        400,
        "unsupported_grant_type",
    );
    assert_teamtools_error(
        anonymous
            .token_request_raw(
                "/teamtools/access_token",
                "application/json",
                json!({"client_id": c.client_id, "client_secret": c.client_secret, "grant_type": "password"})
                    .to_string()
                    .into_bytes(),
            )
            .await,
        400,
        "bad_request",
    );
    for missing in ["grant_type", "client_id", "client_secret"] {
        let mut request = credentials(&c);
        match missing {
            "grant_type" => request.grant_type = None,
            "client_id" => request.client_id = None,
            _ => request.client_secret = None,
        }
        for style in [TokenRequestStyle::Form, TokenRequestStyle::Json] {
            let (status, body) = refused(anonymous.oauth_token(&request, style).await);
            assert_eq!(
                (status, body["error"].as_str()),
                (400, Some("invalid_request")),
                "{missing}"
            );
            assert!(
                body["error_description"].as_str().is_some_and(|d| d.contains(missing)),
                "{body}"
            );
        }
        let body = serde_json::to_vec(&request).expect("json");
        assert_teamtools_error(
            anonymous
                .token_request_raw("/teamtools/access_token", "application/json", body)
                .await,
            400,
            "bad_request",
        );
    }
    let form = "application/x-www-form-urlencoded";
    let twice = format!(
        "grant_type=client_credentials&client_id={0}&client_id={0}&client_secret={1}",
        c.client_id, c.client_secret
    );
    for (content_type, body) in [
        ("application/json", b"{\"client_id\": ".to_vec()),
        ("application/json", b"[\"client_credentials\"]".to_vec()),
        ("text/plain", b"client_id=a".to_vec()),
        (form, twice.into_bytes()),
    ] {
        assert_oauth_error(
            anonymous.token_request_raw("/oauth/token", content_type, body).await,
            400,
            "invalid_request",
        );
    }
    // Basic credentials and a body secret at once: one way of authenticating only.
    let both = reqwest::Client::new()
        .post(format!("{}/oauth/token", s.url))
        .basic_auth(&c.client_id, Some(&c.client_secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=client_credentials&client_secret={}",
            c.client_secret
        ))
        .send()
        .await
        .expect("send");
    assert_eq!(both.status(), 400);
    // A body over the limit is 413 before it is read.
    assert_code(
        anonymous
            .token_request_raw("/oauth/token", form, vec![b'a'; 2 * 1024 * 1024])
            .await,
        ErrorCode::PayloadTooLarge,
    );
    // A GET is no token request, and nothing redirects.
    let get = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(format!("{}/teamtools/access_token", s.url))
        .send()
        .await
        .expect("send");
    assert_eq!(get.status(), 405);
    // After all that, the right credentials still work.
    anonymous
        .oauth_token(&credentials(&c), TokenRequestStyle::Form)
        .await
        .expect("token");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_tokens_are_refused() {
    let s = TestServer::start_with(|settings| settings.oauth_token_ttl = 1).await;
    let c = new_client(&s, "Short-lived", None).await;
    let token = s
        .anonymous()
        .oauth_token(&credentials(&c), TokenRequestStyle::Json)
        .await
        .expect("token");
    assert_eq!(token.expires_in, 1);
    let client = s.client(&token.access_token);
    client.me().await.expect("works while fresh");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_code(client.me().await, ErrorCode::Unauthenticated);
    assert_code(
        client.customers(&ListQuery::default()).await,
        ErrorCode::Unauthenticated,
    );
    // The client simply asks again (and its expired token is cleaned up meanwhile).
    let fresh = s
        .anonymous()
        .teamtools_access_token(&c.client_id, &c.client_secret)
        .await
        .expect("a new token");
    s.client(&fresh.access_token).me().await.expect("the new token works");
    assert_code(client.me().await, ErrorCode::Unauthenticated);
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_client_ends_its_tokens() {
    let s = TestServer::start().await;
    let c = new_client(&s, "Doomed", None).await;
    let keep = new_client(&s, "Kept", None).await;
    let anonymous = s.anonymous();
    let mut tokens: Vec<Client> = Vec::new();
    for style in [TokenRequestStyle::Form, TokenRequestStyle::Basic] {
        let token = anonymous.oauth_token(&credentials(&c), style).await.expect("token");
        tokens.push(s.client(&token.access_token));
    }
    let kept = s.client(
        &anonymous
            .oauth_token(&credentials(&keep), TokenRequestStyle::Json)
            .await
            .expect("token")
            .access_token,
    );
    for t in &tokens {
        t.me().await.expect("works before the delete");
    }
    s.admin.delete_oauth_client(c.id).await.expect("delete");
    for t in &tokens {
        assert_code(t.me().await, ErrorCode::Unauthenticated);
    }
    kept.me().await.expect("another client's token still works");
    assert_oauth_error(
        anonymous.oauth_token(&credentials(&c), TokenRequestStyle::Form).await,
        401,
        "invalid_client",
    );
    assert_code(s.admin.oauth_client(c.id).await, ErrorCode::NotFound);
    assert_code(s.admin.delete_oauth_client(c.id).await, ErrorCode::NotFound);
    let events = s
        .admin
        .events(&EventQuery {
            entity: Some("oauth_client".into()),
            entity_id: Some(c.id),
            ..Default::default()
        })
        .await
        .expect("events");
    let actions: Vec<EventAction> = events.data.iter().map(|e| e.action).collect();
    assert_eq!(actions, [EventAction::Deleted, EventAction::Created]);
    assert_eq!(events.data[0].data.old["name"], json!("Doomed"));
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_creates_a_client_whose_credentials_work() {
    let (db, dir) = fresh_database().await;
    let help = crate::process::ferrodesk(&["oauth-client", "create", "--help"])
        .output()
        .expect("help");
    assert!(String::from_utf8_lossy(&help.stdout).contains("--salt"));
    let refused = crate::process::ferrodesk(&[
        "oauth-client",
        "create",
        "--database-url",
        &db,
        "--name",
        "Portal",
        "--role",
        "end_user",
    ])
    .output()
    .expect("run");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("admin or agent"));

    let out = crate::process::ferrodesk(&[
        "oauth-client",
        "create",
        "--database-url",
        &db,
        "--name",
        "TeamTools SDK",
        "--role",
        "admin",
        "--salt",
        "pepper",
    ])
    .output()
    .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| -> String {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| panic!("{name} printed: {text}"))
    };
    let (id, client_id, secret) = (field("id"), field("client_id"), field("client_secret"));
    assert_eq!(field("salt"), "pepper");
    assert!(secret.starts_with("fdcs_"), "{text}");

    let s = TestServer::start_on(db, dir, |_| {}).await;
    let listed = s.admin.oauth_clients(&ListQuery::default()).await.expect("list");
    assert_eq!(
        listed
            .data
            .iter()
            .map(|c| (c.id.to_string(), c.client_id.clone(), c.role))
            .collect::<Vec<_>>(),
        [(id, client_id.clone(), Role::Admin)]
    );
    let token = s
        .anonymous()
        .teamtools_access_token(&client_id, &secret)
        .await
        .expect("token");
    let me = s.client(&token.access_token).me().await.expect("me");
    assert_eq!((me.role, me.name.as_str()), (Role::Admin, "TeamTools SDK"));
    let events = s
        .admin
        .events(&EventQuery {
            entity: Some("oauth_client".into()),
            ..Default::default()
        })
        .await
        .expect("events");
    assert_eq!(events.data[0].source, EventSource::System, "{events:?}");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_and_restore_carry_clients_and_their_tokens() {
    let scratch = temp_dir();
    let source_url = crate::transfer::sqlite_url(&scratch.path().join("a"));
    let source = TestServer::start_on(source_url.clone(), None, |_| {}).await;
    let c = new_client(&source, "Moved", Some(Role::Admin)).await;
    let token = source
        .anonymous()
        .oauth_token(&credentials(&c), TokenRequestStyle::Form)
        .await
        .expect("token");
    let before = source.admin.oauth_clients(&ListQuery::default()).await.expect("list");
    let file = scratch.path().join("copy.jsonl.gz");
    crate::transfer::export(&source_url, &file);
    source.shutdown().await;

    // Into the other backend when the suite runs on PostgreSQL.
    let (target_url, target_dir) = fresh_database().await;
    crate::transfer::restore(&target_url, &file);
    let target = TestServer::start_on(target_url, target_dir, |_| {}).await;
    let after = target.admin.oauth_clients(&ListQuery::default()).await.expect("list");
    assert_eq!(after.data, before.data);
    let me = target
        .client(&token.access_token)
        .me()
        .await
        .expect("a restored access token still works");
    assert_eq!((me.kind.as_str(), me.id), ("oauth_client", c.id));
    target
        .anonymous()
        .oauth_token(&credentials(&c), TokenRequestStyle::Basic)
        .await
        .expect("the restored secret hash still checks the secret");
    let newer = new_client(&target, "After the move", None).await;
    assert!(newer.id > c.id, "ids go on after the restored ones");
    target.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_the_oauth_routes() {
    let s = TestServer::start().await;
    let spec: Value = s.anonymous().get("/api/openapi.json").await.expect("openapi");
    for (path, method) in [
        ("/api/v1/oauth-clients", "post"),
        ("/api/v1/oauth-clients", "get"),
        ("/api/v1/oauth-clients/{id}", "get"),
        ("/api/v1/oauth-clients/{id}", "delete"),
        ("/oauth/token", "post"),
    ] {
        assert!(
            spec["paths"][path].get(method).is_some(),
            "{method} {path} is documented"
        );
    }
    let token = &spec["paths"]["/oauth/token"]["post"];
    let content = &token["requestBody"]["content"];
    assert!(
        content.get("application/x-www-form-urlencoded").is_some() && content.get("application/json").is_some(),
        "{token}"
    );
    assert_eq!(
        token["security"],
        json!([{}]),
        "the token endpoint needs no bearer token"
    );
    for schema in [
        "CreatedOauthClient",
        "OauthClient",
        "AccessToken",
        "OauthError",
        "OauthTokenRequest",
    ] {
        assert!(spec["components"]["schemas"].get(schema).is_some(), "{schema}");
    }
    s.shutdown().await;
}
