//! Customers and end users: the basic fields tickets need (SPEC §3.4).
use crate::*;

#[tokio::test]
async fn customers_crud_soft_delete_restore() {
    let s = TestServer::start().await;
    let agent = s.agent().await;
    let c = agent
        .create_customer(&NewCustomer {
            name: "Globex".into(),
            email: Some("Billing@Globex.example".into()),
            phone: Some("+1 555 0100".into()),
            external_id: Some("crm-42".into()),
            tags: Some(vec!["vip".into(), "vip".into(), "eu".into()]),
            attributes: Default::default(),
            ..Default::default()
        })
        .await
        .expect("create");
    assert_eq!(
        (c.email.as_deref(), c.tags.clone()),
        (
            Some("billing@globex.example"),
            vec!["eu".to_string(), "vip".to_string()]
        )
    );
    assert_code(
        agent
            .create_customer(&NewCustomer {
                name: "Dup".into(),
                external_id: Some("crm-42".into()),
                ..Default::default()
            })
            .await,
        // SPEC §3.4: a write that breaks a unique field is 422 naming it.
        ErrorCode::ValidationFailed,
    );
    let p = assert_code(
        agent
            .create_customer(&NewCustomer {
                name: " ".into(),
                email: Some("x".into()),
                ..Default::default()
            })
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["name", "email"]);

    let u = agent
        .update_customer(
            c.id,
            &CustomerPatch {
                phone: Some(None),
                name: Some("Globex Corp".into()),
                ..Default::default()
            },
        )
        .await
        .expect("update");
    assert_eq!((u.phone, u.name.as_str()), (None, "Globex Corp"));

    let deleted = agent.delete_customer(c.id).await.expect("soft delete");
    assert!(deleted.deleted_at.is_some());
    assert!(
        agent
            .customers(&ListQuery::default())
            .await
            .expect("list")
            .data
            .is_empty()
    );
    assert_eq!(
        agent
            .customers(&ListQuery {
                deleted: Some(DeletedQuery::Only),
                ..Default::default()
            })
            .await
            .expect("deleted list")
            .data
            .len(),
        1
    );
    assert_code(
        agent
            .update_customer(
                c.id,
                &CustomerPatch {
                    name: Some("x".into()),
                    ..Default::default()
                },
            )
            .await,
        ErrorCode::NotFound,
    );
    assert_code(agent.delete_customer(c.id).await, ErrorCode::NotFound);
    let back = agent.restore_customer(c.id).await.expect("restore");
    assert_eq!(
        (back.deleted_at, back.name.as_str(), back.external_id.as_deref()),
        (None, "Globex Corp", Some("crm-42"))
    );
    assert_eq!(
        agent.customers(&ListQuery::default()).await.expect("list").data.len(),
        1
    );
    s.shutdown().await;
}

