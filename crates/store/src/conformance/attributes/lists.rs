//! Checks of the customer and end-user list query: every filter operator on attributes, columns and tags,
//! order, pages, deleted records and counts, and the customer lookups.
use super::*;

pub(in crate::conformance) async fn person_query_text_attribute(s: Arc<dyn Store>) {
    let owner = owner(&s).await;
    for entity in ENTITIES {
        let def = define(&s, vec![new_attribute(entity, "code", AttributeType::Text)]).await;
        let def = &def[0];
        let rows = [
            Some(json!("Alpha")),
            Some(json!("alphabet")),
            Some(json!("Beta")),
            Some(json!("gamma alpha")),
            None,
        ];
        let all = people_with(&s, entity, owner.id, def, &rows).await;
        let field = attribute_field(def);
        let mut r = reader(&s).await;
        for (op, operand, expected) in [
            (FilterOp::Eq, text("alpha"), vec![0]),
            (FilterOp::Ne, text("alpha"), vec![1, 2, 3, 4]),
            (FilterOp::Ct, text("alpha"), vec![0, 1, 3]),
            (FilterOp::Sw, text("alpha"), vec![0, 1]),
            (FilterOp::Ew, text("alpha"), vec![0, 3]),
            (FilterOp::Gt, text("alpha"), vec![1, 2, 3]),
            (FilterOp::Gte, text("alpha"), vec![0, 1, 2, 3]),
            (FilterOp::Lt, text("beta"), vec![0, 1]),
            (FilterOp::Lte, text("beta"), vec![0, 1, 2]),
            (FilterOp::In, texts(&["beta", "gamma alpha", "zeta"]), vec![2, 3]),
            (FilterOp::Eq, text("delta"), vec![]),
        ] {
            assert_eq!(
                among(
                    &all,
                    where_one(&mut r, entity, field.clone(), op, operand.clone()).await
                ),
                pick(&all, &expected),
                "{} code {{{op}}} {operand:?}",
                entity.as_str()
            );
        }
    }
}

pub(in crate::conformance) async fn person_query_number_and_date_attributes(s: Arc<dyn Store>) {
    let owner = owner(&s).await;
    for entity in ENTITIES {
        let defs = define(
            &s,
            vec![
                new_attribute(entity, "seats", AttributeType::Number),
                new_attribute(entity, "renewal", AttributeType::Date),
                new_attribute(entity, "active", AttributeType::Boolean),
            ],
        )
        .await;
        // Numbers compare as numbers: 9 < 10 < 100, where their text would say "100" < "9".
        let rows = [
            Some(json!(9)),
            Some(json!(10)),
            Some(json!(100)),
            Some(json!(-2.5)),
            Some(json!("1000")),
            None,
        ];
        let all = people_with(&s, entity, owner.id, &defs[0], &rows).await;
        let field = attribute_field(&defs[0]);
        let mut r = reader(&s).await;
        for (op, operand, expected) in [
            (FilterOp::Eq, Operand::Number(10.0), vec![1]),
            (FilterOp::Eq, Operand::Number(-2.5), vec![3]),
            (FilterOp::Ne, Operand::Number(10.0), vec![0, 2, 3, 4, 5]),
            (FilterOp::Gt, Operand::Number(9.0), vec![1, 2, 4]),
            (FilterOp::Gte, Operand::Number(10.0), vec![1, 2, 4]),
            (FilterOp::Lt, Operand::Number(10.0), vec![0, 3]),
            (FilterOp::Lte, Operand::Number(9.0), vec![0, 3]),
            (FilterOp::Gt, Operand::Number(99.5), vec![2, 4]),
            (FilterOp::In, Operand::Numbers(vec![9.0, 100.0, 7.0]), vec![0, 2]),
        ] {
            assert_eq!(
                among(
                    &all,
                    where_one(&mut r, entity, field.clone(), op, operand.clone()).await
                ),
                pick(&all, &expected),
                "{} seats {{{op}}} {operand:?}",
                entity.as_str()
            );
        }
        drop(r);

        let rows = [
            Some(json!("2025-12-31")),
            Some(json!("2026-01-31")),
            Some(json!("2026-02-01")),
            Some(json!("2026-11-30T23:30:00Z")),
            None,
        ];
        let all = people_with(&s, entity, owner.id, &defs[1], &rows).await;
        let field = attribute_field(&defs[1]);
        let mut r = reader(&s).await;
        for (op, operand, expected) in [
            (FilterOp::Eq, text("2026-02-01"), vec![2]),
            (FilterOp::Eq, text("2026-11-30"), vec![3]),
            (FilterOp::Ne, text("2026-02-01"), vec![0, 1, 3, 4]),
            (FilterOp::Gt, text("2026-01-31"), vec![2, 3]),
            (FilterOp::Gte, text("2026-01-31"), vec![1, 2, 3]),
            (FilterOp::Lt, text("2026-01-01"), vec![0]),
            (FilterOp::Lte, text("2026-02-01"), vec![0, 1, 2]),
            (FilterOp::In, texts(&["2025-12-31", "2026-11-30"]), vec![0, 3]),
            (FilterOp::Ct, text("-01-"), vec![1]),
            (FilterOp::Sw, text("2026"), vec![1, 2, 3]),
            (FilterOp::Ew, text("-31"), vec![0, 1]),
        ] {
            assert_eq!(
                among(
                    &all,
                    where_one(&mut r, entity, field.clone(), op, operand.clone()).await
                ),
                pick(&all, &expected),
                "{} renewal {{{op}}} {operand:?}",
                entity.as_str()
            );
        }
        drop(r);

        let rows = [Some(json!(true)), Some(json!("false")), Some(json!(1)), None];
        let all = people_with(&s, entity, owner.id, &defs[2], &rows).await;
        let field = attribute_field(&defs[2]);
        let mut r = reader(&s).await;
        for (op, operand, expected) in [
            (FilterOp::Eq, text("true"), vec![0, 2]),
            (FilterOp::Eq, text("false"), vec![1]),
            (FilterOp::Ne, text("true"), vec![1, 3]),
            (FilterOp::In, texts(&["true", "false"]), vec![0, 1, 2]),
        ] {
            assert_eq!(
                among(
                    &all,
                    where_one(&mut r, entity, field.clone(), op, operand.clone()).await
                ),
                pick(&all, &expected),
                "{} active {{{op}}} {operand:?}",
                entity.as_str()
            );
        }
    }
}

