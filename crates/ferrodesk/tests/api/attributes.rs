//! Custom attributes of customers and end users (SPEC §3.4): definitions, the rules every write follows,
//! keyword search over searchable ones, filters, order and tags.
use crate::*;
use serde_json::{Value, json};

fn attr(name: &str, kind: &str) -> AttributeInput {
    AttributeInput {
        name: Some(name.into()),
        kind: Some(kind.into()),
        ..Default::default()
    }
}

fn with(values: &[(&str, Value)]) -> serde_json::Map<String, Value> {
    values.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn customer(name: &str, values: &[(&str, Value)]) -> NewCustomer {
    NewCustomer {
        name: name.into(),
        attributes: with(values),
        ..Default::default()
    }
}

fn names(page: Result<Page<Customer>, ferrodesk_client::Error>) -> Vec<String> {
    page.expect("list").data.into_iter().map(|c| c.name).collect()
}

#[tokio::test]
async fn definitions_list_builtins_and_are_admin_only() {
    let s = TestServer::start().await;
    let agent = s.agent().await;
    let list = agent.attributes(AttributeEntity::Customer).await.expect("list");
    let builtins: Vec<&str> = list
        .data
        .iter()
        .filter(|a| a.default)
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(builtins, ["name", "email", "phone", "city", "country", "external_id"]);
    // An agent may read them but not define one (404, never 403).
    assert_code(
        agent
            .create_attribute(AttributeEntity::Customer, &attr("plan", "text"))
            .await,
        ErrorCode::NotFound,
    );
    let plan = s
        .admin
        .create_attribute(
            AttributeEntity::Customer,
            &AttributeInput {
                pretty_name: Some("Plan".into()),
                options: Some(vec!["gold".into(), "silver".into()]),
                required: Some(true),
                default_value: Some(json!("silver")),
                ..attr("plan", "select")
            },
        )
        .await
        .expect("create");
    assert_eq!(
        (plan.kind, plan.required, plan.default, plan.default_value.clone()),
        (AttributeType::Select, true, false, Some(json!("silver")))
    );
    let raw = serde_json::to_value(&plan).expect("json");
    for member in [
        "prettyName",
        "defaultValue",
        "searchable",
        "unique",
        "editable",
        "options",
    ] {
        assert!(raw.get(member).is_some(), "{member} in {raw}");
    }
    // Names are taken: built-in ones, and (ignoring case) custom ones.
    for name in ["email", "PLAN", "tags"] {
        let p = assert_code(
            s.admin
                .create_attribute(AttributeEntity::Customer, &attr(name, "text"))
                .await,
            ErrorCode::ValidationFailed,
        );
        assert_eq!(fields(&p), ["name"], "{name}");
    }
    let p = assert_code(
        s.admin
            .create_attribute(AttributeEntity::Customer, &attr("colour", "rgb"))
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["type"]);
    // Type and name cannot change; the rest can.
    let p = assert_code(
        s.admin
            .update_attribute(AttributeEntity::Customer, plan.id.expect("id"), &attr("plan", "text"))
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["type"]);
    let changed = s
        .admin
        .update_attribute(
            AttributeEntity::Customer,
            plan.id.expect("id"),
            &AttributeInput {
                pretty_name: Some("Service plan".into()),
                ..Default::default()
            },
        )
        .await
        .expect("update");
    assert_eq!(changed.pretty_name, "Service plan");
    // An end-user attribute is not a customer one.
    assert_code(
        s.admin
            .delete_attribute(AttributeEntity::EndUser, plan.id.expect("id"))
            .await,
        ErrorCode::NotFound,
    );
}

#[tokio::test]
async fn every_write_follows_type_required_editable() {
    let s = TestServer::start().await;
    let a = &s.admin;
    for input in [
        AttributeInput {
            required: Some(true),
            ..attr("seats", "number")
        },
        attr("active", "boolean"),
        attr("renewal", "date"),
        attr("billing_email", "email"),
        AttributeInput {
            options: Some(vec!["gold".into(), "silver".into()]),
            ..attr("plan", "select")
        },
        AttributeInput {
            editable: Some(false),
            ..attr("origin", "text")
        },
    ] {
        a.create_attribute(AttributeEntity::Customer, &input)
            .await
            .expect("attribute");
    }
    // Missing required, and every wrong type at once, each named.
    let p = assert_code(
        a.create_customer(&customer(
            "Bad",
            &[
                ("active", json!("maybe")),
                ("renewal", json!("2026-02-30")),
                ("billing_email", json!("not-an-address")),
                ("plan", json!("bronze")),
                ("colour", json!("red")),
            ],
        ))
        .await,
        ErrorCode::ValidationFailed,
    );
    let mut named = fields(&p);
    named.sort();
    assert_eq!(named, ["active", "billing_email", "colour", "plan", "renewal", "seats"]);
    let p = assert_code(
        a.create_customer(&customer("Bad", &[("seats", json!("ten"))])).await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["seats"]);

    // Values take their canonical form and come back as top-level members.
    let c = a
        .create_customer(&customer(
            "Acme",
            &[
                ("seats", json!("12")),
                ("active", json!("true")),
                ("renewal", json!("2027-01-31")),
                ("billing_email", json!("Billing@Acme.Example")),
                ("plan", json!("gold")),
                ("origin", json!("import")),
            ],
        ))
        .await
        .expect("create");
    assert_eq!(
        c.attributes,
        with(&[
            ("seats", json!(12)),
            ("active", json!(true)),
            ("renewal", json!("2027-01-31")),
            ("billing_email", json!("billing@acme.example")),
            ("plan", json!("gold")),
            ("origin", json!("import")),
        ])
        .into_iter()
        .collect()
    );
    let raw: Value = a.get(&format!("/api/v1/customers/{}", c.id)).await.expect("raw");
    assert_eq!((raw["seats"].clone(), raw["plan"].clone()), (json!(12), json!("gold")));

    // Updates: required cannot be cleared, non-editable cannot change (repeating it is fine).
    let patch = |values: &[(&str, Value)]| CustomerPatch {
        attributes: with(values),
        ..Default::default()
    };
    let p = assert_code(
        a.update_customer(c.id, &patch(&[("seats", Value::Null)])).await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["seats"]);
    let p = assert_code(
        a.update_customer(c.id, &patch(&[("origin", json!("api"))])).await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["origin"]);
    let u = a
        .update_customer(
            c.id,
            &patch(&[("origin", json!("import")), ("seats", json!(13)), ("plan", Value::Null)]),
        )
        .await
        .expect("update");
    assert_eq!(
        (u.attributes.get("seats"), u.attributes.get("plan")),
        (Some(&json!(13)), None)
    );
    // Read-only members sent back as read are ignored.
    let mut whole = serde_json::to_value(&u).expect("json");
    whole["name"] = json!("Acme Corp");
    let back: Customer = a
        .patch(&format!("/api/v1/customers/{}", c.id), &whole)
        .await
        .expect("round trip");
    assert_eq!(back.name, "Acme Corp");
}

#[tokio::test]
async fn unique_values_hold_under_concurrent_writes() {
    let s = TestServer::start().await;
    s.admin
        .create_attribute(
            AttributeEntity::Customer,
            &AttributeInput {
                unique: Some(true),
                ..attr("vat_id", "text")
            },
        )
        .await
        .expect("attribute");
    let first = s
        .admin
        .create_customer(&customer("First", &[("vat_id", json!("DE123"))]))
        .await
        .expect("first");
    // Compared without case.
    let p = assert_code(
        s.admin
            .create_customer(&customer("Second", &[("vat_id", json!("de123"))]))
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["vat_id"]);
    // A deleted customer keeps its value: a restore never collides.
    s.admin.delete_customer(first.id).await.expect("delete");
    assert_code(
        s.admin
            .create_customer(&customer("Third", &[("vat_id", json!("DE123"))]))
            .await,
        ErrorCode::ValidationFailed,
    );
    s.admin.restore_customer(first.id).await.expect("restore");

    // 20 writers race for one value: exactly one wins, the others are 422 naming the field.
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let c = s.admin.clone();
            tokio::spawn(async move {
                c.create_customer(&customer(&format!("Racer {i}"), &[("vat_id", json!("FR-RACE"))]))
                    .await
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(_) => won += 1,
            Err(e) => {
                let p = assert_code(Err::<(), _>(e), ErrorCode::ValidationFailed);
                assert_eq!(fields(&p), ["vat_id"]);
            }
        }
    }
    assert_eq!(won, 1);
    // Making an attribute unique while values repeat is a conflict.
    let note = s
        .admin
        .create_attribute(AttributeEntity::Customer, &attr("segment", "text"))
        .await
        .expect("attribute");
    for name in ["A", "B"] {
        s.admin
            .create_customer(&customer(name, &[("segment", json!("smb"))]))
            .await
            .expect("customer");
    }
    assert_code(
        s.admin
            .update_attribute(
                AttributeEntity::Customer,
                note.id.expect("id"),
                &AttributeInput {
                    unique: Some(true),
                    ..Default::default()
                },
            )
            .await,
        ErrorCode::Conflict,
    );
    // Built-in unique fields answer the same way.
    s.admin
        .create_customer(&NewCustomer {
            name: "Mail".into(),
            email: Some("one@example.com".into()),
            external_id: Some("crm-1".into()),
            ..Default::default()
        })
        .await
        .expect("customer");
    // SPEC §3.4: lists take `external_id=`.
    let found: Value = s
        .admin
        .get("/api/v1/customers?external_id=crm-1")
        .await
        .expect("by external id");
    assert_eq!(found["data"].as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(found["data"][0]["name"], json!("Mail"));
    let p = assert_code(
        s.admin
            .create_customer(&NewCustomer {
                name: "Mail 2".into(),
                email: Some("ONE@example.com".into()),
                ..Default::default()
            })
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["email"]);
}

#[tokio::test]
async fn keyword_filters_order_and_tags() {
    let s = TestServer::start().await;
    let a = &s.admin;
    let industry = a
        .create_attribute(
            AttributeEntity::Customer,
            &AttributeInput {
                searchable: Some(true),
                ..attr("industry", "text")
            },
        )
        .await
        .expect("attribute");
    a.create_attribute(AttributeEntity::Customer, &attr("seats", "number"))
        .await
        .expect("attribute");
    a.create_attribute(AttributeEntity::Customer, &attr("renewal", "date"))
        .await
        .expect("attribute");
    for (name, country, industry, seats, renewal, tags) in [
        ("Jamaica Rum", "Jamaica", "Distillery", 5, "2027-01-01", vec!["vip"]),
        (
            "Berlin Bikes",
            "Germany",
            "Bicycles",
            50,
            "2026-06-30",
            vec!["eu", "vip"],
        ),
        ("Hamburg Harbour", "Germany", "Logistics", 500, "2028-03-15", vec!["eu"]),
    ] {
        a.create_customer(&NewCustomer {
            name: name.into(),
            country: Some(country.into()),
            tags: Some(tags.into_iter().map(String::from).collect()),
            attributes: with(&[
                ("industry", json!(industry)),
                ("seats", json!(seats)),
                ("renewal", json!(renewal)),
            ]),
            ..Default::default()
        })
        .await
        .expect("customer");
    }
    let q = PersonListQuery::default;
    // Keyword over searchable attributes (full text: words, any case and accents, last word a prefix).
    let found = |keyword: &str| PersonListQuery {
        keyword: Some(keyword.into()),
        ..q()
    };
    assert_eq!(
        names(a.find_customers(&found("logistics"), &[]).await),
        ["Hamburg Harbour"]
    );
    assert_eq!(names(a.find_customers(&found("BICYC"), &[]).await), ["Berlin Bikes"]);
    // Not searchable: seats are not matched by keyword.
    assert!(names(a.find_customers(&found("500"), &[]).await).is_empty());
    // Turning searchable off takes the attribute out of keyword search.
    a.update_attribute(
        AttributeEntity::Customer,
        industry.id.expect("id"),
        &AttributeInput {
            searchable: Some(false),
            ..Default::default()
        },
    )
    .await
    .expect("update");
    assert!(names(a.find_customers(&found("logistics"), &[]).await).is_empty());

    // Filters: the TeamTools example, numbers, dates, lists, combined (`;` and repeated).
    let all = q();
    let filtered = |f: &'static [&'static str]| a.find_customers(&all, f);
    assert_eq!(names(filtered(&["country{ct}jamaica"]).await), ["Jamaica Rum"]);
    assert_eq!(
        names(filtered(&["seats{gte}50"]).await),
        ["Hamburg Harbour", "Berlin Bikes"]
    );
    assert_eq!(
        names(filtered(&["seats{gt}5;country{eq}germany"]).await),
        ["Hamburg Harbour", "Berlin Bikes"]
    );
    assert_eq!(
        names(filtered(&["seats{gt}5", "renewal{lt}2027-01-01"]).await),
        ["Berlin Bikes"]
    );
    assert_eq!(
        names(filtered(&["seats{in}5,500"]).await),
        ["Hamburg Harbour", "Jamaica Rum"]
    );
    assert_eq!(names(filtered(&["name{sw}ber"]).await), ["Berlin Bikes"]);
    assert_eq!(names(filtered(&["name{ew}RUM"]).await), ["Jamaica Rum"]);
    assert_eq!(names(filtered(&["country{ne}germany"]).await), ["Jamaica Rum"]);
    assert_eq!(names(filtered(&["tags{eq}vip"]).await), ["Berlin Bikes", "Jamaica Rum"]);
    assert_eq!(
        names(
            a.find_customers(
                &PersonListQuery {
                    tag: Some("eu".into()),
                    ..q()
                },
                &[]
            )
            .await
        ),
        ["Hamburg Harbour", "Berlin Bikes"]
    );
    // Order by an attribute or a field, and offset pages.
    let ordered = |sort: &str, offset: Option<u64>| PersonListQuery {
        sort: Some(sort.into()),
        offset,
        limit: Some(2),
        ..q()
    };
    let page = a.find_customers(&ordered("-seats", None), &[]).await.expect("page");
    assert_eq!(
        page.data.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["Hamburg Harbour", "Berlin Bikes"]
    );
    let next = PersonListQuery {
        cursor: page.next_cursor.clone(),
        ..ordered("-seats", None)
    };
    assert_eq!(names(a.find_customers(&next, &[]).await), ["Jamaica Rum"]);
    assert_eq!(
        names(a.find_customers(&ordered("name", Some(1)), &[]).await),
        ["Hamburg Harbour", "Jamaica Rum"]
    );

    // Bad filters are 422 naming `filter` and the position, never a 500.
    for (filter, position) in [
        ("name{xx}a", "character 6"),
        ("name{eq", "character 5"),
        ("nope{eq}1", "character 1"),
        ("name{eq}a;seats{ct}5", "character 11"),
        ("seats{gt}many", "character 1"),
        ("tags{gt}a", "character 1"),
    ] {
        let p = assert_code(a.find_customers(&q(), &[filter]).await, ErrorCode::ValidationFailed);
        assert_eq!(fields(&p), ["filter"], "{filter}");
        let message = &p.errors[0].message;
        assert!(message.contains(position), "{filter}: {message}");
    }
    let long = format!("name{{eq}}{}", "x".repeat(10 * 1024));
    let p = assert_code(a.find_customers(&q(), &[&long]).await, ErrorCode::ValidationFailed);
    assert_eq!(fields(&p), ["filter"]);
    assert_code(
        a.find_customers(&ordered("tags", None), &[]).await,
        ErrorCode::ValidationFailed,
    );
}

#[tokio::test]
async fn deleted_attributes_and_customers_vanish_and_come_back_whole() {
    let s = TestServer::start().await;
    let a = &s.admin;
    let tier = a
        .create_attribute(AttributeEntity::Customer, &attr("tier", "text"))
        .await
        .expect("attribute");
    let c = a
        .create_customer(&NewCustomer {
            tags: Some(vec!["gold".into()]),
            ..customer("Kept", &[("tier", json!("A"))])
        })
        .await
        .expect("customer");
    let id = tier.id.expect("id");
    a.delete_attribute(AttributeEntity::Customer, id).await.expect("delete");
    assert!(a.customer(c.id).await.expect("get").attributes.is_empty());
    assert!(
        a.attributes(AttributeEntity::Customer)
            .await
            .expect("list")
            .data
            .iter()
            .all(|x| x.name != "tier")
    );
    // A deleted attribute is unknown to writes, and keeps its name.
    assert_code(
        a.create_customer(&customer("New", &[("tier", json!("B"))])).await,
        ErrorCode::ValidationFailed,
    );
    a.restore_attribute(AttributeEntity::Customer, id)
        .await
        .expect("restore");
    assert_eq!(
        a.customer(c.id).await.expect("get").attributes.get("tier"),
        Some(&json!("A"))
    );
    // Restoring one that is not deleted is a conflict, as for customers.
    assert_code(
        a.restore_attribute(AttributeEntity::Customer, id).await,
        ErrorCode::Conflict,
    );

    // A deleted customer vanishes from filters, tags and keyword search, and comes back whole.
    let by_tag = PersonListQuery {
        tag: Some("gold".into()),
        ..Default::default()
    };
    a.delete_customer(c.id).await.expect("delete");
    assert!(names(a.find_customers(&by_tag, &["tier{eq}a"]).await).is_empty());
    // Restoring one that is not deleted, or that does not exist.
    let restored = a.restore_customer(c.id).await.expect("restore");
    assert_eq!(restored.attributes.get("tier"), Some(&json!("A")));
    assert_code(a.restore_customer(c.id).await, ErrorCode::Conflict);
    assert_code(a.restore_customer(999_999).await, ErrorCode::NotFound);
    assert_eq!(names(a.find_customers(&by_tag, &["tier{eq}a"]).await), ["Kept"]);
}

#[tokio::test]
async fn end_users_have_first_and_last_names_and_attributes() {
    let s = TestServer::start().await;
    let a = &s.admin;
    a.create_attribute(
        AttributeEntity::EndUser,
        &AttributeInput {
            searchable: Some(true),
            ..attr("role_title", "text")
        },
    )
    .await
    .expect("attribute");
    let c = a.create_customer(&customer("People Inc", &[])).await.expect("customer");
    let u = a
        .create_end_user(&NewEndUser {
            customer_id: c.id,
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            city: Some("London".into()),
            attributes: with(&[("role_title", json!("Analyst"))]),
            ..Default::default()
        })
        .await
        .expect("end user");
    assert_eq!(
        (u.name.as_str(), u.first_name.as_deref(), u.attributes.get("role_title")),
        ("Ada Lovelace", Some("Ada"), Some(&json!("Analyst")))
    );
    // `customer_id{eq}` without a number is refused, naming the filter.
    let p = assert_code(
        a.find_end_users(&PersonListQuery::default(), &["customer_id{eq}"])
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["filter"]);
    let found = a
        .find_end_users(
            &PersonListQuery {
                keyword: Some("analyst".into()),
                ..Default::default()
            },
            &["last_name{eq}lovelace"],
        )
        .await
        .expect("found");
    assert_eq!(found.data.iter().map(|u| u.id).collect::<Vec<_>>(), [u.id]);
    let p = assert_code(
        a.create_end_user(&NewEndUser {
            customer_id: c.id,
            name: Some("X".into()),
            attributes: with(&[("unknown", json!(1))]),
            ..Default::default()
        })
        .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["unknown"]);
}

#[tokio::test]
async fn end_users_migrate_to_another_customer() {
    let s = TestServer::start().await;
    let a = &s.admin;
    let from = a.create_customer(&customer("Old Co", &[])).await.expect("from");
    let to = a.create_customer(&customer("New Co", &[])).await.expect("to");
    let gone = a.create_customer(&customer("Gone Co", &[])).await.expect("gone");
    a.delete_customer(gone.id).await.expect("delete");
    let mut people = Vec::new();
    for name in ["Ann", "Bob", "Cy"] {
        let u = a
            .create_end_user(&NewEndUser {
                customer_id: from.id,
                name: Some(name.into()),
                email: Some(format!("{}@old.example", name.to_lowercase())),
                ..Default::default()
            })
            .await
            .expect("end user");
        people.push(u.id);
    }
    let migrate = |target: i64, ids: Vec<i64>| MigrateEndUsers {
        new_customer_id: target,
        end_user_ids: Some(ids),
    };
    // To a deleted customer, or naming someone else's end user: 422, nothing moves.
    let p = assert_code(
        a.migrate_end_users(from.id, &migrate(gone.id, vec![])).await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["new_customer_id"]);
    let stranger = a
        .create_end_user(&NewEndUser {
            customer_id: to.id,
            name: Some("Stranger".into()),
            ..Default::default()
        })
        .await
        .expect("stranger");
    let p = assert_code(
        a.migrate_end_users(from.id, &migrate(to.id, vec![people[0], stranger.id]))
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["end_user_ids"]);
    assert_eq!(a.end_user(people[0]).await.expect("ann").customer_id, from.id);
    // Listed ids, then all the rest.
    let moved = a
        .migrate_end_users(from.id, &migrate(to.id, vec![people[0]]))
        .await
        .expect("one");
    assert_eq!(
        moved.data.iter().map(|u| (u.id, u.customer_id)).collect::<Vec<_>>(),
        [(people[0], to.id)]
    );
    let moved = a
        .migrate_end_users(from.id, &migrate(to.id, vec![]))
        .await
        .expect("all");
    assert_eq!(moved.data.len(), 2);
    let left = a
        .customer_end_users(from.id, &ListQuery::default())
        .await
        .expect("left");
    assert!(left.data.is_empty());
    // Each move is an event in the customer's history.
    let events = a.events(&EventQuery::default()).await.expect("events");
    let moves = events
        .data
        .iter()
        .filter(|e| e.name.as_deref() == Some("EndUserUpdated"))
        .count();
    assert_eq!(moves, 3);
}

#[tokio::test]
async fn includes_embed_related_records() {
    let s = TestServer::start().await;
    let a = &s.admin;
    let c = a.create_customer(&customer("Embed Co", &[])).await.expect("customer");
    let gone = a.create_customer(&customer("Gone Co", &[])).await.expect("customer");
    let u = a
        .create_end_user(&NewEndUser {
            customer_id: c.id,
            name: Some("Ida".into()),
            ..Default::default()
        })
        .await
        .expect("end user");
    let left = a
        .create_end_user(&NewEndUser {
            customer_id: c.id,
            name: Some("Left".into()),
            ..Default::default()
        })
        .await
        .expect("end user");
    a.delete_end_user(left.id).await.expect("delete");
    let one: Value = a
        .get(&format!("/api/v1/customers/{}?include=endusers.events,events", c.id))
        .await
        .expect("include");
    // Deleted people are never included; nesting embeds at each level.
    let people = one["endusers"].as_array().expect("endusers");
    assert_eq!(
        people.iter().map(|p| p["id"].clone()).collect::<Vec<_>>(),
        [json!(u.id)]
    );
    assert!(people[0]["events"].as_array().is_some_and(|e| !e.is_empty()), "{one}");
    assert!(one["events"].as_array().is_some_and(|e| !e.is_empty()), "{one}");
    // A to-one relation is an object; lists embed per row.
    let person: Value = a
        .get(&format!("/api/v1/end-users/{}?include=customer", u.id))
        .await
        .expect("include");
    assert_eq!(person["customer"]["name"], json!("Embed Co"));
    let page: Value = a
        .get("/api/v1/customers?include=users&filter=name{eq}embed%20co")
        .await
        .expect("list include");
    assert_eq!(page["data"][0]["users"][0]["name"], json!("Ida"), "{page}");
    // A deleted customer is not included either.
    a.delete_customer(gone.id).await.expect("delete");
    // Unknown relations and cycles are 422 naming include.
    for bad in [
        "nosuch",
        "endusers.customer",
        "endusers..events",
        "a,",
        "endusers.events.x",
    ] {
        let p = assert_code(
            a.get::<Value>(&format!("/api/v1/customers/{}?include={bad}", c.id))
                .await,
            ErrorCode::ValidationFailed,
        );
        assert_eq!(fields(&p), ["include"], "{bad}");
    }
}
