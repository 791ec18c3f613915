//! TeamTools' customers and end users (`customers`, `endusers`), their attributes, tags, search, bulk
//! saves, restore and migration, activity events and web events — over the same use cases as the native
//! API (compat/teamtools.md §5–§9, settled in §13).
use super::call::Call;
use super::render::{self, TEAMTOOLS, native_fields, parse_id};
use super::{Answer, TeamToolsError};
use crate::routes::embed::{self, Node};
use crate::state::AppState;
use api_types::{
    AttributeInput, CustomerPatch, EndUserPatch, ErrorCode, EventQuery, MigrateEndUsers, NewCustomer, NewEndUser,
    PersonListQuery,
};
use app::{BulkError, BulkRow, NewActivity};
use axum::Json;
use axum::extract::State;
use domain::AttributeEntity;
use domain::include::EntityKind;
use serde_json::{Map, Value, json};

fn kind_of(entity: AttributeEntity) -> EntityKind {
    match entity {
        AttributeEntity::Customer => EntityKind::Customer,
        AttributeEntity::EndUser => EntityKind::EndUser,
    }
}

fn data(value: impl Into<Value>) -> Json<Value> {
    Json(json!({ "data": value.into() }))
}

fn path_id(raw: &str) -> Result<i64, TeamToolsError> {
    parse_id(&Value::String(raw.to_owned())).ok_or_else(|| TeamToolsError::new(ErrorCode::NotFound, "no such record"))
}

/// A body read into a native request type; a member that does not fit is 422 naming it.
fn read<T: serde::de::DeserializeOwned>(body: Map<String, Value>) -> Result<T, TeamToolsError> {
    let bytes = serde_json::to_vec(&Value::Object(body))
        .map_err(|e| TeamToolsError::new(ErrorCode::BadRequest, e.to_string()))?;
    crate::extract::parse_json(&bytes).map_err(TeamToolsError::from)
}

fn person_fields(body: Map<String, Value>) -> Result<Map<String, Value>, TeamToolsError> {
    native_fields(body).map_err(|(field, message)| TeamToolsError::field(&field, message))
}

/// The filters of a call: `filter=` (once or repeated) and PHP's `filter[]=` / `filter[0]=`.
fn filters(call: &Call) -> Vec<String> {
    call.query
        .iter()
        .filter(|(k, _)| {
            k == "filter"
                || k.strip_prefix("filter[")
                    .and_then(|r| r.strip_suffix(']'))
                    .is_some_and(|i| i.chars().all(|c| c.is_ascii_digit()))
        })
        .map(|(_, v)| v.clone())
        .collect()
}

/// `keyword`, `limit`, `offset`, `orderBy`, `orderDirection` as a native list query (default order: id,
/// ascending, as offsets page best in a stable order).
fn list_query(call: &Call) -> Result<(PersonListQuery, u32, u64), TeamToolsError> {
    let number = |name: &str| -> Result<Option<u64>, TeamToolsError> {
        call.param(name)
            .filter(|v| !v.is_empty())
            .map(|v| {
                v.trim()
                    .parse::<u64>()
                    .map_err(|_| TeamToolsError::field(name, "must be a whole number"))
            })
            .transpose()
    };
    let limit = number("limit")?.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(TeamToolsError::field("limit", "must be between 1 and 500"));
    }
    let offset = number("offset")?.unwrap_or(0);
    let descending = match call.param("orderDirection").map(|d| d.trim().to_ascii_lowercase()) {
        None => false,
        Some(d) if d.is_empty() || d == "asc" => false,
        Some(d) if d == "desc" => true,
        Some(_) => return Err(TeamToolsError::field("orderDirection", "must be asc or desc")),
    };
    let order_by = call
        .param("orderBy")
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .unwrap_or("id");
    let sort = if descending {
        format!("-{order_by}")
    } else {
        order_by.to_owned()
    };
    let q = PersonListQuery {
        limit: Some(limit as u32),
        offset: Some(offset),
        keyword: call.param("keyword").map(str::to_owned),
        sort: Some(sort),
        ..PersonListQuery::default()
    };
    Ok((q, limit as u32, offset))
}