pub(in crate::conformance) async fn person_query_columns(s: Arc<dyn Store>) {
    use AttributeEntity::{Customer as C, EndUser as U};
    use PersonColumn as Col;
    let base = now();
    // name, email, city, country, external_id
    let rows = [
        (
            "Acme Corp",
            Some("ops@acme.example"),
            Some("Berlin"),
            Some("DE"),
            Some("CRM-7"),
        ),
        ("acme labs", None, Some("berlin"), None, None),
        ("Beta Ltd", Some("hello@beta.example"), None, Some("FR"), Some("crm-8")),
        ("Zenith", Some("z@zenith.example"), Some("Paris"), Some("FR"), None),
    ];
    let mut w = writer(&s).await;
    let mut customers = Vec::new();
    for (n, (name, email, city, country, external_id)) in rows.iter().enumerate() {
        let offset = i64::try_from(n).expect("small") * 1_000_000;
        let c = w
            .insert_customer(
                &Customer {
                    email: email.map(str::to_owned),
                    phone: Some(format!("+49 30 {n}")),
                    city: city.map(str::to_owned),
                    country: country.map(str::to_owned),
                    created_at: at(base, offset),
                    updated_at: at(base, 10_000_000 - offset),
                    ..new_customer(name, *external_id)
                },
                &[],
            )
            .await
            .expect("customer");
        customers.push(c.id);
    }
    let mut users = Vec::new();
    for (n, (first, last, owner)) in [
        (Some("Ada"), Some("Lovelace"), 0),
        (Some("ada"), None, 0),
        (None, Some("Hopper"), 1),
    ]
    .into_iter()
    .enumerate()
    {
        let u = w
            .insert_end_user(
                &EndUser {
                    first_name: first.map(str::to_owned),
                    last_name: last.map(str::to_owned),
                    city: (n == 0).then(|| "London".to_owned()),
                    country: (n == 2).then(|| "US".to_owned()),
                    ..new_end_user(customers[owner], &format!("User {n}"), None)
                },
                None,
                &[],
            )
            .await
            .expect("end user");
        users.push(u.id);
    }
    w.commit().await.expect("commit");

    let col = PersonField::Column;
    let created = |i: usize| to_micros(base) + i64::try_from(i).expect("small") * 1_000_000;
    let mut r = reader(&s).await;
    for (field, op, operand, expected) in [
        (col(Col::Name), FilterOp::Eq, text("acme corp"), vec![0]),
        (col(Col::Name), FilterOp::Ne, text("acme corp"), vec![1, 2, 3]),
        (col(Col::Name), FilterOp::Ct, text("acme"), vec![0, 1]),
        (col(Col::Name), FilterOp::Sw, text("acme "), vec![0, 1]),
        (col(Col::Name), FilterOp::Ew, text("ltd"), vec![2]),
        (col(Col::Name), FilterOp::Gt, text("beta ltd"), vec![3]),
        (col(Col::Name), FilterOp::Gte, text("beta ltd"), vec![2, 3]),
        (col(Col::Name), FilterOp::Lt, text("b"), vec![0, 1]),
        (col(Col::Name), FilterOp::Lte, text("acme labs"), vec![0, 1]),
        (
            col(Col::Name),
            FilterOp::In,
            texts(&["zenith", "beta ltd", "x"]),
            vec![2, 3],
        ),
        (col(Col::Email), FilterOp::Ew, text("@beta.example"), vec![2]),
        // `ne` counts a record without a value as different.
        (col(Col::Email), FilterOp::Ne, text("z@zenith.example"), vec![0, 1, 2]),
        (col(Col::City), FilterOp::Eq, text("berlin"), vec![0, 1]),
        (col(Col::City), FilterOp::Ne, text("berlin"), vec![2, 3]),
        (col(Col::Country), FilterOp::In, texts(&["fr"]), vec![2, 3]),
        (col(Col::Country), FilterOp::Ne, text("fr"), vec![0, 1]),
        (col(Col::Phone), FilterOp::Sw, text("+49 30 3"), vec![3]),
        (col(Col::ExternalId), FilterOp::Eq, text("crm-7"), vec![0]),
        (col(Col::ExternalId), FilterOp::Sw, text("crm-"), vec![0, 2]),
        (col(Col::ExternalId), FilterOp::Ne, text("crm-7"), vec![1, 2, 3]),
        (col(Col::Id), FilterOp::Eq, Operand::Integer(customers[2]), vec![2]),
        (
            col(Col::Id),
            FilterOp::Ne,
            Operand::Integer(customers[2]),
            vec![0, 1, 3],
        ),
        (col(Col::Id), FilterOp::Gt, Operand::Integer(customers[1]), vec![2, 3]),
        (
            col(Col::Id),
            FilterOp::Gte,
            Operand::Integer(customers[1]),
            vec![1, 2, 3],
        ),
        (col(Col::Id), FilterOp::Lt, Operand::Integer(customers[1]), vec![0]),
        (col(Col::Id), FilterOp::Lte, Operand::Integer(customers[1]), vec![0, 1]),
        (
            col(Col::Id),
            FilterOp::In,
            Operand::Integers(vec![customers[0], customers[3], 9_999_999]),
            vec![0, 3],
        ),
        (
            col(Col::CreatedAt),
            FilterOp::Gte,
            Operand::Integer(created(2)),
            vec![2, 3],
        ),
        (col(Col::CreatedAt), FilterOp::Lt, Operand::Integer(created(1)), vec![0]),
        (col(Col::CreatedAt), FilterOp::Eq, Operand::Integer(created(3)), vec![3]),
        (
            col(Col::UpdatedAt),
            FilterOp::Gt,
            Operand::Integer(to_micros(base) + 8_000_000),
            vec![0, 1],
        ),
    ] {
        assert_eq!(
            where_one(&mut r, C, field.clone(), op, operand.clone()).await,
            pick(&customers, &expected),
            "customers {field:?} {{{op}}} {operand:?}"
        );
    }
    for (field, op, operand, expected) in [
        (col(Col::FirstName), FilterOp::Eq, text("ada"), vec![0, 1]),
        (col(Col::FirstName), FilterOp::Ne, text("ada"), vec![2]),
        (col(Col::LastName), FilterOp::Sw, text("love"), vec![0]),
        (col(Col::LastName), FilterOp::Ne, text("hopper"), vec![0, 1]),
        (col(Col::City), FilterOp::Eq, text("london"), vec![0]),
        (col(Col::Country), FilterOp::Ne, text("us"), vec![0, 1]),
        (col(Col::Name), FilterOp::Ew, text(" 2"), vec![2]),
        (
            col(Col::CustomerId),
            FilterOp::Eq,
            Operand::Integer(customers[0]),
            vec![0, 1],
        ),
        (
            col(Col::CustomerId),
            FilterOp::Ne,
            Operand::Integer(customers[0]),
            vec![2],
        ),
        (
            col(Col::CustomerId),
            FilterOp::In,
            Operand::Integers(vec![customers[1], customers[3]]),
            vec![2],
        ),
    ] {
        assert_eq!(
            where_one(&mut r, U, field.clone(), op, operand.clone()).await,
            pick(&users, &expected),
            "end users {field:?} {{{op}}} {operand:?}"
        );
    }
}

