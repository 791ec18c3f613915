//! Configuring a brand for web calls: the settings are checked, the integration password is masked everywhere and kept, private addresses need the setting; the connection test; tickets keep their account key.
use super::*;

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
