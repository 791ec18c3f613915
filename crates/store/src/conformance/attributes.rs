//! Custom attributes of customers and end users: definitions, the indexed values and tags written with each
//! record, uniqueness held by the database, keyword search over searchable attributes, and the list query
//! (filters, order, pages, deleted records, counts) that runs on those indexes.
use super::*;
use crate::{
    DeletedFilter, FOLDED_CHARS, IndexedValue, Operand, PersonColumn, PersonCondition, PersonField, PersonOrder,
    PersonPage, PersonQuery,
};
use domain::{Attribute, AttributeEntity, AttributeType, Attributes, FilterOp};

// ---------------------------------------------------------------- helpers

fn new_attribute(entity: AttributeEntity, name: &str, kind: AttributeType) -> Attribute {
    let now = now();
    Attribute {
        id: None,
        entity,
        name: name.into(),
        pretty_name: format!("The {name}"),
        kind,
        description: String::new(),
        required: false,
        editable: true,
        searchable: false,
        unique: false,
        default: false,
        default_value: None,
        options: vec![],
        created_at: Some(now),
        updated_at: Some(now),
        deleted_at: None,
    }
}

/// Stores `attributes` in one transaction and returns them as stored (with their ids).
async fn define(s: &Arc<dyn Store>, attributes: Vec<Attribute>) -> Vec<Attribute> {
    let mut w = writer(s).await;
    let mut out = Vec::with_capacity(attributes.len());
    for a in &attributes {
        out.push(w.insert_attribute(a).await.expect("insert attribute"));
    }
    w.commit().await.expect("commit attributes");
    out
}

fn attribute_id(a: &Attribute) -> i64 {
    a.id.expect("a stored attribute has an id")
}

/// Values by attribute name, in their canonical JSON form as the use cases store them.
fn values(defs: &[Attribute], pairs: &[(&str, Value)]) -> Attributes {
    pairs
        .iter()
        .map(|(name, given)| {
            let def = defs
                .iter()
                .find(|d| d.name == *name)
                .unwrap_or_else(|| panic!("no attribute {name}"));
            let checked = def
                .check_value(given)
                .unwrap_or_else(|e| panic!("{name} = {given}: {e}"))
                .unwrap_or_else(|| panic!("{name} = {given} is no value"));
            ((*name).to_owned(), checked.to_json())
        })
        .collect()
}

/// The indexed forms of `values`, computed as the use cases compute them (`app::attributes`): every
/// attribute with a value (deleted ones too), searchable while the attribute is searchable and live.
fn index(defs: &[Attribute], values: &Attributes) -> Vec<IndexedValue> {
    defs.iter()
        .filter_map(|def| {
            let checked = def.check_value(values.get(&def.name)?).ok()??;
            Some(IndexedValue {
                attribute_id: attribute_id(def),
                value: checked.text(),
                folded: checked.folded().chars().take(FOLDED_CHARS).collect(),
                number: checked.number(),
                unique: def.unique,
                searchable: def.searchable && def.deleted_at.is_none(),
            })
        })
        .collect()
}

/// A customer with attribute values and tags, as stored.
async fn add_customer(
    w: &mut Box<dyn Writer>,
    defs: &[Attribute],
    customer: Customer,
    pairs: &[(&str, Value)],
) -> crate::Result<Customer> {
    let attributes = values(defs, pairs);
    let indexed = index(defs, &attributes);
    w.insert_customer(&Customer { attributes, ..customer }, &indexed).await
}

/// An end user with attribute values and tags, as stored.
async fn add_end_user(
    w: &mut Box<dyn Writer>,
    defs: &[Attribute],
    end_user: EndUser,
    pairs: &[(&str, Value)],
) -> crate::Result<EndUser> {
    let attributes = values(defs, pairs);
    let indexed = index(defs, &attributes);
    w.insert_end_user(&EndUser { attributes, ..end_user }, None, &indexed)
        .await
}