/// `%`, `_` and `\` in a value are themselves, never LIKE wildcards or escapes.
pub(in crate::conformance) async fn person_query_like_wildcards_are_literal(s: Arc<dyn Store>) {
    let def = define(
        &s,
        vec![new_attribute(AttributeEntity::Customer, "label", AttributeType::Text)],
    )
    .await;
    let words = [
        "100%",
        "100 percent",
        "a_b",
        "axb",
        "back\\slash",
        "backslash",
        "50%_off\\",
    ];
    let mut w = writer(&s).await;
    let mut people = Vec::new();
    for word in words {
        // The same text as a name (a built-in column) and as an attribute value.
        let c = add_customer(&mut w, &def, new_customer(word, None), &[("label", json!(word))])
            .await
            .expect("customer");
        people.push(c.id);
    }
    w.commit().await.expect("commit");
    let values: Vec<(i64, Option<String>)> = people
        .iter()
        .zip(words)
        .map(|(id, w)| (*id, Some(w.to_owned())))
        .collect();
    let mut r = reader(&s).await;
    for (op, needle, expected) in [
        (FilterOp::Ct, "%", vec![0, 6]),
        (FilterOp::Ct, "_", vec![2, 6]),
        (FilterOp::Ct, "\\", vec![4, 6]),
        (FilterOp::Ct, "%_", vec![6]),
        (FilterOp::Sw, "100%", vec![0]),
        (FilterOp::Sw, "a_", vec![2]),
        (FilterOp::Ew, "_b", vec![2]),
        (FilterOp::Ew, "\\", vec![6]),
        (FilterOp::Ct, "k\\s", vec![4]),
        (FilterOp::Eq, "a_b", vec![2]),
    ] {
        let expected = pick(&people, &expected);
        assert_eq!(
            text_model(&values, op, &text(needle)),
            expected,
            "the model of {{{op}}} {needle:?}"
        );
        for field in [attribute_field(&def[0]), PersonField::Column(PersonColumn::Name)] {
            assert_eq!(
                where_one(&mut r, AttributeEntity::Customer, field.clone(), op, text(needle)).await,
                expected,
                "{field:?} {{{op}}} {needle:?}"
            );
        }
    }
}

