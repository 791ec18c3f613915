//! Records in TeamTools' shape (compat/teamtools.md §9, §13): ids as strings, camelCase names, times as
//! `YYYY-MM-DD HH:MM:SS` UTC, custom attributes as top-level members; and TeamTools' field names read back
//! into the native ones.
use crate::routes::embed::Style;
use domain::attribute::{native_member_name, teamtools_member_name};
use domain::{ActivityEvent, Attribute, Customer, Department, EndUser, Event, Staff, Timestamp};
use serde_json::{Map, Value, json};

/// The TeamTools shapes for `include=`.
pub(crate) const TEAMTOOLS: Style = Style {
    customer,
    end_user,
    event: web_event,
    activity,
    billing: super::billing::STYLE,
    teamtools: true,
};

pub(crate) fn id(id: i64) -> Value {
    Value::String(id.to_string())
}

pub(crate) fn time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

fn opt_time(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::String(time(t)))
}

/// PHP's `DateTime` as JSON, as TeamTools' web events show `created_at` and `updated_at` (§9.8).
fn php_datetime(t: Timestamp) -> Value {
    json!({
        "date": t.strftime("%Y-%m-%d %H:%M:%S.%6f").to_string(),
        "timezone_type": 3,
        "timezone": "UTC",
    })
}

fn with_attributes(mut map: Map<String, Value>, attributes: &domain::Attributes) -> Map<String, Value> {
    for (name, value) in attributes {
        map.entry(name.clone()).or_insert_with(|| value.clone());
    }
    map
}

pub(crate) fn customer(c: &Customer) -> Map<String, Value> {
    let map = json!({
        "id": id(c.id),
        "name": c.name,
        "email": c.email,
        "phone": c.phone,
        "city": c.city,
        "country": c.country,
        "externalId": c.external_id,
        "tags": c.tags,
        "notes": [],
        "subscriptionId": null,
        "joinDate": time(c.created_at),
        "created_at": time(c.created_at),
        "updated_at": time(c.updated_at),
        "deleted_at": opt_time(c.deleted_at),
    });
    with_attributes(into_map(map), &c.attributes)
}

pub(crate) fn end_user(u: &EndUser) -> Map<String, Value> {
    let map = json!({
        "id": id(u.id),
        "customerId": id(u.customer_id),
        "name": u.name,
        "firstName": u.first_name,
        "lastName": u.last_name,
        "email": u.email,
        "phone": u.phone,
        "city": u.city,
        "country": u.country,
        "tags": u.tags,
        "created_at": time(u.created_at),
        "updated_at": time(u.updated_at),
        "deleted_at": opt_time(u.deleted_at),
    });
    with_attributes(into_map(map), &u.attributes)
}

pub(crate) fn attribute(a: &Attribute) -> Map<String, Value> {
    into_map(json!({
        "id": a.id.map(id),
        "name": if a.default { teamtools_member_name(&a.name) } else { a.name.as_str() },
        "prettyName": a.pretty_name,
        "type": a.kind.as_str(),
        "description": a.description,
        "required": a.required,
        "editable": a.editable,
        "searchable": a.searchable,
        "unique": a.unique,
        "default": a.default,
        "defaultValue": a.default_value,
        "options": a.options,
        "created_at": opt_time(a.created_at),
        "updated_at": opt_time(a.updated_at),
        "deleted_at": opt_time(a.deleted_at),
    }))
}

pub(crate) fn activity(e: &ActivityEvent) -> Map<String, Value> {
    into_map(json!({
        "id": id(e.id),
        "name": e.name,
        "endUserId": id(e.end_user_id),
        "customerId": id(e.customer_id),
        "counter": e.counter,
        "metadata": e.metadata,
        "timestamp": time(e.timestamp),
    }))
}

