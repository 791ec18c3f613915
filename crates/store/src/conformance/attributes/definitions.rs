//! Checks of attribute definitions, the values and tags written with each record, uniqueness held by the
//! database, and keyword search over searchable attributes.
use super::*;

pub(in crate::conformance) async fn attribute_definitions(s: Arc<dyn Store>) {
    use AttributeEntity::{Customer as C, EndUser as U};
    let created = now();
    let plan = Attribute {
        description: "what they pay for".into(),
        required: true,
        searchable: true,
        default_value: Some(json!("silver")),
        options: vec!["gold".into(), "silver".into()],
        created_at: Some(created),
        updated_at: Some(at(created, 5)),
        ..new_attribute(C, "plan", AttributeType::Select)
    };
    let defs = define(
        &s,
        vec![
            plan,
            Attribute {
                unique: true,
                editable: false,
                ..new_attribute(C, "seats", AttributeType::Number)
            },
            new_attribute(U, "Title", AttributeType::Text),
            // The same name on the other entity is another attribute.
            new_attribute(U, "plan", AttributeType::Boolean),
        ],
    )
    .await;
    let [plan, seats, title, user_plan] = <[Attribute; 4]>::try_from(defs).expect("four attributes");
    let all_ids = BTreeSet::from([
        attribute_id(&plan),
        attribute_id(&seats),
        attribute_id(&title),
        attribute_id(&user_plan),
    ]);
    assert_eq!(all_ids.len(), 4, "every attribute has an id of its own");

    let mut r = reader(&s).await;
    assert_eq!(
        r.attributes(C, false).await.expect("attributes"),
        vec![plan.clone(), seats.clone()],
        "an entity's attributes, oldest first, every field as written"
    );
    assert_eq!(
        r.attributes(U, true).await.expect("attributes"),
        vec![title.clone(), user_plan.clone()]
    );
    assert_eq!(
        r.attribute(attribute_id(&title)).await.expect("attribute"),
        Some(title.clone())
    );
    assert_eq!(r.attribute(9_999_999).await.expect("attribute"), None);
    drop(r);

    // Names are unique per entity, ignoring case (each violation on a writer of its own).
    for (entity, name) in [(C, "PLAN"), (C, "Seats"), (U, "title"), (U, "Plan")] {
        let mut w = writer(&s).await;
        assert_conflict(
            w.insert_attribute(&new_attribute(entity, name, AttributeType::Text))
                .await,
            UniqueKey::AttributeName,
            &format!("a second {} attribute {name}", entity.as_str()),
        );
    }

    // An update writes every field; a soft delete is an update.
    let changed = Attribute {
        pretty_name: "Service plan".into(),
        description: String::new(),
        required: false,
        editable: false,
        searchable: false,
        default_value: None,
        options: vec!["gold".into(), "silver".into(), "bronze".into()],
        updated_at: Some(at(created, 50)),
        ..plan.clone()
    };
    let deleted = Attribute {
        deleted_at: Some(at(created, 60)),
        updated_at: Some(at(created, 60)),
        ..seats.clone()
    };
    let mut w = writer(&s).await;
    w.update_attribute(&changed, &plan).await.expect("update attribute");
    w.update_attribute(&deleted, &seats)
        .await
        .expect("soft-delete attribute");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(
        r.attributes(C, false).await.expect("attributes"),
        vec![changed.clone()],
        "a soft-deleted attribute is left out"
    );
    assert_eq!(
        r.attributes(C, true).await.expect("attributes"),
        vec![changed.clone(), deleted.clone()],
        "with_deleted lists it"
    );
    assert_eq!(
        r.attribute(attribute_id(&seats)).await.expect("attribute"),
        Some(deleted.clone()),
        "a soft-deleted attribute is found by id"
    );
    drop(r);

    // A deleted attribute keeps its name.
    let mut w = writer(&s).await;
    assert_conflict(
        w.insert_attribute(&new_attribute(C, "SEATS", AttributeType::Text))
            .await,
        UniqueKey::AttributeName,
        "the name of a deleted attribute",
    );
    drop(w);
    let restored = Attribute {
        deleted_at: None,
        ..deleted.clone()
    };
    let mut w = writer(&s).await;
    w.update_attribute(&restored, &deleted)
        .await
        .expect("restore attribute");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(
        r.attributes(C, false).await.expect("attributes"),
        vec![changed.clone(), restored.clone()]
    );
    drop(r);
    let mut w = writer(&s).await;
    assert_conflict(
        w.update_attribute(
            &Attribute {
                name: "Plan".into(),
                ..restored.clone()
            },
            &restored,
        )
        .await,
        UniqueKey::AttributeName,
        "an attribute renamed to another's name",
    );
}

