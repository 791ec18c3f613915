//! Principals, tokens and roles (SPEC §2).
use crate::*;

#[tokio::test]
async fn missing_or_bad_credentials_are_401() {
    let s = TestServer::start().await;
    assert_code(s.anonymous().me().await, ErrorCode::Unauthenticated);
    assert_code(s.client("fd_not_a_real_token").me().await, ErrorCode::Unauthenticated);
    assert_code(
        s.client("garbage").tickets(&TicketQuery::default()).await,
        ErrorCode::Unauthenticated,
    );
    let me = s.admin.me().await.expect("bootstrap token works");
    assert_eq!((me.kind.as_str(), me.role), ("token", Role::Admin));
    s.shutdown().await;
}

#[tokio::test]
async fn tokens_are_shown_once_listed_without_secret_and_revoked_at_once() {
    let s = TestServer::start().await;
    let created = s
        .admin
        .create_token(&NewToken {
            name: "ci".into(),
            role: Role::Agent,
            end_user_id: None,
        })
        .await
        .expect("create");
    assert!(created.token.starts_with("fd_") && created.token.len() >= 40);
    let agent = s.client(&created.token);
    assert_eq!(agent.me().await.expect("me").role, Role::Agent);

    let listed = s.admin.tokens(&ListQuery::default()).await.expect("list");
    let raw = serde_json::to_string(&listed.data).expect("json");
    assert!(!raw.contains(&created.token), "secrets are never listed");
    assert!(listed.data.iter().any(|t| t.id == created.id && t.name == "ci"));

    s.admin.delete_token(created.id).await.expect("revoke");
    assert_code(agent.me().await, ErrorCode::Unauthenticated);
    assert_code(s.admin.delete_token(created.id).await, ErrorCode::NotFound);
    s.shutdown().await;
}