/// `customer` with new attribute values (replacing all of them).
async fn set_customer_values(
    w: &mut Box<dyn Writer>,
    defs: &[Attribute],
    customer: &Customer,
    pairs: &[(&str, Value)],
) -> crate::Result<Customer> {
    let attributes = values(defs, pairs);
    let indexed = index(defs, &attributes);
    let changed = Customer {
        attributes,
        updated_at: at(customer.updated_at, 1),
        ..customer.clone()
    };
    w.update_customer(&changed, Some(&indexed)).await?;
    Ok(changed)
}

fn tagged(tags: &[&str]) -> Vec<String> {
    tags.iter().map(|t| (*t).to_owned()).collect()
}

/// Inserts one person per entry of `rows` (a customer, or an end user of `owner`), each with a value of
/// `def` (or none), and commits; returns their ids in the order given.
async fn people_with(
    s: &Arc<dyn Store>,
    entity: AttributeEntity,
    owner: i64,
    def: &Attribute,
    rows: &[Option<Value>],
) -> Vec<i64> {
    let defs = std::slice::from_ref(def);
    let mut w = writer(s).await;
    let mut out = Vec::with_capacity(rows.len());
    for (n, value) in rows.iter().enumerate() {
        let pairs: Vec<(&str, Value)> = value.iter().map(|v| (def.name.as_str(), v.clone())).collect();
        let name = format!("Person {n}");
        let id = match entity {
            AttributeEntity::Customer => {
                add_customer(&mut w, defs, new_customer(&name, None), &pairs)
                    .await
                    .expect("customer with a value")
                    .id
            }
            AttributeEntity::EndUser => {
                add_end_user(&mut w, defs, new_end_user(owner, &name, None), &pairs)
                    .await
                    .expect("end user with a value")
                    .id
            }
        };
        out.push(id);
    }
    w.commit().await.expect("commit people");
    out
}

/// A query of every matching record on one page (newest first).
fn query(entity: AttributeEntity, conditions: Vec<PersonCondition>) -> PersonQuery {
    PersonQuery {
        conditions,
        ..PersonQuery::new(entity, PersonPage::Offset { offset: 0, limit: 500 })
    }
}

fn condition(field: PersonField, op: FilterOp, operand: Operand) -> PersonCondition {
    PersonCondition { field, op, operand }
}

fn attribute_field(a: &Attribute) -> PersonField {
    PersonField::Attribute {
        id: attribute_id(a),
        numeric: a.kind == AttributeType::Number,
    }
}

fn text(s: &str) -> Operand {
    Operand::Text(s.to_owned())
}

fn texts(list: &[&str]) -> Operand {
    Operand::Texts(list.iter().map(|s| (*s).to_owned()).collect())
}

/// The ids a query lists, in its order; `person_count` must count the same rows when they fit one page.
async fn listed(r: &mut Box<dyn Reader>, q: &PersonQuery) -> Vec<i64> {
    let rows = match q.entity {
        AttributeEntity::Customer => ids(&r.customer_query(q).await.expect("customer_query")),
        AttributeEntity::EndUser => ids(&r.end_user_query(q).await.expect("end_user_query")),
    };
    let whole = match &q.page {
        PersonPage::Offset { offset: 0, limit } => rows.len() < *limit as usize,
        PersonPage::Keyset(page) => page.after.is_none() && rows.len() < page.limit as usize,
        PersonPage::Offset { .. } => false,
    };
    if whole {
        let count = r.person_count(q).await.expect("person_count");
        assert_eq!(
            count,
            rows.len() as i64,
            "person_count disagrees with the rows listed for {q:?}"
        );
    }
    rows
}

async fn matched(r: &mut Box<dyn Reader>, q: &PersonQuery) -> BTreeSet<i64> {
    listed(r, q).await.into_iter().collect()
}

/// The ids matching one condition, as a set.
async fn where_one(
    r: &mut Box<dyn Reader>,
    entity: AttributeEntity,
    field: PersonField,
    op: FilterOp,
    operand: Operand,
) -> BTreeSet<i64> {
    matched(r, &query(entity, vec![condition(field, op, operand)])).await
}

/// The ids of `found` that are among `group` (the records a check made for one attribute; other records
/// of the store, without a value of it, are another check's business).
fn among(group: &[i64], found: BTreeSet<i64>) -> BTreeSet<i64> {
    found.into_iter().filter(|id| group.contains(id)).collect()
}