pub(in crate::conformance) async fn attribute_values_written_with_people(s: Arc<dyn Store>) {
    use AttributeEntity::{Customer as C, EndUser as U};
    let defs = define(
        &s,
        vec![
            new_attribute(C, "code", AttributeType::Text),
            new_attribute(C, "seats", AttributeType::Number),
            new_attribute(U, "code", AttributeType::Text),
            new_attribute(U, "badge", AttributeType::Text),
        ],
    )
    .await;
    let (customer_defs, user_defs) = defs.split_at(2);
    let (code, seats, user_code, badge) = (&defs[0], &defs[1], &defs[2], &defs[3]);

    let mut w = writer(&s).await;
    let acme = add_customer(
        &mut w,
        customer_defs,
        Customer {
            tags: tagged(&["vip", "eu"]),
            ..new_customer("Acme", None)
        },
        &[("code", json!("Red")), ("seats", json!(12))],
    )
    .await
    .expect("customer with values");
    let ada = add_end_user(
        &mut w,
        user_defs,
        EndUser {
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            city: Some("London".into()),
            country: Some("GB".into()),
            tags: tagged(&["engineer"]),
            ..new_end_user(acme.id, "Ada Lovelace", Some("ada@example.com"))
        },
        &[("code", json!("Blue")), ("badge", json!("B-1"))],
    )
    .await
    .expect("end user with values");
    w.commit().await.expect("commit");
    // A fresh store numbers both tables from the same start: the checks below rely on ids shared by a
    // customer and an end user not mixing their values or tags.
    assert_eq!(acme.id, ada.id, "the first customer and end user share an id");

    let mut r = reader(&s).await;
    assert_eq!(r.customer(acme.id).await.expect("customer"), Some(acme.clone()));
    assert_eq!(r.end_user(ada.id).await.expect("end user"), Some(ada.clone()));
    assert_eq!(
        acme.attributes,
        Attributes::from([("code".into(), json!("Red")), ("seats".into(), json!(12))])
    );
    let by = |field: &Attribute, op, operand| (attribute_field(field), op, operand);
    for (entity, (field, op, operand), expected) in [
        (C, by(code, FilterOp::Eq, text("red")), vec![acme.id]),
        (C, by(seats, FilterOp::Eq, Operand::Number(12.0)), vec![acme.id]),
        (U, by(user_code, FilterOp::Eq, text("blue")), vec![ada.id]),
        (U, by(badge, FilterOp::Eq, text("b-1")), vec![ada.id]),
        // An end user's tags are not its customer-namesake's, nor the other way round.
        (C, (PersonField::Tags, FilterOp::Eq, text("vip")), vec![acme.id]),
        (C, (PersonField::Tags, FilterOp::Eq, text("engineer")), vec![]),
        (U, (PersonField::Tags, FilterOp::Eq, text("engineer")), vec![ada.id]),
        (U, (PersonField::Tags, FilterOp::Eq, text("vip")), vec![]),
    ] {
        let what = format!("{} {field:?} {op} {operand:?}", entity.as_str());
        assert_eq!(
            listed(&mut r, &query(entity, vec![condition(field, op, operand)])).await,
            expected,
            "{what}"
        );
    }
    drop(r);

    // An update with values replaces them all (a value left out is gone); one without keeps them.
    let mut w = writer(&s).await;
    let acme = set_customer_values(&mut w, customer_defs, &acme, &[("seats", json!(40))])
        .await
        .expect("new values");
    let retagged = Customer {
        name: "Acme Renamed".into(),
        tags: tagged(&["eu"]),
        ..acme.clone()
    };
    w.update_customer(&retagged, None).await.expect("update without values");
    let ada_changed = EndUser {
        first_name: Some("Augusta".into()),
        last_name: None,
        tags: vec![],
        attributes: Attributes::new(),
        ..ada.clone()
    };
    w.update_end_user(&ada_changed, None, Some(&[]))
        .await
        .expect("end user without values");
    w.commit().await.expect("commit");

    let mut r = reader(&s).await;
    assert_eq!(r.customer(acme.id).await.expect("customer"), Some(retagged.clone()));
    assert_eq!(
        r.end_user(ada.id).await.expect("end user"),
        Some(ada_changed.clone()),
        "first and last name, tags and values as updated"
    );
    for (entity, (field, op, operand), expected) in [
        (C, by(code, FilterOp::Eq, text("red")), vec![]),
        (C, by(seats, FilterOp::Eq, Operand::Number(12.0)), vec![]),
        (C, by(seats, FilterOp::Eq, Operand::Number(40.0)), vec![acme.id]),
        (C, (PersonField::Tags, FilterOp::Eq, text("vip")), vec![]),
        (C, (PersonField::Tags, FilterOp::Eq, text("eu")), vec![acme.id]),
        (U, by(user_code, FilterOp::Eq, text("blue")), vec![]),
        (U, by(badge, FilterOp::Eq, text("b-1")), vec![]),
        (U, (PersonField::Tags, FilterOp::Eq, text("engineer")), vec![]),
    ] {
        let what = format!("after the updates: {} {field:?} {op} {operand:?}", entity.as_str());
        assert_eq!(
            listed(&mut r, &query(entity, vec![condition(field, op, operand)])).await,
            expected,
            "{what}"
        );
    }
    drop(r);

    // Removing an end user's values leaves the customer with the same id alone, and the other way round.
    let mut w = writer(&s).await;
    let ada_again = EndUser {
        attributes: values(user_defs, &[("code", json!("Green"))]),
        ..ada_changed.clone()
    };
    w.update_end_user(&ada_again, None, Some(&index(user_defs, &ada_again.attributes)))
        .await
        .expect("end user values");
    w.update_customer(&retagged, Some(&[]))
        .await
        .expect("customer without values");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(
        listed(
            &mut r,
            &query(
                U,
                vec![condition(attribute_field(user_code), FilterOp::Eq, text("green"))]
            )
        )
        .await,
        vec![ada.id],
        "an end user's value survives its customer-namesake losing every value"
    );
    assert!(
        listed(
            &mut r,
            &query(
                C,
                vec![condition(attribute_field(seats), FilterOp::Eq, Operand::Number(40.0))]
            )
        )
        .await
        .is_empty()
    );
}