/// Folded values are Rust's lower case; every operator and the order compare them the same way on every
/// backend (by their UTF-8 bytes), non-ASCII letters included.
pub(in crate::conformance) async fn person_query_non_ascii_text(s: Arc<dyn Store>) {
    let owner = owner(&s).await;
    let words = [
        "Ärger",
        "ÄRGER",
        "ärgerlich",
        "Éclair",
        "eclair",
        "Straße",
        "Œuvre",
        "zebra",
        "Ωmega",
        "Ça va",
        "İstanbul",
        "ǅemal",
    ];
    for entity in ENTITIES {
        let def = define(&s, vec![new_attribute(entity, "word", AttributeType::Text)]).await;
        let rows: Vec<Option<Value>> = words.iter().map(|w| Some(json!(w))).chain([None]).collect();
        let all = people_with(&s, entity, owner.id, &def[0], &rows).await;
        let values: Vec<(i64, Option<String>)> = all
            .iter()
            .zip(rows.iter())
            .map(|(id, v)| (*id, v.as_ref().and_then(Value::as_str).map(domain::attribute::fold)))
            .collect();
        let field = attribute_field(&def[0]);
        let fold = domain::attribute::fold;
        let mut r = reader(&s).await;
        let cases = [
            (FilterOp::Eq, text(&fold("ÄRGER"))),
            (FilterOp::Ne, text(&fold("Ärger"))),
            (FilterOp::Ct, text("é")),
            (FilterOp::Ct, text("ß")),
            (FilterOp::Sw, text(&fold("ÄR"))),
            (FilterOp::Sw, text(&fold("İ"))),
            (FilterOp::Ew, text(&fold("LICH"))),
            (FilterOp::Ew, text(&fold("EMAL"))),
            (FilterOp::Gt, text("zebra")),
            (FilterOp::Gte, text("éclair")),
            (FilterOp::Lt, text("éclair")),
            (FilterOp::Lte, text("ärger")),
            (FilterOp::Gt, text("ω")),
            (FilterOp::In, texts(&["œuvre", "ωmega", "ça va", "nothing"])),
        ];
        for (op, operand) in cases {
            let expected = text_model(&values, op, &operand);
            assert_eq!(
                among(
                    &all,
                    where_one(&mut r, entity, field.clone(), op, operand.clone()).await
                ),
                expected,
                "{} word {{{op}}} {operand:?}",
                entity.as_str()
            );
        }
        // The model is not vacuous: folding ignores case, never accents.
        assert_eq!(
            text_model(&values, FilterOp::Eq, &text("ärger")).len(),
            2,
            "Ärger and ÄRGER fold alike"
        );
        assert_eq!(text_model(&values, FilterOp::Ct, &text("é")).len(), 1, "é is not e");

        // Ordered by the folded bytes, ties by id, the record without a value last.
        let mut expected: Vec<(String, i64)> = values
            .iter()
            .filter_map(|(id, v)| v.clone().map(|v| (v, *id)))
            .collect();
        expected.sort();
        let mut ascending: Vec<i64> = expected.iter().map(|(_, id)| *id).collect();
        let none = all[all.len() - 1];
        ascending.push(none);
        let ordered = |descending| PersonQuery {
            order: PersonOrder {
                field: field.clone(),
                descending,
            },
            ..query(entity, vec![])
        };
        let people: BTreeSet<i64> = all.iter().copied().collect();
        let listed_here: Vec<i64> = listed(&mut r, &ordered(false))
            .await
            .into_iter()
            .filter(|id| people.contains(id))
            .collect();
        assert_eq!(listed_here, ascending, "{} ordered by word", entity.as_str());
        expected.reverse();
        let mut descending: Vec<i64> = expected.iter().map(|(_, id)| *id).collect();
        descending.push(none);
        let listed_here: Vec<i64> = listed(&mut r, &ordered(true))
            .await
            .into_iter()
            .filter(|id| people.contains(id))
            .collect();
        assert_eq!(listed_here, descending, "{} ordered by -word", entity.as_str());
    }
}

