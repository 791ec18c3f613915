//! Brands and departments (SPEC §3.1).
use crate::*;

#[tokio::test]
async fn brands_crud_and_slugs() {
    let s = TestServer::start().await;
    let b = s
        .admin
        .create_brand(&NewBrand {
            name: "Acme Hosting!".into(),
            greeting: Some("Thank you for calling Acme".into()),
            ..Default::default()
        })
        .await
        .expect("create");
    assert_eq!(
        (b.slug.as_str(), b.customer_backend.as_str()),
        ("acme-hosting", "local")
    );
    assert_code(
        s.admin
            .create_brand(&NewBrand {
                name: "Acme hosting".into(),
                ..Default::default()
            })
            .await,
        ErrorCode::Conflict,
    );
    let p = assert_code(
        s.admin
            .create_brand(&NewBrand {
                name: "X".into(),
                slug: Some("Bad Slug".into()),
                ..Default::default()
            })
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["slug"]);
    let p = assert_code(
        s.admin
            .create_brand(&NewBrand {
                name: "Y".into(),
                customer_backend: Some("ldap".into()),
                ..Default::default()
            })
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["customer_backend"]);

    let agent = s.agent().await;
    assert_eq!(
        agent.brand(b.id).await.expect("agents read brands").greeting,
        "Thank you for calling Acme"
    );
    assert_code(
        agent
            .update_brand(
                b.id,
                &BrandPatch {
                    name: Some("Mine".into()),
                    ..Default::default()
                },
            )
            .await,
        ErrorCode::NotFound,
    );

    let renamed = s
        .admin
        .update_brand(
            b.id,
            &BrandPatch {
                name: Some("Acme".into()),
                slug: Some("acme".into()),
                ..Default::default()
            },
        )
        .await
        .expect("update");
    assert_eq!((renamed.name.as_str(), renamed.slug.as_str()), ("Acme", "acme"));
    assert_eq!(s.admin.brands(&ListQuery::default()).await.expect("list").data.len(), 1);

    let d = s
        .admin
        .create_department(&NewDepartment {
            brand_id: b.id,
            name: "Sales".into(),
            ..Default::default()
        })
        .await
        .expect("dept");
    assert_code(s.admin.delete_brand(b.id).await, ErrorCode::Conflict);
    s.admin.delete_department(d.id).await.expect("delete dept");
    s.admin.delete_brand(b.id).await.expect("delete brand");
    assert_code(s.admin.brand(b.id).await, ErrorCode::NotFound);
    s.shutdown().await;
}

#[tokio::test]
async fn departments_crud_visibility_and_delete_guard() {
    let s = TestServer::start().await;
    let d = s.department().await;
    let private = s
        .admin
        .create_department(&NewDepartment {
            brand_id: d.brand_id,
            name: "Abuse desk".into(),
            description: Some("internal".into()),
            public: Some(false),
            ..Default::default()
        })
        .await
        .expect("private");
    assert_eq!(private.slug, "abuse-desk");
    assert_code(
        s.admin
            .create_department(&NewDepartment {
                brand_id: 999_999,
                name: "Z".into(),
                ..Default::default()
            })
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_code(
        s.admin
            .create_department(&NewDepartment {
                brand_id: d.brand_id,
                name: "Abuse Desk".into(),
                ..Default::default()
            })
            .await,
        ErrorCode::Conflict,
    );

    let pat = s.customer().await;
    let visible: Vec<i64> = pat
        .client
        .departments(&ListQuery::default())
        .await
        .expect("list")
        .data
        .iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(visible, [d.id], "end users see public departments only");
    assert_code(pat.client.department(private.id).await, ErrorCode::NotFound);
    assert_eq!(
        s.admin
            .departments(&ListQuery {
                brand_id: Some(d.brand_id),
                ..Default::default()
            })
            .await
            .expect("list")
            .data
            .len(),
        2
    );

    let moved = s
        .admin
        .update_department(
            private.id,
            &DepartmentPatch {
                public: Some(true),
                name: Some("Abuse".into()),
                ..Default::default()
            },
        )
        .await
        .expect("update");
    assert!(moved.public);
    assert_eq!(moved.slug, "abuse-desk", "renaming keeps the slug unless one is given");

    pat.client
        .create_ticket(&new_ticket(d.id, "keeps the department"))
        .await
        .expect("ticket");
    assert_code(s.admin.delete_department(d.id).await, ErrorCode::Conflict);
    let agent = s.agent().await;
    assert_code(agent.delete_department(private.id).await, ErrorCode::NotFound);
    s.admin.delete_department(private.id).await.expect("empty department");
    s.shutdown().await;
}

#[tokio::test]
async fn slugs_are_transliterated_or_fall_back_to_the_id() {
    let s = TestServer::start().await;
    let brand = s
        .admin
        .create_brand(&NewBrand {
            name: "Поддержка".into(),
            ..Default::default()
        })
        .await
        .expect("a Cyrillic name needs no slug");
    assert_eq!(brand.slug, "podderzhka");
    let dept = s
        .admin
        .create_department(&NewDepartment {
            brand_id: brand.id,
            name: "サポート".into(),
            ..Default::default()
        })
        .await
        .expect("a Japanese name needs no slug");
    assert_eq!(dept.slug, "sapoto");
    assert_eq!(s.admin.department(dept.id).await.expect("get").slug, "sapoto");

    // Nothing usable in the name: the id is the slug, as stored and as logged.
    let symbols = s
        .admin
        .create_brand(&NewBrand {
            name: "!!! ???".into(),
            ..Default::default()
        })
        .await
        .expect("brand of symbols");
    assert_eq!(symbols.slug, symbols.id.to_string());
    assert_eq!(s.admin.brand(symbols.id).await.expect("get"), symbols);
    let symbol_dept = s
        .admin
        .create_department(&NewDepartment {
            brand_id: brand.id,
            name: "¿¡ !".into(),
            ..Default::default()
        })
        .await
        .expect("department of symbols");
    assert_eq!(symbol_dept.slug, symbol_dept.id.to_string());
    assert_eq!(s.admin.department(symbol_dept.id).await.expect("get"), symbol_dept);
    let created = s
        .admin
        .events(&EventQuery {
            entity: Some("department".into()),
            entity_id: Some(symbol_dept.id),
            ..Default::default()
        })
        .await
        .expect("events");
    assert_eq!(created.data.len(), 1, "one event for the create");
    assert_eq!(created.data[0].data.value["slug"], symbol_dept.id.to_string());

    // The same transliterated slug twice is a conflict, as any taken slug is.
    assert_code(
        s.admin
            .create_brand(&NewBrand {
                name: "ПОДДЕРЖКА".into(),
                ..Default::default()
            })
            .await,
        ErrorCode::Conflict,
    );
    s.shutdown().await;
}