pub(in crate::conformance) async fn attribute_unique_values(s: Arc<dyn Store>) {
    use AttributeEntity::{Customer as C, EndUser as U};
    let defs = define(
        &s,
        vec![
            Attribute {
                unique: true,
                ..new_attribute(C, "vat", AttributeType::Text)
            },
            new_attribute(C, "note", AttributeType::Text),
            Attribute {
                unique: true,
                ..new_attribute(C, "number", AttributeType::Number)
            },
            Attribute {
                unique: true,
                ..new_attribute(U, "badge", AttributeType::Text)
            },
        ],
    )
    .await;
    let (customer_defs, user_defs) = defs.split_at(3);
    let (vat, number, badge) = (attribute_id(&defs[0]), attribute_id(&defs[2]), attribute_id(&defs[3]));
    let key = |id| UniqueKey::AttributeValue(Some(id));

    let mut w = writer(&s).await;
    let first = add_customer(
        &mut w,
        customer_defs,
        new_customer("First", None),
        &[("vat", json!("DE-123")), ("note", json!("same")), ("number", json!(7))],
    )
    .await
    .expect("first");
    let second = add_customer(
        &mut w,
        customer_defs,
        new_customer("Second", None),
        &[("note", json!("same"))],
    )
    .await
    .expect("a value of a non-unique attribute may repeat");
    let people = add_customer(&mut w, customer_defs, new_customer("People", None), &[])
        .await
        .expect("customer");
    let owner_of_badge = add_end_user(
        &mut w,
        user_defs,
        new_end_user(people.id, "Badge holder", None),
        &[("badge", json!("DE-123"))],
    )
    .await
    .expect("the same text in another unique attribute");
    w.commit().await.expect("commit");

    // Each violation on its own writer, compared without case.
    for (what, pairs) in [
        ("a new customer with a taken value", vec![("vat", json!("de-123"))]),
        ("a taken number", vec![("number", json!(7.0))]),
    ] {
        let mut w = writer(&s).await;
        let id = if what.contains("number") { number } else { vat };
        assert_conflict(
            add_customer(&mut w, customer_defs, new_customer("Twin", None), &pairs).await,
            key(id),
            what,
        );
    }
    let mut w = writer(&s).await;
    assert_conflict(
        set_customer_values(&mut w, customer_defs, &second, &[("vat", json!("De-123"))]).await,
        key(vat),
        "an update to a taken value",
    );
    drop(w);
    let mut w = writer(&s).await;
    assert_conflict(
        add_end_user(
            &mut w,
            user_defs,
            new_end_user(people.id, "Twin", None),
            &[("badge", json!("de-123"))],
        )
        .await,
        key(badge),
        "an end user with a taken value",
    );
    drop(w);
    let mut r = reader(&s).await;
    assert_eq!(
        r.customer(second.id).await.expect("customer"),
        Some(second.clone()),
        "a refused update changed nothing"
    );
    assert_eq!(
        listed(&mut r, &query(C, vec![])).await,
        newest_first(vec![first.id, second.id, people.id]),
        "a refused insert left nothing"
    );
    drop(r);

    // Writing an entity's own value again is no conflict.
    let mut w = writer(&s).await;
    let first = set_customer_values(
        &mut w,
        customer_defs,
        &first,
        &[("vat", json!("DE-123")), ("number", json!(7))],
    )
    .await
    .expect("the same value again");
    // Soft-deleted records keep their values taken (a restore never collides).
    let first = Customer {
        deleted_at: Some(now()),
        ..first
    };
    w.update_customer(&first, None).await.expect("soft delete");
    w.update_end_user(
        &EndUser {
            deleted_at: Some(now()),
            ..owner_of_badge.clone()
        },
        None,
        None,
    )
    .await
    .expect("soft delete");
    w.commit().await.expect("commit");
    let mut w = writer(&s).await;
    assert_conflict(
        add_customer(
            &mut w,
            customer_defs,
            new_customer("After", None),
            &[("vat", json!("DE-123"))],
        )
        .await,
        key(vat),
        "the value of a soft-deleted customer",
    );
    drop(w);
    let mut w = writer(&s).await;
    assert_conflict(
        set_customer_values(&mut w, customer_defs, &second, &[("vat", json!("de-123"))]).await,
        key(vat),
        "an update to the value of a soft-deleted customer",
    );
    drop(w);
    let mut w = writer(&s).await;
    assert_conflict(
        add_end_user(
            &mut w,
            user_defs,
            new_end_user(people.id, "After", None),
            &[("badge", json!("DE-123"))],
        )
        .await,
        key(badge),
        "the value of a soft-deleted end user",
    );
    drop(w);

    // A value removed is free again.
    let mut w = writer(&s).await;
    set_customer_values(&mut w, customer_defs, &first, &[("number", json!(7))])
        .await
        .expect("remove the vat");
    let third = add_customer(
        &mut w,
        customer_defs,
        new_customer("Third", None),
        &[("vat", json!("de-123"))],
    )
    .await
    .expect("a freed value");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(
        listed(
            &mut r,
            &PersonQuery {
                deleted: DeletedFilter::Include,
                ..query(
                    C,
                    vec![condition(attribute_field(&defs[0]), FilterOp::Eq, text("de-123"))]
                )
            }
        )
        .await,
        vec![third.id]
    );
}