#[tokio::test]
async fn end_users_crud_and_scope() {
    let s = TestServer::start().await;
    let pat = s.customer().await;
    let sam = s.customer().await;
    let agent = s.agent().await;
    let colleague = agent
        .create_end_user(&NewEndUser {
            customer_id: pat.customer.id,
            name: Some("Chris".into()),
            email: Some("chris@pat.example".into()),
            ..Default::default()
        })
        .await
        .expect("create");
    assert!(!colleague.has_password);
    assert_code(
        agent
            .create_end_user(&NewEndUser {
                customer_id: pat.customer.id,
                name: Some("Chris 2".into()),
                email: Some("CHRIS@pat.example".into()),
                ..Default::default()
            })
            .await,
        ErrorCode::Conflict,
    );
    assert_code(
        agent
            .create_end_user(&NewEndUser {
                customer_id: 999_999,
                name: Some("Nobody".into()),
                ..Default::default()
            })
            .await,
        ErrorCode::ValidationFailed,
    );
    let p = assert_code(
        agent
            .create_end_user(&NewEndUser {
                customer_id: pat.customer.id,
                name: Some("P".into()),
                password: Some("secret-pass".into()),
                ..Default::default()
            })
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["email"]);

    let with_pw = agent
        .update_end_user(
            colleague.id,
            &EndUserPatch {
                password: Some(Some("portal-pass-1".into())),
                ..Default::default()
            },
        )
        .await
        .expect("set password");
    assert!(with_pw.has_password);
    let without = agent
        .update_end_user(
            colleague.id,
            &EndUserPatch {
                password: Some(None),
                ..Default::default()
            },
        )
        .await
        .expect("remove password");
    assert!(!without.has_password);

    let of_pat: Vec<i64> = agent
        .customer_end_users(pat.customer.id, &ListQuery::default())
        .await
        .expect("list")
        .data
        .iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(of_pat, [colleague.id, pat.end_user.id]);
    let seen_by_pat: Vec<i64> = pat
        .client
        .end_users(&ListQuery::default())
        .await
        .expect("own")
        .data
        .iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(seen_by_pat, [colleague.id, pat.end_user.id]);
    assert_code(pat.client.end_user(sam.end_user.id).await, ErrorCode::NotFound);
    assert_code(pat.client.customer(sam.customer.id).await, ErrorCode::NotFound);
    assert_eq!(
        pat.client.customer(pat.customer.id).await.expect("own customer").id,
        pat.customer.id
    );

    let renamed = pat
        .client
        .update_end_user(
            pat.end_user.id,
            &EndUserPatch {
                name: Some("Pat D.".into()),
                ..Default::default()
            },
        )
        .await
        .expect("own profile");
    assert_eq!(renamed.name, "Pat D.");
    assert_code(
        pat.client
            .update_end_user(
                colleague.id,
                &EndUserPatch {
                    name: Some("x".into()),
                    ..Default::default()
                },
            )
            .await,
        ErrorCode::NotFound,
    );
    assert_code(
        pat.client
            .update_end_user(
                pat.end_user.id,
                &EndUserPatch {
                    email: Some(Some("me@x.example".into())),
                    ..Default::default()
                },
            )
            .await,
        ErrorCode::ValidationFailed,
    );

    agent.delete_end_user(colleague.id).await.expect("soft delete");
    assert_eq!(
        agent
            .customer_end_users(pat.customer.id, &ListQuery::default())
            .await
            .expect("list")
            .data
            .len(),
        1
    );
    assert_eq!(
        agent
            .end_users(&ListQuery {
                deleted: Some(DeletedQuery::Only),
                ..Default::default()
            })
            .await
            .expect("deleted")
            .data
            .len(),
        1
    );
    agent.restore_end_user(colleague.id).await.expect("restore");
    assert_eq!(
        agent
            .customer_end_users(pat.customer.id, &ListQuery::default())
            .await
            .expect("list")
            .data
            .len(),
        2
    );
    s.shutdown().await;
}