/// Rows of a list query, embedded as asked, in TeamTools' shape.
async fn rows(
    s: &AppState,
    call: &Call,
    entity: AttributeEntity,
    q: &PersonListQuery,
) -> Result<Vec<Node>, TeamToolsError> {
    let includes = embed::includes(kind_of(entity), call.include().as_deref())?;
    let filters = filters(call);
    let p = &call.principal;
    let mut nodes: Vec<Node> = match entity {
        AttributeEntity::Customer => s
            .app
            .list_customers(p, q, &filters)
            .await?
            .data
            .iter()
            .map(|c| Node::customer(c, &TEAMTOOLS))
            .collect(),
        AttributeEntity::EndUser => s
            .app
            .list_end_users(p, q, &filters)
            .await?
            .data
            .iter()
            .map(|u| Node::end_user(u, &TEAMTOOLS))
            .collect(),
    };
    embed::embed(&s.app, p, &TEAMTOOLS, kind_of(entity), &mut nodes, &includes).await?;
    Ok(nodes)
}

fn values(nodes: Vec<Node>) -> Vec<Value> {
    nodes.into_iter().map(|n| Value::Object(n.members)).collect()
}

/// `GET C`: keyword, filters, order, offset pages, includes; `meta.pagination` counts every match.
pub(crate) async fn list(s: State<AppState>, entity: AttributeEntity, call: Call) -> Answer {
    let (q, limit, offset) = list_query(&call)?;
    let found = values(rows(&s, &call, entity, &q).await?);
    let counted = s.app.count_people(&call.principal, entity, &q, &filters(&call)).await?;
    // The count stops at its bound; past it, `total` is at least one more than this page reaches while
    // the page is full, so a client that pages until `total` reads on to the real end, where it is exact.
    let reached = offset.saturating_add(found.len() as u64);
    let total = if counted >= app::COUNT_BOUND {
        (counted as u64).max(reached + u64::from(found.len() as u64 == u64::from(limit)))
    } else {
        counted as u64
    };
    Ok(Json(json!({
        "data": found,
        "meta": {"pagination": {"total": total, "count": found.len(), "limit": limit, "offset": offset}},
    })))
}

/// `GET C/tag/{tag}`: every live record with the tag (exact), up to 500.
pub(crate) async fn by_tag(s: State<AppState>, entity: AttributeEntity, tag: String, call: Call) -> Answer {
    let q = PersonListQuery {
        tag: Some(tag),
        limit: Some(500),
        offset: Some(0),
        sort: Some("id".into()),
        ..PersonListQuery::default()
    };
    Ok(data(values(rows(&s, &call, entity, &q).await?)))
}

/// One live record in TeamTools' shape (a deleted one is 404, §13), embedded as asked.
async fn one(
    s: &AppState,
    call: &Call,
    entity: AttributeEntity,
    id: i64,
    include: bool,
) -> Result<Value, TeamToolsError> {
    let p = &call.principal;
    let mut node = match entity {
        AttributeEntity::Customer => {
            let c = s.app.get_customer(p, id).await?;
            if c.deleted_at.is_some() {
                return Err(TeamToolsError::new(ErrorCode::NotFound, "no such customer"));
            }
            Node::customer(&c, &TEAMTOOLS)
        }
        AttributeEntity::EndUser => {
            let u = s.app.get_end_user(p, id).await?;
            if u.deleted_at.is_some() {
                return Err(TeamToolsError::new(ErrorCode::NotFound, "no such end user"));
            }
            Node::end_user(&u, &TEAMTOOLS)
        }
    };
    if include {
        let includes = embed::includes(kind_of(entity), call.include().as_deref())?;
        embed::embed(
            &s.app,
            p,
            &TEAMTOOLS,
            kind_of(entity),
            std::slice::from_mut(&mut node),
            &includes,
        )
        .await?;
    }
    Ok(Value::Object(node.members))
}

pub(crate) async fn get(s: State<AppState>, entity: AttributeEntity, id: String, call: Call) -> Answer {
    let id = path_id(&id)?;
    Ok(data(one(&s, &call, entity, id, true).await?))
}

pub(crate) async fn create(s: State<AppState>, entity: AttributeEntity, call: Call) -> Answer {
    let mut body = call.fields();
    let subscribing = match entity {
        AttributeEntity::Customer => render::subscription_members(&mut body),
        AttributeEntity::EndUser => None,
    };
    let fields = person_fields(body)?;
    let p = &call.principal;
    let value = match entity {
        AttributeEntity::Customer => {
            let c = s
                .app
                .create_customer(p, &call.meta, read::<NewCustomer>(fields)?)
                .await?;
            let mut shown = render::customer(&c);
            if let Some(members) = subscribing {
                let sub = super::billing::subscribe_from(&s, &call, c.id, &members).await?;
                shown.insert("subscriptionId".into(), render::id(sub.id));
            }
            Value::Object(shown)
        }
        AttributeEntity::EndUser => {
            let u = s
                .app
                .create_end_user(p, &call.meta, read::<NewEndUser>(fields)?)
                .await?;
            Value::Object(render::end_user(&u))
        }
    };
    Ok(data(value))
}