pub(in crate::conformance) async fn attribute_unique_turned_on(s: Arc<dyn Store>) {
    let defs = define(
        &s,
        vec![new_attribute(AttributeEntity::Customer, "segment", AttributeType::Text)],
    )
    .await;
    let segment = defs[0].clone();
    let mut w = writer(&s).await;
    let mut people = Vec::new();
    for (name, value) in [("A", "smb"), ("B", "SMB"), ("C", "enterprise")] {
        people.push(
            add_customer(&mut w, &defs, new_customer(name, None), &[("segment", json!(value))])
                .await
                .expect("customer"),
        );
    }
    w.commit().await.expect("commit");

    let unique = Attribute {
        unique: true,
        updated_at: Some(now()),
        ..segment.clone()
    };
    let mut w = writer(&s).await;
    assert_conflict(
        w.update_attribute(&unique, &segment).await,
        UniqueKey::AttributeValue(Some(attribute_id(&segment))),
        "unique turned on while values repeat",
    );
    drop(w);
    let mut r = reader(&s).await;
    assert_eq!(
        r.attribute(attribute_id(&segment)).await.expect("attribute"),
        Some(segment.clone()),
        "the refused change left the definition as it was"
    );
    drop(r);
    let mut w = writer(&s).await;
    let d = add_customer(&mut w, &defs, new_customer("D", None), &[("segment", json!("Smb"))])
        .await
        .expect("values still repeat freely");
    w.commit().await.expect("commit");

    // Once the values differ, it can be made unique, and then holds.
    let mut w = writer(&s).await;
    set_customer_values(&mut w, &defs, &people[1], &[("segment", json!("mid-market"))])
        .await
        .expect("distinct value");
    set_customer_values(&mut w, &defs, &d, &[("segment", json!("startup"))])
        .await
        .expect("distinct value");
    w.update_attribute(&unique, &segment).await.expect("unique turned on");
    w.commit().await.expect("commit");
    let unique_defs = [unique.clone()];
    let mut w = writer(&s).await;
    assert_conflict(
        add_customer(
            &mut w,
            &unique_defs,
            new_customer("E", None),
            &[("segment", json!("SMB"))],
        )
        .await,
        UniqueKey::AttributeValue(Some(attribute_id(&segment))),
        "a repeated value once unique",
    );
    drop(w);

    // Turned off again, values may repeat.
    let plain = Attribute {
        unique: false,
        updated_at: Some(now()),
        ..unique.clone()
    };
    let mut w = writer(&s).await;
    w.update_attribute(&plain, &unique).await.expect("unique turned off");
    add_customer(
        &mut w,
        std::slice::from_ref(&plain),
        new_customer("F", None),
        &[("segment", json!("SMB"))],
    )
    .await
    .expect("a repeated value once not unique");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(
        where_one(
            &mut r,
            AttributeEntity::Customer,
            attribute_field(&plain),
            FilterOp::Eq,
            text("smb")
        )
        .await
        .len(),
        2
    );
}