fn pick(all: &[i64], indexes: &[usize]) -> BTreeSet<i64> {
    indexes.iter().map(|&i| all[i]).collect()
}

/// The ids a keyword query finds among customers or end users.
async fn keyword(r: &mut Box<dyn Reader>, entity: AttributeEntity, terms: &[&str]) -> BTreeSet<i64> {
    let q = PersonQuery {
        terms: terms.iter().map(|t| (*t).to_owned()).collect(),
        ..query(entity, vec![])
    };
    matched(r, &q).await
}

/// What a text condition on folded values must match, by Rust's own string comparison (byte order of
/// UTF-8, as both backends compare the folded column): the model both backends are held to.
fn text_model(values: &[(i64, Option<String>)], op: FilterOp, operand: &Operand) -> BTreeSet<i64> {
    let single = match operand {
        Operand::Text(t) => t.as_str(),
        _ => "",
    };
    values
        .iter()
        .filter(|(_, v)| match (op, v.as_deref()) {
            (FilterOp::Ne, None) => true,
            (_, None) => false,
            (FilterOp::Eq, Some(v)) => v == single,
            (FilterOp::Ne, Some(v)) => v != single,
            (FilterOp::Ct, Some(v)) => v.contains(single),
            (FilterOp::Sw, Some(v)) => v.starts_with(single),
            (FilterOp::Ew, Some(v)) => v.ends_with(single),
            (FilterOp::Gt, Some(v)) => v > single,
            (FilterOp::Gte, Some(v)) => v >= single,
            (FilterOp::Lt, Some(v)) => v < single,
            (FilterOp::Lte, Some(v)) => v <= single,
            (FilterOp::In, Some(v)) => matches!(operand, Operand::Texts(list) if list.iter().any(|x| x == v)),
        })
        .map(|(id, _)| *id)
        .collect()
}

const ENTITIES: [AttributeEntity; 2] = [AttributeEntity::Customer, AttributeEntity::EndUser];

/// A customer to own the end users of a check.
async fn owner(s: &Arc<dyn Store>) -> Customer {
    let mut w = writer(s).await;
    let c = w
        .insert_customer(&new_customer("Owner", None), &[])
        .await
        .expect("owner");
    w.commit().await.expect("commit owner");
    c
}

// ---------------------------------------------------------------- checks

pub(super) async fn attribute_definitions(s: Arc<dyn Store>) {
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

pub(super) async fn attribute_values_written_with_people(s: Arc<dyn Store>) {
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

pub(super) async fn attribute_unique_values(s: Arc<dyn Store>) {
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

pub(super) async fn attribute_unique_turned_on(s: Arc<dyn Store>) {
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
pub(super) async fn values_follow_stored_definitions(s: Arc<dyn Store>) {
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
pub(super) async fn attribute_unique_under_concurrent_writers(s: Arc<dyn Store>) {
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
pub(super) async fn attribute_unique_turned_on_during_a_write(s: Arc<dyn Store>) {
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
pub(super) async fn searchable_switched_during_a_write(s: Arc<dyn Store>) {
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
pub(super) async fn attribute_change_follows_stored_row(s: Arc<dyn Store>) {
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

pub(super) async fn attribute_searchable_switch(s: Arc<dyn Store>) {
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

pub(super) async fn person_query_text_attribute(s: Arc<dyn Store>) {
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

pub(super) async fn person_query_number_and_date_attributes(s: Arc<dyn Store>) {
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

pub(super) async fn person_query_columns(s: Arc<dyn Store>) {
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
pub(super) async fn person_query_like_wildcards_are_literal(s: Arc<dyn Store>) {
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
pub(super) async fn person_query_non_ascii_text(s: Arc<dyn Store>) {
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

pub(super) async fn person_query_tags(s: Arc<dyn Store>) {
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

pub(super) async fn person_query_combined(s: Arc<dyn Store>) {
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

pub(super) async fn person_query_order_and_pages(s: Arc<dyn Store>) {
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

pub(super) async fn person_query_deleted(s: Arc<dyn Store>) {
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

pub(super) async fn customer_lookups(s: Arc<dyn Store>) {
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
