//! The bad inputs the foundation issue lists, each answered with a clear problem and nothing written.
use crate::*;
use serde_json::json;

async fn ticket_count(s: &TestServer) -> usize {
    s.admin
        .tickets(&TicketQuery {
            limit: Some(500),
            ..Default::default()
        })
        .await
        .expect("list")
        .data
        .len()
}

#[tokio::test]
async fn malformed_and_mistyped_json() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let raw = |body: &str| {
        s.admin
            .send_raw("POST", "/api/v1/tickets", "application/json", body.as_bytes().to_vec())
    };

    let p = assert_code(raw("{\"did\": 1, \"title\": ").await, ErrorCode::BadRequest);
    assert!(p.detail.expect("detail").contains("malformed JSON"));
    assert_code(raw("not json at all").await, ErrorCode::BadRequest);

    let p = assert_code(
        raw(&json!({"did": "one", "title": "t", "message": "m"}).to_string()).await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["did"]);
    let p = assert_code(
        raw(&json!({"did": dept.id, "title": ["t"], "message": "m"}).to_string()).await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["title"]);
    let p = assert_code(
        raw(&json!({"did": dept.id, "title": "t"}).to_string()).await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["message"]);
    let p = assert_code(
        raw(&json!({"did": dept.id, "title": "t", "message": "m", "priorty": 2}).to_string()).await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["priorty"], "unknown members are named");

    let p = assert_code(
        s.admin
            .send_raw("POST", "/api/v1/tickets", "text/plain", b"{}".to_vec())
            .await,
        ErrorCode::UnsupportedMediaType,
    );
    assert_eq!(p.status, 415);
    assert_eq!(ticket_count(&s).await, 0);
    s.shutdown().await;
}

#[tokio::test]
async fn priority_and_title_bounds() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let pat = s.customer().await;
    for priority in [0, 4, -1] {
        let body = json!({"did": dept.id, "title": "t", "message": "m", "priority": priority}).to_string();
        let p = assert_code(
            pat.client
                .send_raw("POST", "/api/v1/tickets", "application/json", body.into_bytes())
                .await,
            ErrorCode::ValidationFailed,
        );
        assert_eq!(fields(&p), ["priority"]);
        assert!(p.errors[0].message.contains("must be 1, 2 or 3"), "{p:?}");
    }
    for title in [String::new(), "   ".into(), "x".repeat(256)] {
        let p = assert_code(
            pat.client.create_ticket(&new_ticket(dept.id, &title)).await,
            ErrorCode::ValidationFailed,
        );
        assert_eq!(fields(&p), ["title"]);
    }
    pat.client
        .create_ticket(&new_ticket(dept.id, &"x".repeat(255)))
        .await
        .expect("255 characters is fine");
    pat.client
        .create_ticket(&new_ticket(dept.id, &"ü".repeat(255)))
        .await
        .expect("characters, not bytes");
    let p = assert_code(
        pat.client
            .create_ticket(&NewTicket {
                message: " ".into(),
                ..new_ticket(dept.id, "t")
            })
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["message"]);
    assert_eq!(ticket_count(&s).await, 2);
    s.shutdown().await;
}

#[tokio::test]
async fn unknown_department_or_user() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let pat = s.customer().await;
    let p = assert_code(
        pat.client.create_ticket(&new_ticket(999_999, "t")).await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["did"]);
    let p = assert_code(
        s.admin
            .create_ticket(&NewTicket {
                user_id: Some(999_999),
                ..new_ticket(dept.id, "t")
            })
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["user_id"]);
    let p = assert_code(
        s.admin
            .create_ticket(&NewTicket {
                customer_id: Some(999_999),
                email: Some("a@b.example".into()),
                ..new_ticket(dept.id, "t")
            })
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["customer_id"]);
    // A private department is unknown to customers.
    let private = s
        .admin
        .create_department(&NewDepartment {
            brand_id: dept.brand_id,
            name: "Internal".into(),
            public: Some(false),
            ..Default::default()
        })
        .await
        .expect("private department");
    assert_code(
        pat.client.create_ticket(&new_ticket(private.id, "t")).await,
        ErrorCode::ValidationFailed,
    );
    for staff_only in [
        NewTicket {
            customer_id: Some(pat.customer.id),
            ..new_ticket(dept.id, "t")
        },
        NewTicket {
            email: Some("x@y.example".into()),
            ..new_ticket(dept.id, "t")
        },
        NewTicket {
            assigned: Some(1),
            ..new_ticket(dept.id, "t")
        },
        NewTicket {
            account_key: Some("someone-else".into()),
            ..new_ticket(dept.id, "t")
        },
    ] {
        assert_code(pat.client.create_ticket(&staff_only).await, ErrorCode::ValidationFailed);
    }
    assert_eq!(ticket_count(&s).await, 0);
    assert!(
        s.admin
            .events(&EventQuery {
                entity: Some("ticket".into()),
                ..Default::default()
            })
            .await
            .expect("events")
            .data
            .is_empty()
    );
    s.shutdown().await;
}