/// The store indexes values by their attributes' definitions as stored, whatever a caller that read them
/// earlier says (`IndexedValue::unique` and `searchable` are what it read).
pub(in crate::conformance) async fn values_follow_stored_definitions(s: Arc<dyn Store>) {
    let defs = define(
        &s,
        vec![
            Attribute {
                unique: true,
                ..new_attribute(AttributeEntity::Customer, "vat", AttributeType::Text)
            },
            Attribute {
                searchable: true,
                ..new_attribute(AttributeEntity::Customer, "industry", AttributeType::Text)
            },
            new_attribute(AttributeEntity::Customer, "note", AttributeType::Text),
        ],
    )
    .await;
    // What a caller that read the definitions before they changed would pass: nothing unique or searchable,
    // and `note` searchable.
    let read_before: Vec<Attribute> = defs
        .iter()
        .map(|a| Attribute {
            unique: false,
            searchable: a.name == "note",
            ..a.clone()
        })
        .collect();
    let mut w = writer(&s).await;
    let first = add_customer(
        &mut w,
        &read_before,
        new_customer("First", None),
        &[
            ("vat", json!("X-1")),
            ("industry", json!("Logistics")),
            ("note", json!("Confidential")),
        ],
    )
    .await
    .expect("customer");
    w.commit().await.expect("commit");
    let mut w = writer(&s).await;
    assert_conflict(
        add_customer(
            &mut w,
            &read_before,
            new_customer("Second", None),
            &[("vat", json!("x-1"))],
        )
        .await,
        UniqueKey::AttributeValue(Some(attribute_id(&defs[0]))),
        "a repeated value of a unique attribute, passed as not unique",
    );
    drop(w);
    let mut r = reader(&s).await;
    assert_eq!(
        keyword(&mut r, AttributeEntity::Customer, &["logistics"]).await,
        BTreeSet::from([first.id]),
        "a searchable attribute's value, passed as not searchable"
    );
    assert!(
        keyword(&mut r, AttributeEntity::Customer, &["confidential"])
            .await
            .is_empty(),
        "a value of an attribute that is not searchable, passed as searchable"
    );
    drop(r);
    // The same on an update.
    let mut w = writer(&s).await;
    let first = set_customer_values(
        &mut w,
        &read_before,
        &first,
        &[("industry", json!("Maritime")), ("note", json!("Secret"))],
    )
    .await
    .expect("update");
    let second = add_customer(&mut w, &defs, new_customer("Second", None), &[])
        .await
        .expect("customer");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(
        keyword(&mut r, AttributeEntity::Customer, &["maritime"]).await,
        BTreeSet::from([first.id])
    );
    assert!(keyword(&mut r, AttributeEntity::Customer, &["secret"]).await.is_empty());
    drop(r);
    let mut w = writer(&s).await;
    set_customer_values(&mut w, &read_before, &first, &[("vat", json!("Y-2"))])
        .await
        .expect("update");
    w.commit().await.expect("commit");
    let mut w = writer(&s).await;
    assert_conflict(
        set_customer_values(&mut w, &read_before, &second, &[("vat", json!("y-2"))]).await,
        UniqueKey::AttributeValue(Some(attribute_id(&defs[0]))),
        "an update to a value of a unique attribute another record holds, passed as not unique",
    );
}

/// Writers racing for one unique value: exactly one commits, every other one is told which attribute's
/// value was taken (on PostgreSQL the losers wait for the winner's commit, then fail).
pub(in crate::conformance) async fn attribute_unique_under_concurrent_writers(s: Arc<dyn Store>) {
    let defs = define(
        &s,
        vec![Attribute {
            unique: true,
            ..new_attribute(AttributeEntity::Customer, "vat", AttributeType::Text)
        }],
    )
    .await;
    let vat = attribute_id(&defs[0]);
    let racers: Vec<_> = (0..10)
        .map(|n| {
            let s = Arc::clone(&s);
            let defs = defs.clone();
            let value = if n % 2 == 0 { "FR-RACE" } else { "fr-race" };
            tokio::spawn(async move {
                let mut w = writer(&s).await;
                add_customer(
                    &mut w,
                    &defs,
                    new_customer(&format!("Racer {n}"), None),
                    &[("vat", json!(value))],
                )
                .await?;
                w.commit().await
            })
        })
        .collect();
    let mut won = 0;
    for racer in racers {
        match racer.await.expect("racer task") {
            Ok(()) => won += 1,
            Err(StoreError::Unique(UniqueKey::AttributeValue(Some(id)))) if id == vat => {}
            Err(other) => panic!("a racer that lost must be told the vat was taken, got {other:?}"),
        }
    }
    assert_eq!(won, 1, "exactly one writer wins");
    let mut r = reader(&s).await;
    assert_eq!(listed(&mut r, &query(AttributeEntity::Customer, vec![])).await.len(), 1);
}