/// `PUT C/{id}`: the members sent change (the SDK sends only changed ones; an empty body answers the record).
pub(crate) async fn update(s: State<AppState>, entity: AttributeEntity, id: String, call: Call) -> Answer {
    let id = path_id(&id)?;
    let mut body = call.fields();
    let subscribing = match entity {
        AttributeEntity::Customer => render::subscription_members(&mut body),
        AttributeEntity::EndUser => None,
    };
    let fields = person_fields(body)?;
    let p = &call.principal;
    let value = match entity {
        AttributeEntity::Customer => {
            let c = s
                .app
                .update_customer(p, &call.meta, id, read::<CustomerPatch>(fields)?)
                .await?;
            let mut shown = render::customer(&c);
            if let Some(members) = subscribing {
                let sub = super::billing::subscribe_from(&s, &call, c.id, &members).await?;
                shown.insert("subscriptionId".into(), render::id(sub.id));
            }
            Value::Object(shown)
        }
        AttributeEntity::EndUser => {
            let u = s
                .app
                .update_end_user(p, &call.meta, id, read::<EndUserPatch>(fields)?)
                .await?;
            Value::Object(render::end_user(&u))
        }
    };
    Ok(data(value))
}

/// `DELETE C/{id}` (soft) and `PUT C/{id}/restore`: answer the record.
pub(crate) async fn set_deleted(
    s: State<AppState>,
    entity: AttributeEntity,
    id: String,
    deleted: bool,
    call: Call,
) -> Answer {
    let id = path_id(&id)?;
    let p = &call.principal;
    let value = match entity {
        AttributeEntity::Customer => Value::Object(render::customer(
            &s.app.set_customer_deleted(p, &call.meta, id, deleted).await?,
        )),
        AttributeEntity::EndUser => Value::Object(render::end_user(
            &s.app.set_end_user_deleted(p, &call.meta, id, deleted).await?,
        )),
    };
    Ok(data(value))
}

/// `PUT C/restore {"ids": [...]}`: restores every listed record in one transaction, or none.
pub(crate) async fn restore_all(s: State<AppState>, entity: AttributeEntity, call: Call) -> Answer {
    let ids: Vec<i64> = match call.body.get("ids") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| parse_id(v).ok_or_else(|| TeamToolsError::field("ids", "must be a list of ids")))
            .collect::<Result<_, _>>()?,
        _ => return Err(TeamToolsError::field("ids", "must be a list of ids")),
    };
    s.app.restore_people(&call.principal, &call.meta, entity, &ids).await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(one(&s, &call, entity, id, false).await?);
    }
    Ok(data(out))
}

/// `POST C/bulk {"data": [rows]}`: rows with `id` update, rows without insert, all in one transaction.
/// When a row fails nothing is stored, and the answer (422) names the row.
pub(crate) async fn bulk(s: State<AppState>, entity: AttributeEntity, call: Call) -> Answer {
    let Some(Value::Array(rows)) = call.body.get("data") else {
        return Err(TeamToolsError::field("data", "must be a list of records"));
    };
    let p = &call.principal;
    let results: Vec<Value> = match entity {
        AttributeEntity::Customer => bulk_answer(s.app.bulk_customers(p, &call.meta, bulk_rows(rows)?).await)?
            .iter()
            .map(|c| Value::Object(render::customer(c)))
            .collect(),
        AttributeEntity::EndUser => bulk_answer(s.app.bulk_end_users(p, &call.meta, bulk_rows(rows)?).await)?
            .iter()
            .map(|u| Value::Object(render::end_user(u)))
            .collect(),
    };
    Ok(data(results))
}

/// The rows of a bulk save as native inputs: with an `id`, a change; without, a new record.
fn bulk_rows<N, P>(rows: &[Value]) -> Result<Vec<BulkRow<N, P>>, TeamToolsError>
where
    N: serde::de::DeserializeOwned,
    P: serde::de::DeserializeOwned,
{
    let mut input = Vec::with_capacity(rows.len());
    for (row, item) in rows.iter().enumerate() {
        let Value::Object(fields) = item else {
            return Err(TeamToolsError::field("data", "each row must be an object").in_row(row));
        };
        let id = fields.get("id").and_then(parse_id);
        let native = person_fields(fields.clone()).map_err(|e| e.in_row(row))?;
        input.push(match id {
            Some(id) => BulkRow::Update(id, read::<P>(native).map_err(|e| e.in_row(row))?),
            None => BulkRow::Create(read::<N>(native).map_err(|e| e.in_row(row))?),
        });
    }
    Ok(input)
}