#[tokio::test]
async fn token_rules() {
    let s = TestServer::start().await;
    let pat = s.customer().await;
    let p = assert_code(
        s.admin
            .create_token(&NewToken {
                name: "x".into(),
                role: Role::EndUser,
                end_user_id: None,
            })
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["end_user_id"]);
    let p = assert_code(
        s.admin
            .create_token(&NewToken {
                name: "x".into(),
                role: Role::Agent,
                end_user_id: Some(pat.end_user.id),
            })
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["end_user_id"]);
    assert_code(
        s.admin
            .create_token(&NewToken {
                name: " ".into(),
                role: Role::Agent,
                end_user_id: None,
            })
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_code(
        s.admin
            .create_token(&NewToken {
                name: "x".into(),
                role: Role::EndUser,
                end_user_id: Some(999_999),
            })
            .await,
        ErrorCode::ValidationFailed,
    );
    let t = s
        .admin
        .create_token(&NewToken {
            name: "pat".into(),
            role: Role::EndUser,
            end_user_id: Some(pat.end_user.id),
        })
        .await
        .expect("end user token");
    let me = s.client(&t.token).me().await.expect("me");
    assert_eq!(
        (me.kind.as_str(), me.id, me.customer_id),
        ("end_user", pat.end_user.id, Some(pat.customer.id))
    );
    s.shutdown().await;
}

#[tokio::test]
async fn agents_and_end_users_cannot_reach_admin_things() {
    let s = TestServer::start().await;
    let agent = s.agent().await;
    let pat = s.customer().await;
    let token = NewToken {
        name: "x".into(),
        role: Role::Admin,
        end_user_id: None,
    };
    let staff = NewStaff {
        email: "x@example.com".into(),
        name: "X".into(),
        role: Role::Admin,
        password: "long enough pw".into(),
        department_ids: None,
    };
    for who in [&agent, &pat.client] {
        assert_code(who.create_token(&token).await, ErrorCode::NotFound);
        assert_code(who.tokens(&ListQuery::default()).await, ErrorCode::NotFound);
        assert_code(who.create_staff(&staff).await, ErrorCode::NotFound);
        assert_code(who.staff(&ListQuery::default()).await, ErrorCode::NotFound);
        assert_code(who.events(&EventQuery::default()).await, ErrorCode::NotFound);
        assert_code(
            who.create_brand(&NewBrand {
                name: "B".into(),
                ..Default::default()
            })
            .await,
            ErrorCode::NotFound,
        );
    }
    // End users cannot reach the staff side of the customer database either.
    assert_code(pat.client.customers(&ListQuery::default()).await, ErrorCode::NotFound);
    assert_code(
        pat.client
            .create_customer(&NewCustomer {
                name: "C".into(),
                ..Default::default()
            })
            .await,
        ErrorCode::NotFound,
    );
    assert_code(pat.client.brands(&ListQuery::default()).await, ErrorCode::NotFound);
    agent
        .customers(&ListQuery::default())
        .await
        .expect("agents work with customers");
    s.shutdown().await;
}

#[tokio::test]
async fn deleted_end_users_lose_access() {
    let s = TestServer::start().await;
    let pat = s.customer().await;
    pat.client.me().await.expect("works");
    s.admin.delete_end_user(pat.end_user.id).await.expect("soft delete");
    assert_code(pat.client.me().await, ErrorCode::Unauthenticated);
    s.admin.restore_end_user(pat.end_user.id).await.expect("restore");
    pat.client.me().await.expect("works again");
    s.admin.delete_customer(pat.customer.id).await.expect("delete customer");
    assert_code(pat.client.me().await, ErrorCode::Unauthenticated);
    s.shutdown().await;
}

#[tokio::test]
async fn staff_accounts() {
    let s = TestServer::start().await;
    let a = s
        .admin
        .create_staff(&NewStaff {
            email: "Ann@Example.com".into(),
            name: "Ann".into(),
            role: Role::Admin,
            password: "long enough pw".into(),
            department_ids: None,
        })
        .await
        .expect("create");
    assert_eq!(a.email, "ann@example.com");
    let dup = NewStaff {
        email: "ann@example.com".into(),
        name: "Ann 2".into(),
        role: Role::Agent,
        password: "long enough pw".into(),
        department_ids: None,
    };
    assert_code(s.admin.create_staff(&dup).await, ErrorCode::Conflict);
    let p = assert_code(
        s.admin
            .create_staff(&NewStaff {
                email: "nope".into(),
                name: "".into(),
                role: Role::EndUser,
                password: "short".into(),
                department_ids: None,
            })
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["email", "name", "role", "password"]);
    let b = s
        .admin
        .update_staff(
            a.id,
            &StaffPatch {
                role: Some(Role::Agent),
                ..Default::default()
            },
        )
        .await;
    assert_code(b, ErrorCode::Conflict);
    let b = s
        .admin
        .create_staff(&NewStaff {
            email: "bob@example.com".into(),
            name: "Bob".into(),
            role: Role::Agent,
            password: "long enough pw".into(),
            department_ids: None,
        })
        .await
        .expect("bob");
    let promoted = s
        .admin
        .update_staff(
            b.id,
            &StaffPatch {
                role: Some(Role::Admin),
                name: Some("Robert".into()),
                ..Default::default()
            },
        )
        .await
        .expect("promote");
    assert_eq!((promoted.role, promoted.name.as_str()), (Role::Admin, "Robert"));
    s.admin.delete_staff(a.id).await.expect("no longer the last admin");
    assert_code(s.admin.delete_staff(b.id).await, ErrorCode::Conflict);
    assert_eq!(s.admin.staff(&ListQuery::default()).await.expect("list").data.len(), 1);
    s.shutdown().await;
}

#[tokio::test]
async fn an_end_users_tokens_are_listed_without_secrets() {
    let s = TestServer::start().await;
    let pat = s.customer().await;
    let other = s.customer().await;
    let first = s
        .admin
        .create_end_user_token(pat.end_user.id, Some("phone"))
        .await
        .expect("token");
    let second = s
        .admin
        .create_end_user_token(pat.end_user.id, None)
        .await
        .expect("token");
    s.admin
        .create_end_user_token(other.end_user.id, Some("elsewhere"))
        .await
        .expect("token");

    let listed = s
        .admin
        .end_user_tokens(pat.end_user.id, &ListQuery::default())
        .await
        .expect("list");
    let ids: Vec<i64> = listed.data.iter().map(|t| t.id).collect();
    // `s.customer()` gives each end user a token of their own (the oldest).
    assert_eq!(&ids[..2], [second.id, first.id]);
    assert!(listed.data.iter().all(|t| t.end_user_id == Some(pat.end_user.id)));
    let raw = serde_json::to_string(&listed.data).expect("json");
    assert!(
        !raw.contains(&first.token) && !raw.contains(&second.token),
        "secrets are never listed"
    );
    let one = s
        .admin
        .end_user_tokens(
            pat.end_user.id,
            &ListQuery {
                limit: Some(1),
                ..Default::default()
            },
        )
        .await
        .expect("page");
    assert_eq!((one.data.len(), one.next_cursor.is_some()), (1, true));

    assert_code(
        s.admin.end_user_tokens(999_999, &ListQuery::default()).await,
        ErrorCode::NotFound,
    );
    let bad = ListQuery {
        limit: Some(0),
        ..Default::default()
    };
    assert_code(
        s.admin.end_user_tokens(pat.end_user.id, &bad).await,
        ErrorCode::ValidationFailed,
    );
    for who in [&s.agent().await, &pat.client] {
        assert_code(
            who.end_user_tokens(pat.end_user.id, &ListQuery::default()).await,
            ErrorCode::NotFound,
        );
    }
    s.shutdown().await;
}

/// A route the principal may not use is 404 before its body is looked at: a body that would fail
/// validation must not reveal the route's fields (an agent's `PATCH /api/v1/staff/1` was 422).
#[tokio::test]
async fn refused_routes_are_404_before_the_body_is_validated() {
    let s = TestServer::start().await;
    let agent = s.agent().await;
    let pat = s.customer().await;
    let dept = s.department().await;
    let ticket = pat
        .client
        .create_ticket(&new_ticket(dept.id, "Printer"))
        .await
        .expect("ticket");
    let bad = br#"{"no_such_field": ["x"], "name": 5, "email": 7}"#.to_vec();
    let c = pat.customer.id;
    let u = pat.end_user.id;
    let b = dept.brand_id;
    let d = dept.id;
    let t = ticket.id;
    let admin_only = [
        ("POST", "/api/v1/staff".to_owned()),
        ("PATCH", "/api/v1/staff/1".to_owned()),
        ("POST", "/api/v1/tokens".to_owned()),
        ("POST", "/api/v1/brands".to_owned()),
        ("PATCH", format!("/api/v1/brands/{b}")),
        ("POST", "/api/v1/departments".to_owned()),
        ("PATCH", format!("/api/v1/departments/{d}")),
        ("POST", format!("/api/v1/end-users/{u}/tokens")),
    ];
    let staff_only = [
        ("POST", "/api/v1/customers".to_owned()),
        ("PATCH", format!("/api/v1/customers/{c}")),
        ("POST", "/api/v1/end-users".to_owned()),
        ("PATCH", format!("/api/v1/tickets/{t}/replies/1")),
    ];
    for (method, path) in &admin_only {
        let p = assert_code(
            agent.send_raw(method, path, "application/json", bad.clone()).await,
            ErrorCode::NotFound,
        );
        assert!(p.errors.is_empty(), "{method} {path}: {p:?}");
    }
    for (method, path) in admin_only.iter().chain(&staff_only) {
        let p = assert_code(
            pat.client.send_raw(method, path, "application/json", bad.clone()).await,
            ErrorCode::NotFound,
        );
        assert!(p.errors.is_empty(), "{method} {path}: {p:?}");
    }
    // The admin, who may use the routes, is told what is wrong with the body.
    let p = assert_code(
        s.admin
            .send_raw("PATCH", "/api/v1/staff/1", "application/json", bad.clone())
            .await,
        ErrorCode::ValidationFailed,
    );
    assert!(!p.errors.is_empty());
    // Admin-only reads and deletes are 404 for an agent as well.
    for path in ["/api/v1/staff", "/api/v1/tokens", "/api/v1/events", "/api/v1/staff/1"] {
        assert_code(agent.get::<serde_json::Value>(path).await, ErrorCode::NotFound);
    }
    s.shutdown().await;
}

/// An end user changing their own portal password gives the current one; staff setting it do not.
#[tokio::test]
async fn end_users_prove_their_current_password() {
    let s = TestServer::start().await;
    let pat = s.customer().await;
    let set = |password: Option<&str>, current: Option<&str>| EndUserPatch {
        password: Some(password.map(Into::into)),
        current_password: current.map(Into::into),
        ..Default::default()
    };
    let id = pat.end_user.id;

    // Without a password yet there is nothing to prove.
    let first = pat
        .client
        .update_end_user(id, &set(Some("first-pass-1"), None))
        .await
        .expect("first password");
    assert!(first.has_password);

    let p = assert_code(
        pat.client.update_end_user(id, &set(Some("second-pass-2"), None)).await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["current_password"]);
    let p = assert_code(
        pat.client
            .update_end_user(id, &set(Some("second-pass-2"), Some("not-it-at-all")))
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["current_password"]);
    assert_code(
        pat.client.update_end_user(id, &set(None, None)).await,
        ErrorCode::ValidationFailed,
    );
    pat.client
        .update_end_user(id, &set(Some("second-pass-2"), Some("first-pass-1")))
        .await
        .expect("changed with the current password");
    let p = assert_code(
        pat.client
            .update_end_user(
                id,
                &EndUserPatch {
                    name: Some("Pat".into()),
                    current_password: Some("second-pass-2".into()),
                    ..Default::default()
                },
            )
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["current_password"], "only with a new password");

    // Staff set it without knowing it.
    s.admin
        .update_end_user(id, &set(Some("reset-by-staff"), None))
        .await
        .expect("staff reset");
    pat.client
        .update_end_user(id, &set(Some("third-pass-3"), Some("reset-by-staff")))
        .await
        .expect("the reset password is the current one");
    s.shutdown().await;
}

/// The current password is checked against the end user's own hash, even when another customer's end user
/// (created earlier, so the login's email lookup finds them first) has the same email and a password.
#[tokio::test]
async fn current_password_is_checked_against_the_end_users_own_hash() {
    let s = TestServer::start().await;
    let email = format!("{}@example.com", unique("shared").to_lowercase());
    let mut people = Vec::new();
    for password in ["other-customer-pass", "my-own-password-1"] {
        let customer = s
            .admin
            .create_customer(&NewCustomer {
                name: unique("Acme"),
                ..Default::default()
            })
            .await
            .expect("customer");
        let end_user = s
            .admin
            .create_end_user(&NewEndUser {
                customer_id: customer.id,
                name: Some("Sam Same".into()),
                email: Some(email.clone()),
                password: Some(password.into()),
                ..Default::default()
            })
            .await
            .expect("end user");
        people.push(end_user);
    }
    let mine = &people[1];
    let token = s
        .admin
        .create_end_user_token(mine.id, None)
        .await
        .expect("end user token");
    let client = s.client(&token.token);
    let change = |current: &str| EndUserPatch {
        password: Some(Some("my-new-password-2".into())),
        current_password: Some(current.into()),
        ..Default::default()
    };
    let p = assert_code(
        client.update_end_user(mine.id, &change("other-customer-pass")).await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(
        fields(&p),
        ["current_password"],
        "the other end user's password is not mine"
    );
    let changed = client
        .update_end_user(mine.id, &change("my-own-password-1"))
        .await
        .expect("my own current password is accepted");
    assert!(changed.has_password);
    s.shutdown().await;
}

/// Password changes are rate-limited per principal: past the limit, 429 `rate_limited` with Retry-After.
#[tokio::test]
async fn password_changes_are_rate_limited_per_principal() {
    let s = TestServer::start().await;
    let staff = s
        .admin
        .create_staff(&NewStaff {
            email: format!("{}@example.com", unique("staff").to_lowercase()),
            name: "Sam".into(),
            role: Role::Agent,
            password: "initial-password".into(),
            department_ids: None,
        })
        .await
        .expect("staff");
    let change = |i: u32| StaffPatch {
        password: Some(format!("password-number-{i}")),
        ..Default::default()
    };
    for i in 0..app::PASSWORD_CHANGES_PER_MINUTE {
        s.admin
            .update_staff(staff.id, &change(i))
            .await
            .expect("within the limit");
    }
    let refused = reqwest::Client::new()
        .patch(format!("{}/api/v1/staff/{}", s.url, staff.id))
        .bearer_auth(ADMIN_TOKEN)
        .json(&change(99))
        .send()
        .await
        .expect("send");
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let p: Problem = refused.json().await.expect("problem");
    assert_eq!(p.code, ErrorCode::RateLimited);
    // Other changes by the same principal still work; other principals are counted apart.
    s.admin
        .update_staff(
            staff.id,
            &StaffPatch {
                name: Some("Sam Smith".into()),
                ..Default::default()
            },
        )
        .await
        .expect("a change without a password");
    let pat = s.customer().await;
    pat.client
        .update_end_user(
            pat.end_user.id,
            &EndUserPatch {
                password: Some(Some("my-own-password".into())),
                ..Default::default()
            },
        )
        .await
        .expect("another principal is not limited");
    s.shutdown().await;
}