pub(in crate::conformance) async fn person_query_tags(s: Arc<dyn Store>) {
    use AttributeEntity::{Customer as C, EndUser as U};
    let mut w = writer(&s).await;
    let mut customers = Vec::new();
    for tags in [vec!["vip", "eu"], vec!["VIP"], vec![], vec!["eu", "us"]] {
        let c = w
            .insert_customer(
                &Customer {
                    tags: tagged(&tags),
                    ..new_customer("Tagged", None)
                },
                &[],
            )
            .await
            .expect("customer");
        customers.push(c);
    }
    let user = w
        .insert_end_user(
            &EndUser {
                tags: tagged(&["vip", "owner"]),
                ..new_end_user(customers[1].id, "Tagged user", None)
            },
            None,
            &[],
        )
        .await
        .expect("end user");
    w.commit().await.expect("commit");
    let ids_of: Vec<i64> = customers.iter().map(|c| c.id).collect();
    let mut r = reader(&s).await;
    for (op, operand, expected) in [
        (FilterOp::Eq, text("vip"), vec![0]),
        (FilterOp::Eq, text("VIP"), vec![1]),
        (FilterOp::Eq, text("Vip"), vec![]),
        (FilterOp::Eq, text("owner"), vec![]),
        (FilterOp::Ne, text("vip"), vec![1, 2, 3]),
        (FilterOp::Ne, text("eu"), vec![1, 2]),
        (FilterOp::In, texts(&["us", "VIP"]), vec![1, 3]),
    ] {
        assert_eq!(
            where_one(&mut r, C, PersonField::Tags, op, operand.clone()).await,
            pick(&ids_of, &expected),
            "customers tags {{{op}}} {operand:?}"
        );
    }
    assert_eq!(
        where_one(&mut r, U, PersonField::Tags, FilterOp::Eq, text("vip")).await,
        BTreeSet::from([user.id])
    );
    assert!(
        where_one(&mut r, U, PersonField::Tags, FilterOp::Eq, text("eu"))
            .await
            .is_empty(),
        "a customer's tags are not its end users'"
    );
    let both = query(
        C,
        vec![
            condition(PersonField::Tags, FilterOp::Eq, text("eu")),
            condition(PersonField::Tags, FilterOp::Ne, text("us")),
        ],
    );
    assert_eq!(matched(&mut r, &both).await, pick(&ids_of, &[0]), "two tag conditions");
    drop(r);

    // Tags replaced by an update, and soft-deleted records left out of tag lookups.
    let mut w = writer(&s).await;
    w.update_customer(
        &Customer {
            tags: tagged(&["eu"]),
            ..customers[0].clone()
        },
        None,
    )
    .await
    .expect("retag");
    w.update_customer(
        &Customer {
            deleted_at: Some(now()),
            ..customers[3].clone()
        },
        None,
    )
    .await
    .expect("soft delete");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert!(
        where_one(&mut r, C, PersonField::Tags, FilterOp::Eq, text("vip"))
            .await
            .is_empty()
    );
    assert_eq!(
        where_one(&mut r, C, PersonField::Tags, FilterOp::Eq, text("eu")).await,
        pick(&ids_of, &[0])
    );
    let deleted_too = PersonQuery {
        deleted: DeletedFilter::Include,
        ..query(C, vec![condition(PersonField::Tags, FilterOp::Eq, text("eu"))])
    };
    assert_eq!(matched(&mut r, &deleted_too).await, pick(&ids_of, &[0, 3]));
}