#[tokio::test]
async fn oversized_body_is_413() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let body = json!({"did": dept.id, "title": "big", "message": "x".repeat(1024 * 1024 + 10)}).to_string();
    let p = assert_code(
        s.admin
            .send_raw("POST", "/api/v1/tickets", "application/json", body.into_bytes())
            .await,
        ErrorCode::PayloadTooLarge,
    );
    assert_eq!(p.status, 413);
    assert_eq!(ticket_count(&s).await, 0);
    s.shutdown().await;
}

#[tokio::test]
async fn sql_looking_and_non_latin_text_is_stored_verbatim() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let pat = s.customer().await;
    let texts = [
        "'; DROP TABLE tickets; --",
        "Robert'); DELETE FROM replies WHERE ('1'='1",
        "Привет, мир —日本語のチケット — مرحبا — 🎫✅",
        "  leading and trailing spaces  ",
        "tab\tand\nnewline \\ backslash \"quotes\" %_ wildcards",
    ];
    for text in texts {
        // A title is one line: tabs and line breaks belong to messages only.
        let title = text.replace(['\t', '\n'], " ");
        let t = pat
            .client
            .create_ticket(&NewTicket {
                message: text.into(),
                ..new_ticket(dept.id, &title)
            })
            .await
            .expect("create");
        let back = s.admin.ticket_with_replies(t.id).await.expect("get");
        assert_eq!(back.title, title);
        assert_eq!(back.replies.expect("replies")[0].message, text);
        let r = s
            .admin
            .reply(
                t.id,
                &NewReply {
                    message: text.into(),
                    internal: None,
                },
            )
            .await
            .expect("reply");
        assert_eq!(r.message, text);
    }
    assert_eq!(ticket_count(&s).await, texts.len());
    let found = s
        .admin
        .tickets(&TicketQuery {
            q: Some("日本語のチケット".into()),
            ..Default::default()
        })
        .await
        .expect("search");
    assert_eq!(found.data.len(), 1);
    s.shutdown().await;
}

#[tokio::test]
async fn fifty_concurrent_creates_all_succeed() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let pat = s.customer().await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let c = pat.client.clone();
        tasks.spawn(async move { c.create_ticket(&new_ticket(dept.id, &format!("concurrent {i}"))).await });
    }
    let mut ids = Vec::new();
    while let Some(done) = tasks.join_next().await {
        ids.push(done.expect("task").expect("create").id);
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 50);
    assert_eq!(ticket_count(&s).await, 50);
    s.shutdown().await;
}

#[tokio::test]
async fn routes_ids_and_methods() {
    let s = TestServer::start().await;
    assert_code(
        s.admin.get::<serde_json::Value>("/api/v1/nope").await,
        ErrorCode::NotFound,
    );
    assert_code(
        s.admin.get::<serde_json::Value>("/api/v1/tickets/abc").await,
        ErrorCode::NotFound,
    );
    assert_code(
        s.admin.get::<serde_json::Value>("/api/v1/tickets/-1").await,
        ErrorCode::NotFound,
    );
    assert_code(
        s.admin.put::<serde_json::Value, _>("/api/v1/tickets", &json!({})).await,
        ErrorCode::MethodNotAllowed,
    );
    assert_code(
        s.admin.get::<serde_json::Value>("/api/v1/tickets?limit=abc").await,
        ErrorCode::ValidationFailed,
    );
    s.shutdown().await;
}

