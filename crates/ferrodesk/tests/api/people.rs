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
        ErrorCode::Conflict,
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
                deleted: Some(true),
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
            name: "Chris".into(),
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
                name: "Chris 2".into(),
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
                name: "Nobody".into(),
                ..Default::default()
            })
            .await,
        ErrorCode::ValidationFailed,
    );
    let p = assert_code(
        agent
            .create_end_user(&NewEndUser {
                customer_id: pat.customer.id,
                name: "P".into(),
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
                deleted: Some(true),
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
        name: "Lee".into(),
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