pub(in crate::conformance) async fn person_query_combined(s: Arc<dyn Store>) {
    use AttributeEntity::{Customer as C, EndUser as U};
    let defs = define(
        &s,
        vec![
            new_attribute(C, "seats", AttributeType::Number),
            Attribute {
                searchable: true,
                ..new_attribute(C, "industry", AttributeType::Text)
            },
            new_attribute(U, "level", AttributeType::Number),
        ],
    )
    .await;
    let (customer_defs, user_defs) = defs.split_at(2);
    let mut w = writer(&s).await;
    let mut customers = Vec::new();
    for (name, country, seats, industry, tags, external_id) in [
        ("Jamaica Rum", "Jamaica", 5, "Distillery", vec!["vip"], "jr-1"),
        ("Berlin Bikes", "Germany", 50, "Bicycles", vec!["eu", "vip"], "bb-2"),
        ("Hamburg Harbour", "Germany", 500, "Logistics", vec!["eu"], "hh-3"),
        ("Munich Motors", "Germany", 50, "Logistics", vec!["eu", "vip"], "mm-4"),
    ] {
        let c = add_customer(
            &mut w,
            customer_defs,
            Customer {
                country: Some(country.into()),
                tags: tagged(&tags),
                ..new_customer(name, Some(external_id))
            },
            &[("seats", json!(seats)), ("industry", json!(industry))],
        )
        .await
        .expect("customer");
        customers.push(c.id);
    }
    let mut users = Vec::new();
    for (owner, level) in [(1, 1), (1, 3), (3, 3), (3, 5)] {
        let u = add_end_user(
            &mut w,
            user_defs,
            new_end_user(customers[owner], &format!("Level {level}"), None),
            &[("level", json!(level))],
        )
        .await
        .expect("end user");
        users.push(u.id);
    }
    w.commit().await.expect("commit");
    let seats = attribute_field(&defs[0]);
    let industry = attribute_field(&defs[1]);
    let level = attribute_field(&defs[2]);
    let country = PersonField::Column(PersonColumn::Country);

    let mut r = reader(&s).await;
    let q = query(
        C,
        vec![
            condition(seats.clone(), FilterOp::Gte, Operand::Number(50.0)),
            condition(country.clone(), FilterOp::Eq, text("germany")),
            condition(PersonField::Tags, FilterOp::Eq, text("vip")),
        ],
    );
    assert_eq!(matched(&mut r, &q).await, pick(&customers, &[1, 3]), "all must hold");
    let q = query(
        C,
        vec![
            condition(seats.clone(), FilterOp::Lt, Operand::Number(500.0)),
            condition(industry.clone(), FilterOp::Ne, text("bicycles")),
            condition(PersonField::Tags, FilterOp::In, texts(&["eu", "vip"])),
        ],
    );
    assert_eq!(matched(&mut r, &q).await, pick(&customers, &[0, 3]));
    let q = PersonQuery {
        terms: vec!["logistics".into()],
        ..query(C, vec![condition(seats.clone(), FilterOp::Eq, Operand::Number(50.0))])
    };
    assert_eq!(matched(&mut r, &q).await, pick(&customers, &[3]), "keyword and filter");
    let q = PersonQuery {
        external_id: Some("hh-3".into()),
        ..query(C, vec![])
    };
    assert_eq!(matched(&mut r, &q).await, pick(&customers, &[2]), "by external_id");
    let q = PersonQuery {
        external_id: Some("hh-3".into()),
        ..query(C, vec![condition(seats.clone(), FilterOp::Lt, Operand::Number(100.0))])
    };
    assert!(matched(&mut r, &q).await.is_empty());
    let q = PersonQuery {
        customer_id: Some(customers[3]),
        ..query(U, vec![condition(level.clone(), FilterOp::Gte, Operand::Number(3.0))])
    };
    assert_eq!(
        matched(&mut r, &q).await,
        pick(&users, &[2, 3]),
        "one customer's end users"
    );
    let q = query(
        U,
        vec![
            condition(level.clone(), FilterOp::Eq, Operand::Number(3.0)),
            condition(
                PersonField::Column(PersonColumn::CustomerId),
                FilterOp::Ne,
                Operand::Integer(customers[3]),
            ),
        ],
    );
    assert_eq!(matched(&mut r, &q).await, pick(&users, &[1]));
    let q = PersonQuery {
        customer_id: Some(customers[0]),
        ..query(U, vec![])
    };
    assert!(matched(&mut r, &q).await.is_empty(), "a customer without end users");
}