/// One rule for `limit` on every list: 1 to 500 (search: 1 to 100), anything else is 422 naming `limit`.
#[tokio::test]
async fn limit_out_of_range_is_refused_by_every_list() {
    let s = TestServer::start().await;
    let pat = s.customer().await;
    for limit in [0, 501, 10_000] {
        let list = ListQuery {
            limit: Some(limit),
            ..Default::default()
        };
        let tickets = TicketQuery {
            limit: Some(limit),
            ..Default::default()
        };
        let events = EventQuery {
            limit: Some(limit),
            ..Default::default()
        };
        let answers = [
            s.admin.tickets(&tickets).await.map(|_| ()),
            s.admin.staff(&list).await.map(|_| ()),
            s.admin.tokens(&list).await.map(|_| ()),
            s.admin.brands(&list).await.map(|_| ()),
            s.admin.departments(&list).await.map(|_| ()),
            s.admin.customers(&list).await.map(|_| ()),
            s.admin.end_users(&list).await.map(|_| ()),
            s.admin.customer_end_users(pat.customer.id, &list).await.map(|_| ()),
            s.admin.end_user_tokens(pat.end_user.id, &list).await.map(|_| ()),
            s.admin.events(&events).await.map(|_| ()),
            s.admin.customer_events(pat.customer.id, &events).await.map(|_| ()),
        ];
        for answer in answers {
            let p = assert_code(answer, ErrorCode::ValidationFailed);
            assert_eq!(fields(&p), ["limit"], "limit={limit}");
        }
    }
    for limit in [0, 101] {
        let p = assert_code(
            s.admin
                .search(&SearchQuery {
                    q: "anything".into(),
                    limit: Some(limit),
                    ..Default::default()
                })
                .await,
            ErrorCode::ValidationFailed,
        );
        assert_eq!(fields(&p), ["limit"]);
    }
    let full = ListQuery {
        limit: Some(500),
        ..Default::default()
    };
    s.admin.brands(&full).await.expect("500 is allowed");
    s.shutdown().await;
}

/// NUL and other control characters are refused in every text field (422 naming it); messages keep
/// tabs and line breaks. A NUL in `q=` was a 500 on PostgreSQL.
#[tokio::test]
async fn control_characters_are_refused_in_text() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let pat = s.customer().await;

    for path in [
        "/api/v1/tickets?q=printer%00fire",
        "/api/v1/search?q=printer%00fire",
        "/api/v1/search?q=%1b%5b31m",
        "/api/v1/customers?cursor=%07",
    ] {
        let p = assert_code(
            s.admin.get::<serde_json::Value>(path).await,
            ErrorCode::ValidationFailed,
        );
        assert_eq!(p.errors.len(), 1, "{path}: {p:?}");
        assert!(["q", "cursor"].contains(&p.errors[0].field.as_str()), "{path}: {p:?}");
    }

    let raw = |client: &ferrodesk_client::Client, path: &'static str, body: serde_json::Value| {
        let client = client.clone();
        async move {
            client
                .send_raw("POST", path, "application/json", body.to_string().into_bytes())
                .await
        }
    };
    let p = assert_code(
        raw(
            &pat.client,
            "/api/v1/tickets",
            json!({"did": dept.id, "title": "a\u{0}b", "message": "bell\u{7}"}),
        )
        .await,
        ErrorCode::ValidationFailed,
    );
    let mut named = fields(&p);
    named.sort();
    assert_eq!(named, ["message", "title"]);
    let p = assert_code(
        raw(
            &s.admin,
            "/api/v1/customers",
            json!({"name": "Acme\u{1b}[2J", "tags": ["ok", "t\nag"]}),
        )
        .await,
        ErrorCode::ValidationFailed,
    );
    let mut named = fields(&p);
    named.sort();
    assert_eq!(named, ["name", "tags[1]"]);
    let p = assert_code(
        raw(
            &s.admin,
            "/api/v1/end-users",
            json!({"customer_id": pat.customer.id, "name": "Lee", "email": "lee\u{0}@example.com"}),
        )
        .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["email"]);
    // DEL and C1 controls may travel unescaped in JSON text.
    for raw_control in ["a\u{7f}b", "a\u{85}b"] {
        let body = format!(r#"{{"name": "{raw_control}"}}"#);
        let p = assert_code(
            s.admin
                .send_raw("POST", "/api/v1/customers", "application/json", body.into_bytes())
                .await,
            ErrorCode::ValidationFailed,
        );
        assert_eq!(fields(&p), ["name"]);
    }
    assert_eq!(ticket_count(&s).await, 0, "nothing written");

    // Multi-line text keeps tabs and line breaks.
    let ticket = raw(
        &pat.client,
        "/api/v1/tickets",
        json!({"did": dept.id, "title": "Printer", "message": "Line one\r\nLine two\n\tindented",
               "custom_fields": {"notes": "a\nb"}}),
    )
    .await
    .expect("multi-line message accepted");
    let id = ticket["id"].as_i64().expect("id");
    let got = s.admin.ticket_with_replies(id).await.expect("ticket");
    let first = &got.replies.expect("replies")[0];
    assert_eq!(first.message, "Line one\r\nLine two\n\tindented");
    s.shutdown().await;
}