#[tokio::test]
async fn deleted_filter_is_only_include_or_left_out() {
    let s = TestServer::start().await;
    let mut made = Vec::new();
    for name in ["Kept One", "Gone One", "Kept Two"] {
        made.push(
            s.admin
                .create_customer(&NewCustomer {
                    name: name.into(),
                    ..Default::default()
                })
                .await
                .expect("customer"),
        );
    }
    s.admin.delete_customer(made[1].id).await.expect("soft delete");
    let list = |deleted: Option<DeletedQuery>| {
        let admin = s.admin.clone();
        async move {
            let page = admin
                .customers(&ListQuery {
                    deleted,
                    ..Default::default()
                })
                .await
                .expect("list");
            page.data.iter().map(|c| c.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list(None).await,
        [made[2].id, made[0].id],
        "deleted ones are left out by default"
    );
    assert_eq!(list(Some(DeletedQuery::Only)).await, [made[1].id]);
    assert_eq!(
        list(Some(DeletedQuery::Include)).await,
        [made[2].id, made[1].id, made[0].id]
    );
    for bad in ["true", "1", "yes", "ONLY", ""] {
        for path in ["/api/v1/customers", "/api/v1/end-users"] {
            let p = assert_code(
                s.admin.get_query::<Page<Customer>, _>(path, &[("deleted", bad)]).await,
                ErrorCode::ValidationFailed,
            );
            assert_eq!(fields(&p), ["deleted"], "{path}?deleted={bad}");
        }
    }

    // The OpenAPI text says what the behaviour is.
    let spec: serde_json::Value = s.admin.get("/api/openapi.json").await.expect("openapi");
    for path in ["/api/v1/customers", "/api/v1/end-users"] {
        let params = spec["paths"][path]["get"]["parameters"].as_array().expect("parameters");
        let deleted = params
            .iter()
            .find(|p| p["name"] == "deleted")
            .expect("deleted is documented");
        let description = deleted["description"].as_str().unwrap_or_default();
        assert!(
            description.contains("`only`") && description.contains("`include`") && description.contains("left out"),
            "{path}: {description}"
        );
        // An optional parameter's schema is `oneOf: [{$ref}, {type: null}]`.
        let reference = deleted["schema"]["oneOf"]
            .as_array()
            .and_then(|choices| choices.iter().find_map(|c| c["$ref"].as_str()))
            .expect("a schema reference");
        let schema = &spec["components"]["schemas"][reference.trim_start_matches("#/components/schemas/")];
        assert_eq!(
            schema["enum"],
            serde_json::json!(["only", "include"]),
            "{path}: {deleted}"
        );
    }
    s.shutdown().await;
}

#[tokio::test]
async fn end_users_vanish_with_their_customer_and_come_back() {
    let s = TestServer::start().await;
    let agent = s.agent().await;
    let pat = s.customer().await;
    let alone = agent
        .create_end_user(&NewEndUser {
            customer_id: pat.customer.id,
            name: Some("Quentin Deleted".into()),
            ..Default::default()
        })
        .await
        .expect("end user");
    agent
        .delete_end_user(alone.id)
        .await
        .expect("delete the end user alone");
    let other = s.customer().await;
    let end_user_ids = |q: ListQuery| {
        let agent = agent.clone();
        async move {
            let page = agent.end_users(&q).await.expect("end users");
            page.data.iter().map(|u| u.id).collect::<Vec<_>>()
        }
    };
    let found = |name: &'static str| {
        let agent = agent.clone();
        async move {
            let hits = agent
                .search(&SearchQuery {
                    q: name.into(),
                    types: Some("end_users".into()),
                    limit: None,
                })
                .await
                .expect("search");
            hits.data.iter().map(|h| h.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(
        found("Pat").await.len(),
        2,
        "both Pats found while their customers live"
    );

    agent.delete_customer(pat.customer.id).await.expect("delete customer");
    assert_eq!(end_user_ids(ListQuery::default()).await, [other.end_user.id]);
    assert!(
        agent
            .customer_end_users(pat.customer.id, &ListQuery::default())
            .await
            .expect("customer's end users")
            .data
            .is_empty()
    );
    assert_eq!(found("Pat").await, [other.end_user.id], "search drops them too");
    assert_eq!(
        end_user_ids(ListQuery {
            deleted: Some(DeletedQuery::Only),
            ..Default::default()
        })
        .await,
        [alone.id, pat.end_user.id],
        "deleted=only shows them as deleted"
    );
    // The end user's own record is untouched.
    assert_eq!(agent.end_user(pat.end_user.id).await.expect("get").deleted_at, None);

    agent.restore_customer(pat.customer.id).await.expect("restore customer");
    assert_eq!(
        end_user_ids(ListQuery::default()).await,
        [other.end_user.id, pat.end_user.id],
        "back with their customer; the one deleted on its own stays deleted"
    );
    assert_eq!(found("Pat").await.len(), 2);
    assert_eq!(agent.end_user(pat.end_user.id).await.expect("get"), pat.end_user);
    s.shutdown().await;
}

#[tokio::test]
async fn customers_have_city_and_country() {
    let s = TestServer::start().await;
    let agent = s.agent().await;
    let c = agent
        .create_customer(&NewCustomer {
            name: "Bäckerei Schmidt".into(),
            city: Some("  Zürich ".into()),
            country: Some("Switzerland".into()),
            ..Default::default()
        })
        .await
        .expect("create with city and country");
    assert_eq!(
        (c.city.as_deref(), c.country.as_deref()),
        (Some("Zürich"), Some("Switzerland"))
    );
    assert_eq!(agent.customer(c.id).await.expect("get"), c);
    let body: serde_json::Value = agent
        .get(&format!("/api/v1/customers/{}", c.id))
        .await
        .expect("raw get");
    assert_eq!(
        (body["city"].as_str(), body["country"].as_str()),
        (Some("Zürich"), Some("Switzerland"))
    );

    // Search finds customers by city.
    let hits = agent
        .search(&SearchQuery {
            q: "Zürich".into(),
            types: Some("customers".into()),
            limit: None,
        })
        .await
        .expect("search by city");
    assert_eq!(hits.data.iter().map(|h| h.id).collect::<Vec<_>>(), [c.id]);

    let moved = agent
        .update_customer(
            c.id,
            &CustomerPatch {
                city: Some(Some("Genève".into())),
                country: Some(None),
                ..Default::default()
            },
        )
        .await
        .expect("patch");
    assert_eq!(
        (moved.city.as_deref(), moved.country.as_deref()),
        (Some("Genève"), None)
    );
    assert_eq!(agent.customer(c.id).await.expect("get"), moved);
    let search = |q: &'static str| {
        let agent = agent.clone();
        async move {
            agent
                .search(&SearchQuery {
                    q: q.into(),
                    types: Some("customers".into()),
                    limit: None,
                })
                .await
                .expect("search")
                .data
                .len()
        }
    };
    assert_eq!(search("Genève").await, 1, "the index follows the new city");
    assert_eq!(search("Zürich").await, 0, "the old city is gone from the index");

    // The event carries the new fields.
    let events = s
        .admin
        .customer_events(c.id, &EventQuery::default())
        .await
        .expect("events");
    let updated = &events.data[0];
    assert_eq!(updated.data.value["city"], "Genève");
    assert_eq!(updated.data.old["city"], "Zürich");
    assert_eq!(updated.data.old["country"], "Switzerland");

    let p = assert_code(
        agent
            .create_customer(&NewCustomer {
                name: "Too long".into(),
                city: Some("x".repeat(101)),
                country: Some("y".repeat(101)),
                ..Default::default()
            })
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["city", "country"]);
    s.shutdown().await;
}

#[tokio::test]
async fn concurrent_creates_of_one_email_leave_one_end_user() {
    let s = TestServer::start().await;
    let customer = s
        .admin
        .create_customer(&NewCustomer {
            name: "Racing Ltd".into(),
            ..Default::default()
        })
        .await
        .expect("customer");
    let body = |name: String| NewEndUser {
        customer_id: customer.id,
        name: Some(name),
        email: Some("same@racing.example".into()),
        ..Default::default()
    };
    let mut tasks = Vec::new();
    for i in 0..20 {
        let admin = s.admin.clone();
        let body = body(format!("Racer {i}"));
        tasks.push(tokio::spawn(async move { admin.create_end_user(&body).await }));
    }
    let mut won = Vec::new();
    let mut lost = Vec::new();
    for task in tasks {
        match task.await.expect("task") {
            Ok(u) => won.push(u),
            Err(e) => lost.push(assert_code(Err::<(), _>(e), ErrorCode::Conflict)),
        }
    }
    assert_eq!((won.len(), lost.len()), (1, 19), "exactly one create wins");

    // The losers got what a sequential duplicate gets.
    let sequential = assert_code(s.admin.create_end_user(&body("Late".into())).await, ErrorCode::Conflict);
    for p in &lost {
        assert_eq!(
            (p.title.as_str(), p.detail.as_deref()),
            (sequential.title.as_str(), sequential.detail.as_deref())
        );
    }
    let listed = s
        .admin
        .customer_end_users(customer.id, &ListQuery::default())
        .await
        .expect("list");
    assert_eq!(listed.data.iter().map(|u| u.id).collect::<Vec<_>>(), [won[0].id]);

    // A soft-deleted end user keeps the email without blocking a new one, and cannot come back beside it.
    s.admin.delete_end_user(won[0].id).await.expect("delete");
    let next = s
        .admin
        .create_end_user(&body("Next".into()))
        .await
        .expect("email free again");
    let p = assert_code(s.admin.restore_end_user(won[0].id).await, ErrorCode::Conflict);
    assert_eq!(p.detail, sequential.detail);
    assert_eq!(
        s.admin
            .customer_end_users(customer.id, &ListQuery::default())
            .await
            .expect("list")
            .data
            .len(),
        1,
        "nothing written by the refused restore"
    );
    assert!(s.admin.end_user(won[0].id).await.expect("get").deleted_at.is_some());
    assert_eq!(s.admin.end_user(next.id).await.expect("get"), next);
    s.shutdown().await;
}

/// Emails are stored and compared in one form (NFKC, case-folded): a full-width or upper-case spelling of
/// an address is the same address. Strings that are not addresses are refused naming `email`.
#[tokio::test]
async fn emails_have_one_spelling_and_must_look_like_addresses() {
    let s = TestServer::start().await;
    let local = unique("agent").to_lowercase().replace('_', "");
    let plain = format!("{local}@example.com");
    // Full-width letters (U+FF41…) for the local part, upper case for the domain.
    let wide: String = local
        .chars()
        .map(|c| match c {
            'a'..='z' => char::from_u32(c as u32 - 0x61 + 0xFF41).unwrap_or(c),
            _ => c,
        })
        .collect::<String>()
        + "@EXAMPLE.com";
    let staff = |email: &str| NewStaff {
        email: email.into(),
        name: "Agent".into(),
        role: Role::Agent,
        password: "correct horse battery staple".into(),
        department_ids: None,
    };
    let first = s.admin.create_staff(&staff(&wide)).await.expect("staff");
    assert_eq!(first.email, plain, "stored in its normal form");
    assert_code(s.admin.create_staff(&staff(&plain)).await, ErrorCode::Conflict);
    assert_code(
        s.admin.create_staff(&staff(&plain.to_uppercase())).await,
        ErrorCode::Conflict,
    );

    let customer = s
        .admin
        .create_customer(&NewCustomer {
            name: unique("Acme"),
            email: Some(format!("Billing@{}", "ＥＸＡＭＰＬＥ.com")),
            ..Default::default()
        })
        .await
        .expect("customer");
    assert_eq!(customer.email.as_deref(), Some("billing@example.com"));
    let end_user = |email: &str| NewEndUser {
        customer_id: customer.id,
        name: Some("Lee".into()),
        email: Some(email.into()),
        ..Default::default()
    };
    let lee = s.admin.create_end_user(&end_user(&wide)).await.expect("end user");
    assert_eq!(lee.email.as_deref(), Some(plain.as_str()));
    assert_code(s.admin.create_end_user(&end_user(&plain)).await, ErrorCode::Conflict);

    for bad in [
        "a@b",
        "<script>@x.com",
        "Lee <lee@example.com>",
        "lee@[10.0.0.1]",
        "lee@-x.com",
    ] {
        let p = assert_code(s.admin.create_staff(&staff(bad)).await, ErrorCode::ValidationFailed);
        assert_eq!(fields(&p), ["email"], "{bad}");
        let p = assert_code(
            s.admin
                .create_customer(&NewCustomer {
                    name: unique("Bad"),
                    email: Some(bad.into()),
                    ..Default::default()
                })
                .await,
            ErrorCode::ValidationFailed,
        );
        assert_eq!(fields(&p), ["email"], "{bad}");
        let p = assert_code(
            s.admin.create_end_user(&end_user(bad)).await,
            ErrorCode::ValidationFailed,
        );
        assert_eq!(fields(&p), ["email"], "{bad}");
    }
    s.shutdown().await;
}