/// A definition made unique while another writer, which read the definitions before, writes a value that
/// repeats: one of the two must fail, so that a unique attribute never holds a repeated value. (Where
/// writers run concurrently, the change commits first; where they take turns, it waits for the write.)
pub(in crate::conformance) async fn attribute_unique_turned_on_during_a_write(s: Arc<dyn Store>) {
    let defs = define(
        &s,
        vec![new_attribute(AttributeEntity::Customer, "segment", AttributeType::Text)],
    )
    .await;
    let segment = defs[0].clone();
    let id = attribute_id(&segment);
    let mut w = writer(&s).await;
    add_customer(&mut w, &defs, new_customer("First", None), &[("segment", json!("smb"))])
        .await
        .expect("customer");
    w.commit().await.expect("commit");

    // The late writer reads the definitions first, as a use case does.
    let mut late = writer(&s).await;
    let seen = late
        .attributes(AttributeEntity::Customer, true)
        .await
        .expect("attributes");
    assert_eq!(seen, defs, "the definitions before the change");
    let unique = Attribute {
        unique: true,
        updated_at: Some(now()),
        ..segment.clone()
    };
    let mut change = {
        let s = Arc::clone(&s);
        let (unique, segment) = (unique.clone(), segment.clone());
        tokio::spawn(async move {
            let mut w = writer(&s).await;
            w.update_attribute(&unique, &segment).await?;
            w.commit().await
        })
    };
    let changed_first = tokio::time::timeout(Duration::from_millis(500), &mut change).await.ok();
    let wrote = match add_customer(
        &mut late,
        &seen,
        new_customer("Second", None),
        &[("segment", json!("SMB"))],
    )
    .await
    {
        Ok(_) => late.commit().await,
        Err(e) => {
            drop(late);
            Err(e)
        }
    };
    let changed = match changed_first {
        Some(outcome) => outcome.expect("change task"),
        None => change.await.expect("change task"),
    };
    match (&changed, &wrote) {
        (Ok(()), Err(StoreError::Unique(UniqueKey::AttributeValue(Some(key)))))
        | (Err(StoreError::Unique(UniqueKey::AttributeValue(Some(key)))), Ok(())) => {
            assert_eq!(*key, id, "the conflict names the attribute");
        }
        _ => panic!("exactly one of the change ({changed:?}) and the write ({wrote:?}) must fail as a conflict"),
    }
    let mut r = reader(&s).await;
    let stored = r.attribute(id).await.expect("attribute").expect("the attribute");
    let holders = where_one(
        &mut r,
        AttributeEntity::Customer,
        attribute_field(&segment),
        FilterOp::Eq,
        text("smb"),
    )
    .await;
    assert!(
        !(stored.unique && holders.len() > 1),
        "a unique attribute holds a repeated value: {holders:?}"
    );
}

/// A definition made searchable while another writer, which read the definitions before, writes a value:
/// keyword search finds the value afterwards, whichever order the two commit in.
pub(in crate::conformance) async fn searchable_switched_during_a_write(s: Arc<dyn Store>) {
    let defs = define(
        &s,
        vec![new_attribute(
            AttributeEntity::Customer,
            "industry",
            AttributeType::Text,
        )],
    )
    .await;
    let industry = defs[0].clone();
    let mut late = writer(&s).await;
    let seen = late
        .attributes(AttributeEntity::Customer, true)
        .await
        .expect("attributes");
    assert_eq!(seen, defs, "the definitions before the change");
    let searchable = Attribute {
        searchable: true,
        updated_at: Some(now()),
        ..industry.clone()
    };
    let mut change = {
        let s = Arc::clone(&s);
        let (searchable, industry) = (searchable.clone(), industry.clone());
        tokio::spawn(async move {
            let mut w = writer(&s).await;
            w.update_attribute(&searchable, &industry).await?;
            w.commit().await
        })
    };
    let changed_first = tokio::time::timeout(Duration::from_millis(500), &mut change).await.ok();
    let customer = add_customer(
        &mut late,
        &seen,
        new_customer("Harbour Ltd", None),
        &[("industry", json!("Logistics"))],
    )
    .await
    .expect("customer");
    late.commit().await.expect("commit");
    match changed_first {
        Some(outcome) => outcome.expect("change task"),
        None => change.await.expect("change task"),
    }
    .expect("the change");
    let mut r = reader(&s).await;
    assert_eq!(
        keyword(&mut r, AttributeEntity::Customer, &["logistics"]).await,
        BTreeSet::from([customer.id]),
        "a value written while its attribute became searchable is found"
    );
}