fn bulk_answer<T>(result: Result<Vec<T>, BulkError>) -> Result<Vec<T>, TeamToolsError> {
    match result {
        Ok(rows) => Ok(rows),
        Err(BulkError::Refused(e)) => Err(e.into()),
        Err(BulkError::Row(row, e)) => Err(TeamToolsError::from(e).in_row(row)),
    }
}

/// `GET C/attributes`: built-in attributes (`default: true`) and the custom ones.
pub(crate) async fn attributes(s: State<AppState>, entity: AttributeEntity, call: Call) -> Answer {
    let list = s.app.list_attributes(&call.principal, entity).await?;
    Ok(data(
        list.iter()
            .map(|a| Value::Object(render::attribute(a)))
            .collect::<Vec<_>>(),
    ))
}

/// An attribute body as the SDK sends it (every property, `null` when not set; on update also what it
/// read: timestamps), read into the native input.
fn attribute_input(call: &Call) -> Result<AttributeInput, TeamToolsError> {
    let mut body = call.fields();
    for member in ["created_at", "updated_at", "deleted_at", "entity"] {
        body.remove(member);
    }
    body.retain(|_, v| !v.is_null());
    read(body)
}

pub(crate) async fn create_attribute(s: State<AppState>, entity: AttributeEntity, call: Call) -> Answer {
    let input = attribute_input(&call)?;
    let a = s
        .app
        .create_attribute(&call.principal, &call.meta, entity, input)
        .await?;
    Ok(data(render::attribute(&a)))
}

pub(crate) async fn update_attribute(s: State<AppState>, entity: AttributeEntity, id: String, call: Call) -> Answer {
    let id = path_id(&id)?;
    let input = attribute_input(&call)?;
    let a = s
        .app
        .update_attribute(&call.principal, &call.meta, entity, id, input)
        .await?;
    Ok(data(render::attribute(&a)))
}

pub(crate) async fn delete_attribute(s: State<AppState>, entity: AttributeEntity, id: String, call: Call) -> Answer {
    let id = path_id(&id)?;
    let a = s
        .app
        .set_attribute_deleted(&call.principal, &call.meta, entity, id, true)
        .await?;
    Ok(data(render::attribute(&a)))
}

/// `GET customers/{id}/endusers`: the customer's live end users.
pub(crate) async fn customer_end_users(s: State<AppState>, id: String, call: Call) -> Answer {
    let id = path_id(&id)?;
    one(&s, &call, AttributeEntity::Customer, id, false).await?;
    let people = s.app.end_users_of(&call.principal, &[id]).await?;
    Ok(data(
        people
            .iter()
            .map(|u| Value::Object(render::end_user(u)))
            .collect::<Vec<_>>(),
    ))
}

/// `PUT customers/{id}/endusers {"enduserIds": [...] (empty: all), "newCustomerId"}`: answers the moved
/// end users.
pub(crate) async fn migrate(s: State<AppState>, id: String, call: Call) -> Answer {
    let id = path_id(&id)?;
    let target = call
        .body
        .get("newCustomerId")
        .and_then(parse_id)
        .ok_or_else(|| TeamToolsError::field("newCustomerId", "must be a customer id"))?;
    let ids = match call.body.get("enduserIds") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| parse_id(v).ok_or_else(|| TeamToolsError::field("enduserIds", "must be a list of end user ids")))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(TeamToolsError::field("enduserIds", "must be a list of end user ids")),
    };
    let input = MigrateEndUsers {
        new_customer_id: target,
        end_user_ids: Some(ids),
    };
    let moved = s.app.migrate_end_users(&call.principal, &call.meta, id, input).await?;
    Ok(data(
        moved
            .iter()
            .map(|u| Value::Object(render::end_user(u)))
            .collect::<Vec<_>>(),
    ))
}

/// `GET customers/{id}/events` and `GET endusers/{id}/events`: activity events (newest first).
pub(crate) async fn activity_of(s: State<AppState>, entity: AttributeEntity, id: String, call: Call) -> Answer {
    let id = path_id(&id)?;
    one(&s, &call, entity, id, false).await?;
    let (users, customers) = match entity {
        AttributeEntity::Customer => (vec![], vec![id]),
        AttributeEntity::EndUser => (vec![id], vec![]),
    };
    let events = s.app.activity_events(&call.principal, &users, &customers).await?;
    Ok(data(
        events
            .iter()
            .map(|e| Value::Object(render::activity(e)))
            .collect::<Vec<_>>(),
    ))
}