pub(in crate::conformance) async fn person_query_order_and_pages(s: Arc<dyn Store>) {
    use AttributeEntity::Customer as C;
    let defs = define(
        &s,
        vec![
            new_attribute(C, "seats", AttributeType::Number),
            new_attribute(C, "tier", AttributeType::Text),
        ],
    )
    .await;
    let base = now();
    // name, seats, tier, city
    let rows = [
        ("delta", Some(9.0), Some("b"), Some("Oslo")),
        ("Alpha", Some(50.0), None, None),
        ("charlie", Some(500.0), Some("A"), Some("bergen")),
        ("bravo", None, Some("c"), Some("Aalborg")),
        ("Echo", Some(50.0), Some("b"), None),
        ("foxtrot", Some(-1.0), None, Some("oslo")),
        ("golf", None, Some("B"), Some("Bergen")),
        ("hotel", Some(1e3), Some("a"), None),
    ];
    let mut w = writer(&s).await;
    let mut people = Vec::new();
    for (n, (name, seats, tier, city)) in rows.iter().enumerate() {
        let mut pairs = Vec::new();
        if let Some(n) = seats {
            pairs.push(("seats", json!(n)));
        }
        if let Some(t) = tier {
            pairs.push(("tier", json!(t)));
        }
        // Created newest first by index, so that created_at and id orders differ.
        let created = at(base, -i64::try_from(n).expect("small") * 1_000);
        let c = add_customer(
            &mut w,
            &defs,
            Customer {
                city: city.map(str::to_owned),
                created_at: created,
                updated_at: created,
                ..new_customer(name, None)
            },
            &pairs,
        )
        .await
        .expect("customer");
        people.push(c.id);
    }
    w.commit().await.expect("commit");

    let by = |field: PersonField, descending: bool| PersonOrder { field, descending };
    let seats = attribute_field(&defs[0]);
    let tier = attribute_field(&defs[1]);
    let col = PersonField::Column;
    // Index orders: numbers numerically, ties by id in the same direction, missing values last both ways.
    let cases: Vec<(PersonOrder, Vec<usize>)> = vec![
        (by(seats.clone(), false), vec![5, 0, 1, 4, 2, 7, 3, 6]),
        (by(seats.clone(), true), vec![7, 2, 4, 1, 0, 5, 6, 3]),
        (by(tier.clone(), false), vec![2, 7, 0, 4, 6, 3, 1, 5]),
        (by(tier.clone(), true), vec![3, 6, 4, 0, 7, 2, 5, 1]),
        (by(col(PersonColumn::Name), false), vec![1, 3, 2, 0, 4, 5, 6, 7]),
        (by(col(PersonColumn::Name), true), vec![7, 6, 5, 4, 0, 2, 3, 1]),
        // A built-in column without a value sorts last too.
        (by(col(PersonColumn::City), false), vec![3, 2, 6, 0, 5, 1, 4, 7]),
        (by(col(PersonColumn::City), true), vec![5, 0, 6, 2, 3, 7, 4, 1]),
        (by(col(PersonColumn::CreatedAt), false), vec![7, 6, 5, 4, 3, 2, 1, 0]),
        (by(col(PersonColumn::CreatedAt), true), vec![0, 1, 2, 3, 4, 5, 6, 7]),
        (by(col(PersonColumn::Id), false), vec![0, 1, 2, 3, 4, 5, 6, 7]),
        (by(col(PersonColumn::Id), true), vec![7, 6, 5, 4, 3, 2, 1, 0]),
    ];
    let mut r = reader(&s).await;
    for (order, expected) in &cases {
        let expected: Vec<i64> = expected.iter().map(|&i| people[i]).collect();
        let whole = PersonQuery {
            order: order.clone(),
            ..query(C, vec![])
        };
        assert_eq!(listed(&mut r, &whole).await, expected, "ordered by {order:?}");
        // Offset pages of three cover the same order, without gaps or repeats.
        let mut paged = Vec::new();
        for offset in (0..10).step_by(3) {
            let page = PersonQuery {
                page: PersonPage::Offset { offset, limit: 3 },
                ..whole.clone()
            };
            let rows = listed(&mut r, &page).await;
            assert!(rows.len() <= 3, "a page is longer than its limit: {rows:?}");
            paged.extend(rows);
        }
        assert_eq!(paged, expected, "offset pages ordered by {order:?}");
        let past = PersonQuery {
            page: PersonPage::Offset { offset: 8, limit: 3 },
            ..whole.clone()
        };
        assert!(listed(&mut r, &past).await.is_empty(), "a page past the end");
        let count = r.person_count(&past).await.expect("person_count");
        assert_eq!(count, 8, "person_count counts every page");
    }
    // Keyset pages in id order, both ways, also with a condition.
    for descending in [true, false] {
        let ordered = |after: Option<Cursor>| PersonQuery {
            order: by(col(PersonColumn::Id), descending),
            page: PersonPage::Keyset(PageRequest { limit: 3, after }),
            ..query(C, vec![])
        };
        let mut after = None;
        let mut all = Vec::new();
        for _ in 0..10 {
            let rows = listed(&mut r, &ordered(after.clone())).await;
            assert!(rows.len() <= 3);
            match rows.last() {
                None => break,
                Some(&last) => after = Some(Cursor { key: 0, id: last }),
            }
            all.extend(rows);
        }
        let mut expected = people.clone();
        if descending {
            expected.reverse();
        }
        assert_eq!(all, expected, "keyset pages, descending: {descending}");
    }
    let after_third = PersonQuery {
        page: PersonPage::Keyset(PageRequest {
            limit: 2,
            after: Some(Cursor { key: 0, id: people[3] }),
        }),
        ..query(C, vec![condition(seats.clone(), FilterOp::Gte, Operand::Number(0.0))])
    };
    assert_eq!(
        listed(&mut r, &after_third).await,
        vec![people[2], people[1]],
        "a keyset page after a cursor, filtered"
    );
    drop(r);

    // End users the same way: by an attribute and by a column, missing values last.
    let level = define(
        &s,
        vec![new_attribute(AttributeEntity::EndUser, "level", AttributeType::Number)],
    )
    .await;
    let mut w = writer(&s).await;
    let mut users = Vec::new();
    for (first, level_value) in [
        (Some("Zoe"), Some(10)),
        (None, Some(2)),
        (Some("adam"), None),
        (Some("Bea"), Some(10)),
    ] {
        let pairs: Vec<(&str, Value)> = level_value.iter().map(|l| ("level", json!(l))).collect();
        let u = add_end_user(
            &mut w,
            &level,
            EndUser {
                first_name: first.map(str::to_owned),
                ..new_end_user(people[0], "User", None)
            },
            &pairs,
        )
        .await
        .expect("end user");
        users.push(u.id);
    }
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    for (order, expected) in [
        (by(attribute_field(&level[0]), false), vec![1, 0, 3, 2]),
        (by(attribute_field(&level[0]), true), vec![3, 0, 1, 2]),
        (by(col(PersonColumn::FirstName), false), vec![2, 3, 0, 1]),
        (by(col(PersonColumn::FirstName), true), vec![0, 3, 2, 1]),
    ] {
        let q = PersonQuery {
            order: order.clone(),
            ..query(AttributeEntity::EndUser, vec![])
        };
        let expected: Vec<i64> = expected.iter().map(|&i| users[i]).collect();
        assert_eq!(listed(&mut r, &q).await, expected, "end users ordered by {order:?}");
    }
}