/// `update_attribute` judges what changed against the definition as stored, not against the caller's
/// `old`, which a concurrent change of the same attribute may have overtaken: the stored values follow the
/// definition the write leaves.
pub(in crate::conformance) async fn attribute_change_follows_stored_row(s: Arc<dyn Store>) {
    let defs = define(
        &s,
        vec![
            new_attribute(AttributeEntity::Customer, "vat", AttributeType::Text),
            Attribute {
                searchable: true,
                ..new_attribute(AttributeEntity::Customer, "industry", AttributeType::Text)
            },
        ],
    )
    .await;
    let (vat, industry) = (defs[0].clone(), defs[1].clone());
    let mut w = writer(&s).await;
    add_customer(
        &mut w,
        &defs,
        new_customer("First", None),
        &[("vat", json!("X-1")), ("industry", json!("Logistics"))],
    )
    .await
    .expect("customer");
    w.commit().await.expect("commit");

    // The caller read `vat` as unique (it was, until another change made it not) and renames it.
    let read_as_unique = Attribute {
        unique: true,
        ..vat.clone()
    };
    let renamed = Attribute {
        pretty_name: "VAT id".into(),
        updated_at: Some(now()),
        ..read_as_unique.clone()
    };
    // The caller read `industry` as not searchable (another change made it so, then undid that).
    let read_as_plain = Attribute {
        searchable: false,
        ..industry.clone()
    };
    let described = Attribute {
        description: "what they do".into(),
        updated_at: Some(now()),
        ..read_as_plain.clone()
    };
    let mut w = writer(&s).await;
    w.update_attribute(&renamed, &read_as_unique).await.expect("update");
    w.update_attribute(&described, &read_as_plain).await.expect("update");
    w.commit().await.expect("commit");

    let now_defined = [renamed.clone(), described.clone()];
    let mut w = writer(&s).await;
    assert_conflict(
        add_customer(
            &mut w,
            &now_defined,
            new_customer("Second", None),
            &[("vat", json!("x-1"))],
        )
        .await,
        UniqueKey::AttributeValue(Some(attribute_id(&vat))),
        "a value repeating one stored before the attribute became unique",
    );
    drop(w);
    let mut r = reader(&s).await;
    assert!(
        keyword(&mut r, AttributeEntity::Customer, &["logistics"])
            .await
            .is_empty(),
        "a value of an attribute no longer searchable is still found"
    );
}