/// `POST events/`: an end user's activity, proven by `key = md5(endUserId . salt)` for OAuth clients.
pub(crate) async fn record_activity(s: State<AppState>, call: Call) -> Answer {
    let body = &call.body;
    let text = |name: &str| {
        body.get(name).and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    let end_user_id = match body.get("endUserId") {
        None | Some(Value::Null) => None,
        Some(v) => Some(parse_id(v).ok_or_else(|| TeamToolsError::field("endUserId", "must be an end user id"))?),
    };
    let counter = match body.get("counter") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            parse_id(v)
                .or_else(|| (v.as_i64() == Some(0) || v.as_str() == Some("0")).then_some(0))
                .ok_or_else(|| TeamToolsError::field("counter", "must be a whole number"))?,
        ),
    };
    let input = NewActivity {
        end_user_id,
        name: text("name"),
        counter,
        metadata: body.get("metadata").cloned().filter(|m| !m.is_null()),
        timestamp: text("timestamp"),
        key: text("key"),
    };
    let e = s.app.record_activity(&call.principal, input).await?;
    Ok(data(render::activity(&e)))
}

pub(crate) async fn activity_event(s: State<AppState>, id: String, call: Call) -> Answer {
    let id = path_id(&id)?;
    Ok(data(render::activity(
        &s.app.activity_event(&call.principal, id).await?,
    )))
}

/// `GET webevents`: the change log, newest first (`limit`, `offset`; admins, as `GET /api/v1/events`).
pub(crate) async fn web_events(s: State<AppState>, call: Call) -> Answer {
    let (_, limit, offset) = list_query(&call)?;
    let wanted = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .saturating_add(limit as usize);
    let mut events = Vec::new();
    let mut cursor = None;
    while events.len() < wanted {
        let q = EventQuery {
            limit: Some(500),
            cursor: cursor.take(),
            ..EventQuery::default()
        };
        let page = s.app.list_events(&call.principal, &q).await?;
        events.extend(page.data);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let rows: Vec<Value> = events
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(limit as usize)
        .map(|e| Value::Object(render::web_event(e)))
        .collect();
    Ok(data(rows))
}

pub(crate) async fn web_event(s: State<AppState>, id: String, call: Call) -> Answer {
    let id = path_id(&id)?;
    Ok(data(render::web_event(&s.app.get_event(&call.principal, id).await?)))
}

/// Every page of a native list, up to `cap` rows (members and teams are small tables).
async fn all_pages<T, F, Fut>(cap: usize, mut page: F) -> Result<Vec<T>, TeamToolsError>
where
    F: FnMut(api_types::ListQuery) -> Fut,
    Fut: std::future::Future<Output = Result<app::Paged<T>, app::AppError>>,
{
    let rows = crate::routes::every_page(cap, |cursor| {
        page(api_types::ListQuery {
            limit: Some(500),
            cursor,
            ..api_types::ListQuery::default()
        })
    })
    .await?;
    Ok(rows)
}

/// A read-only collection: every page of a native list, in TeamTools' shape.
async fn listed<T, F, Fut>(page: F, render: fn(&T) -> Map<String, Value>) -> Answer
where
    F: FnMut(api_types::ListQuery) -> Fut,
    Fut: std::future::Future<Output = Result<app::Paged<T>, app::AppError>>,
{
    let rows = all_pages(10_000, page).await?;
    Ok(data(rows.iter().map(|r| Value::Object(render(r))).collect::<Vec<_>>()))
}

/// `GET members`: the staff accounts, read-only (admins, as `/api/v1/staff`).
pub(crate) async fn members(s: State<AppState>, call: Call) -> Answer {
    let (app, p) = (&s.app, &call.principal);
    listed(|q| async move { app.list_staff(p, &q).await }, render::member).await
}

pub(crate) async fn member(s: State<AppState>, id: String, call: Call) -> Answer {
    let id = path_id(&id)?;
    Ok(data(render::member(&s.app.get_staff(&call.principal, id).await?)))
}

/// `GET teams`: the departments, read-only.
pub(crate) async fn teams(s: State<AppState>, call: Call) -> Answer {
    let (app, p) = (&s.app, &call.principal);
    listed(|q| async move { app.list_departments(p, &q).await }, render::team).await
}

pub(crate) async fn team(s: State<AppState>, id: String, call: Call) -> Answer {
    let id = path_id(&id)?;
    Ok(data(render::team(&s.app.get_department(&call.principal, id).await?)))
}