pub(in crate::conformance) async fn person_query_deleted(s: Arc<dyn Store>) {
    use AttributeEntity::{Customer as C, EndUser as U};
    let defs = define(&s, vec![new_attribute(U, "shift", AttributeType::Text)]).await;
    let mut w = writer(&s).await;
    let live = w
        .insert_customer(&new_customer("Live", None), &[])
        .await
        .expect("customer");
    let gone = w
        .insert_customer(&new_customer("Gone", None), &[])
        .await
        .expect("customer");
    let mut users = Vec::new();
    for (owner, deleted) in [(&live, false), (&live, true), (&gone, false), (&gone, true)] {
        let u = add_end_user(
            &mut w,
            &defs,
            EndUser {
                deleted_at: deleted.then(now),
                tags: tagged(&["night"]),
                ..new_end_user(owner.id, "Worker", None)
            },
            &[("shift", json!("night"))],
        )
        .await
        .expect("end user");
        users.push(u.id);
    }
    w.update_customer(
        &Customer {
            deleted_at: Some(now()),
            ..gone.clone()
        },
        None,
    )
    .await
    .expect("soft delete");
    w.commit().await.expect("commit");
    let shift = condition(attribute_field(&defs[0]), FilterOp::Eq, text("night"));
    let tag = condition(PersonField::Tags, FilterOp::Eq, text("night"));
    let mut r = reader(&s).await;
    for (deleted, customers, end_users) in [
        (DeletedFilter::Exclude, vec![live.id], vec![0]),
        (DeletedFilter::Only, vec![gone.id], vec![1, 2, 3]),
        (DeletedFilter::Include, vec![live.id, gone.id], vec![0, 1, 2, 3]),
    ] {
        let q = PersonQuery {
            deleted,
            ..query(C, vec![])
        };
        assert_eq!(
            matched(&mut r, &q).await,
            customers.into_iter().collect(),
            "customers {deleted:?}"
        );
        for conditions in [vec![], vec![shift.clone()], vec![tag.clone()]] {
            let q = PersonQuery {
                deleted,
                ..query(U, conditions.clone())
            };
            assert_eq!(
                matched(&mut r, &q).await,
                pick(&users, &end_users),
                "end users {deleted:?} where {conditions:?}: those of a deleted customer count as deleted"
            );
        }
    }
    for (deleted, expected) in [
        (DeletedFilter::Exclude, vec![]),
        (DeletedFilter::Only, vec![2, 3]),
        (DeletedFilter::Include, vec![2, 3]),
    ] {
        let q = PersonQuery {
            deleted,
            customer_id: Some(gone.id),
            ..query(U, vec![])
        };
        assert_eq!(
            matched(&mut r, &q).await,
            pick(&users, &expected),
            "the end users of a deleted customer, {deleted:?}"
        );
    }
    let q = PersonQuery {
        deleted: DeletedFilter::Only,
        customer_id: Some(live.id),
        ..query(U, vec![shift.clone()])
    };
    assert_eq!(matched(&mut r, &q).await, pick(&users, &[1]));
}

pub(in crate::conformance) async fn customer_lookups(s: Arc<dyn Store>) {
    let mut w = writer(&s).await;
    let live = w
        .insert_customer(
            &Customer {
                email: Some("billing@live.example".into()),
                ..new_customer("Live", Some("crm-1"))
            },
            &[],
        )
        .await
        .expect("customer");
    let gone = w
        .insert_customer(
            &Customer {
                email: Some("billing@gone.example".into()),
                deleted_at: Some(now()),
                ..new_customer("Gone", Some("crm-2"))
            },
            &[],
        )
        .await
        .expect("customer");
    let bare = w
        .insert_customer(&new_customer("Bare", None), &[])
        .await
        .expect("customer");
    w.commit().await.expect("commit");

    let mut r = reader(&s).await;
    assert_eq!(
        r.customer_by_external_id("crm-1").await.expect("lookup"),
        Some(live.clone())
    );
    assert_eq!(
        r.customer_by_external_id("crm-2").await.expect("lookup"),
        Some(gone.clone()),
        "a soft-deleted customer is found by external_id"
    );
    assert_eq!(r.customer_by_external_id("crm-3").await.expect("lookup"), None);
    assert_eq!(r.customer_by_external_id("").await.expect("lookup"), None);
    assert_eq!(
        r.customer_by_email("billing@live.example").await.expect("lookup"),
        Some(live.clone())
    );
    assert_eq!(
        r.customer_by_email("billing@gone.example").await.expect("lookup"),
        Some(gone.clone()),
        "a soft-deleted customer is found by email"
    );
    assert_eq!(r.customer_by_email("nobody@example.com").await.expect("lookup"), None);

    let mut found = r
        .customers_by_ids(&[bare.id, gone.id, 9_999_999, live.id, bare.id])
        .await
        .expect("customers_by_ids");
    found.sort_by_key(|c| c.id);
    assert_eq!(
        found,
        vec![live, gone, bare],
        "every customer asked for, soft-deleted ones too, once each"
    );
    assert!(r.customers_by_ids(&[]).await.expect("customers_by_ids").is_empty());
    assert!(
        r.customers_by_ids(&[9_999_999])
            .await
            .expect("customers_by_ids")
            .is_empty()
    );
}