pub(in crate::conformance) async fn attribute_searchable_switch(s: Arc<dyn Store>) {
    use AttributeEntity::{Customer as C, EndUser as U};
    let defs = define(
        &s,
        vec![
            new_attribute(C, "industry", AttributeType::Text),
            new_attribute(U, "role", AttributeType::Text),
        ],
    )
    .await;
    let (industry, role) = (defs[0].clone(), defs[1].clone());
    let mut w = writer(&s).await;
    let x = add_customer(
        &mut w,
        &defs,
        new_customer("Harbour Ltd", None),
        &[("industry", json!("Zanzibar Logistics"))],
    )
    .await
    .expect("customer");
    let y = add_customer(&mut w, &defs, new_customer("Zanzibar Trading", None), &[])
        .await
        .expect("customer");
    let u = add_end_user(
        &mut w,
        &defs,
        new_end_user(y.id, "Jim Hawkins", None),
        &[("role", json!("Quartermaster"))],
    )
    .await
    .expect("end user");
    w.commit().await.expect("commit");

    let mut r = reader(&s).await;
    assert!(
        keyword(&mut r, C, &["logistics"]).await.is_empty(),
        "not searchable yet"
    );
    assert_eq!(keyword(&mut r, C, &["zanzibar"]).await, BTreeSet::from([y.id]));
    assert!(keyword(&mut r, U, &["quartermaster"]).await.is_empty());
    drop(r);

    let switch = |a: &Attribute, searchable: bool| Attribute {
        searchable,
        updated_at: Some(now()),
        ..a.clone()
    };
    let (industry_on, role_on) = (switch(&industry, true), switch(&role, true));
    let mut w = writer(&s).await;
    w.update_attribute(&industry_on, &industry)
        .await
        .expect("searchable on");
    w.update_attribute(&role_on, &role).await.expect("searchable on");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(
        keyword(&mut r, C, &["logistics"]).await,
        BTreeSet::from([x.id]),
        "existing values are found once searchable"
    );
    assert_eq!(keyword(&mut r, C, &["zanzibar"]).await, BTreeSet::from([x.id, y.id]));
    assert_eq!(
        keyword(&mut r, C, &["LOGIST"]).await,
        BTreeSet::from([x.id]),
        "a prefix"
    );
    assert_eq!(
        keyword(&mut r, C, &["zanzibar", "logistics"]).await,
        BTreeSet::from([x.id]),
        "every word must match, over name and attributes together"
    );
    assert_eq!(keyword(&mut r, U, &["quartermaster"]).await, BTreeSet::from([u.id]));
    let hits = search(&mut r, &["logistics"], &[SearchKind::Customer], None).await;
    assert_eq!(ids(&hits), vec![x.id], "the ranked search sees the attribute too");
    assert_marked(&hits[0], "logistics");
    let hits = search(&mut r, &["quartermaster"], &[SearchKind::EndUser], None).await;
    assert_eq!(ids(&hits), vec![u.id], "and an end user's");
    assert_marked(&hits[0], "quartermaster");
    drop(r);

    // Keyword search folds case and accents in attribute values as in names, and follows a changed value.
    let mut w = writer(&s).await;
    let x = set_customer_values(
        &mut w,
        &[industry_on.clone(), role_on.clone()],
        &x,
        &[("industry", json!("Zanzibar Logistics, Café Zürich"))],
    )
    .await
    .expect("new value");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(keyword(&mut r, C, &["cafe", "ZURICH"]).await, BTreeSet::from([x.id]));
    assert_eq!(keyword(&mut r, C, &["café"]).await, BTreeSet::from([x.id]));
    drop(r);
    let mut w = writer(&s).await;
    let x = set_customer_values(
        &mut w,
        &[industry_on.clone(), role_on.clone()],
        &x,
        &[("industry", json!("Maritime"))],
    )
    .await
    .expect("new value");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert!(keyword(&mut r, C, &["logistics"]).await.is_empty(), "the old value");
    assert_eq!(keyword(&mut r, C, &["maritime"]).await, BTreeSet::from([x.id]));
    drop(r);
    let mut w = writer(&s).await;
    let x = set_customer_values(
        &mut w,
        &[industry_on.clone(), role_on.clone()],
        &x,
        &[("industry", json!("Zanzibar Logistics"))],
    )
    .await
    .expect("the first value again");
    w.commit().await.expect("commit");

    // Values written while searchable are found; a keyword query narrows with conditions too.
    let searchable_defs = [industry_on.clone(), role_on.clone()];
    let mut w = writer(&s).await;
    let z = add_customer(
        &mut w,
        &searchable_defs,
        new_customer("Inland Co", None),
        &[("industry", json!("Logistics"))],
    )
    .await
    .expect("customer");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(keyword(&mut r, C, &["logistics"]).await, BTreeSet::from([x.id, z.id]));
    let narrowed = PersonQuery {
        terms: vec!["logistics".into()],
        ..query(
            C,
            vec![condition(
                PersonField::Column(PersonColumn::Name),
                FilterOp::Sw,
                text("inland"),
            )],
        )
    };
    assert_eq!(matched(&mut r, &narrowed).await, BTreeSet::from([z.id]));
    drop(r);

    // A soft-deleted attribute leaves keyword search, and comes back with its restore.
    let industry_gone = Attribute {
        deleted_at: Some(now()),
        ..industry_on.clone()
    };
    let mut w = writer(&s).await;
    w.update_attribute(&industry_gone, &industry_on)
        .await
        .expect("delete attribute");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert!(
        keyword(&mut r, C, &["logistics"]).await.is_empty(),
        "a deleted attribute"
    );
    assert_eq!(keyword(&mut r, C, &["zanzibar"]).await, BTreeSet::from([y.id]));
    drop(r);
    let mut w = writer(&s).await;
    w.update_attribute(&industry_on, &industry_gone)
        .await
        .expect("restore attribute");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(keyword(&mut r, C, &["logistics"]).await, BTreeSet::from([x.id, z.id]));
    drop(r);

    // Searchable off again: only the built-in fields are searched.
    let mut w = writer(&s).await;
    w.update_attribute(&industry, &industry_on)
        .await
        .expect("searchable off");
    w.update_attribute(&role, &role_on).await.expect("searchable off");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert!(keyword(&mut r, C, &["logistics"]).await.is_empty());
    assert_eq!(keyword(&mut r, C, &["zanzibar"]).await, BTreeSet::from([y.id]));
    assert!(keyword(&mut r, U, &["quartermaster"]).await.is_empty());
    assert!(
        search(&mut r, &["logistics"], &[SearchKind::Customer], None)
            .await
            .is_empty()
    );
}