/// A change record of the event log as TeamTools' web event (§9.8).
pub(crate) fn web_event(e: &Event) -> Map<String, Value> {
    let source = serde_json::to_value(e.source).unwrap_or(Value::Null);
    let action = serde_json::to_value(e.action).unwrap_or(Value::Null);
    let mut data = serde_json::to_value(&e.data).unwrap_or(Value::Null);
    // Customers and end users appear as this API shows them; other records as the native API does.
    let shape: Option<fn(&Value) -> Option<Value>> = match data.get("type").and_then(Value::as_str) {
        Some("customer") => Some(|v| {
            serde_json::from_value::<Customer>(v.clone())
                .ok()
                .map(|c| Value::Object(customer(&c)))
        }),
        Some("end_user") => Some(|v| {
            serde_json::from_value::<EndUser>(v.clone())
                .ok()
                .map(|u| Value::Object(end_user(&u)))
        }),
        _ => None,
    };
    if let Some(shape) = shape {
        for member in ["value", "old"] {
            if let Some(shaped) = data.get(member).and_then(shape) {
                data[member] = shaped;
            }
        }
    }
    into_map(json!({
        "id": id(e.id),
        "timestamp": time(e.timestamp),
        "source": source,
        "memberId": e.member_id.map(id),
        "url": e.url,
        "action": action,
        "name": e.name,
        "data": data,
        "status": e.status,
        "created_at": php_datetime(e.created_at),
        "updated_at": php_datetime(e.updated_at),
    }))
}

/// A staff account as TeamTools' `Member` (read-only).
pub(crate) fn member(m: &Staff) -> Map<String, Value> {
    into_map(json!({
        "id": id(m.id),
        "name": m.name,
        "email": m.email,
        "role": m.role.as_str(),
        "created_at": time(m.created_at),
        "updated_at": time(m.updated_at),
    }))
}

/// A department as TeamTools' `Team` (read-only).
pub(crate) fn team(d: &Department) -> Map<String, Value> {
    into_map(json!({
        "id": id(d.id),
        "name": d.name,
        "slug": d.slug,
        "description": d.description,
        "brandId": id(d.brand_id),
        "public": d.public,
        "created_at": time(d.created_at),
        "updated_at": time(d.updated_at),
    }))
}

fn into_map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Members a client may send back as it read them, which are not written.
const READ_ONLY: &[&str] = &[
    "id",
    "created_at",
    "updated_at",
    "deleted_at",
    "joinDate",
    "notes",
    "subscriptionId",
];

/// The members of a customer body that subscribe it on save (README "Start subscribing": `groupId`, with
/// `packageId`, `manual`, `force` and the ignored `stripeToken`), taken out of `body` when `groupId` is there.
pub(crate) fn subscription_members(body: &mut Map<String, Value>) -> Option<Map<String, Value>> {
    if !body.contains_key("groupId") {
        return None;
    }
    let mut taken = Map::new();
    for member in [
        "groupId",
        "packageId",
        "planId",
        "manual",
        "force",
        "stripeToken",
        "quantity",
    ] {
        if let Some(v) = body.remove(member) {
            taken.insert(member.to_owned(), v);
        }
    }
    Some(taken)
}

/// A TeamTools body as the native fields of a customer or end user: names renamed, string ids read as
/// numbers, read-only members dropped (subscribing members are taken out first, see
/// [`subscription_members`]).
pub(crate) fn native_fields(mut body: Map<String, Value>) -> Result<Map<String, Value>, (String, String)> {
    for member in READ_ONLY {
        body.remove(*member);
    }
    let spelled: Vec<String> = body
        .keys()
        .filter(|k| native_member_name(k) != k.as_str())
        .cloned()
        .collect();
    for teamtools in spelled {
        if let Some(v) = body.remove(&teamtools) {
            body.insert(native_member_name(&teamtools).to_owned(), v);
        }
    }
    if let Some(v) = body.get_mut("customer_id")
        && let Value::String(s) = v
    {
        match s.trim().parse::<i64>() {
            Ok(n) => *v = Value::from(n),
            Err(_) => return Err(("customerId".into(), "must be a customer id".into())),
        }
    }
    Ok(body)
}

/// A TeamTools id from a path or a body: a number, or a string holding one.
pub(crate) fn parse_id(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|id| *id > 0)
}
