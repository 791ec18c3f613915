//! Custom attributes of customers and end users: the checks of their definitions and indexed values
//! (`definitions`) and of the list query that runs on those indexes (`lists`), and the helpers both share.
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

mod definitions;
mod keywords;
mod lists;

pub(in crate::conformance) use definitions::*;
pub(in crate::conformance) use keywords::*;
pub(in crate::conformance) use lists::*;
