//! TeamTools' billing (compat/teamtools.md §6.1, §6.3, §6.4, §9.4–§9.7): features, groups, packages,
//! plans with TeamTools' `pricing` object, subscribe/unsubscribe, invoice items, invoices, settle, payments
//! and refunds — over the native use cases, in TeamTools' shape (ids as strings, camelCase, numbers and
//! booleans also as strings on input).
use super::call::Call;
use super::render::{id, parse_id, time};
use super::{Answer, TeamToolsError};
use crate::state::AppState;
use api_types::{
    CatalogueQuery, ErrorCode, FeaturePatch, GroupPatch, InvoiceQuery, NewFeature, NewGroup, NewInvoice,
    NewInvoiceItem, NewPackage, NewPayment, NewPendingItem, NewPlan, NewSubscription, PackageFeature, PackagePatch,
    PlanPatch,
};
use app::Paged;
use axum::Json;
use axum::extract::State;
use domain::billing::{
    Feature, Group, Invoice, Package, Payment, PendingItem, Plan, PlanUnit, Pricing, Refund, Subscription,
    SubscriptionStatus, Tier,
};
use domain::{Principal, Timestamp};
use serde_json::{Map, Value, json};

fn data(value: impl Into<Value>) -> Json<Value> {
    Json(json!({ "data": value.into() }))
}

fn path_id(raw: &str) -> Result<i64, TeamToolsError> {
    parse_id(&Value::String(raw.to_owned())).ok_or_else(|| TeamToolsError::new(ErrorCode::NotFound, "no such record"))
}

fn opt_time(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::String(time(t)))
}

fn day(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::String(t.strftime("%Y-%m-%d").to_string()))
}

// ------------------------------------------------------------------ reading TeamTools' loose input

/// A member's text; numbers as their digits; blank or `null` is absent.
fn text(body: &Map<String, Value>, name: &str) -> Option<String> {
    match body.get(name)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A whole number, given as a number or a string of digits.
fn int(body: &Map<String, Value>, name: &str) -> Result<Option<i64>, TeamToolsError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| TeamToolsError::field(name, "must be a whole number")),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| TeamToolsError::field(name, "must be a whole number")),
        Some(_) => Err(TeamToolsError::field(name, "must be a whole number")),
    }
}

fn unsigned(body: &Map<String, Value>, name: &str) -> Result<Option<u32>, TeamToolsError> {
    int(body, name)?
        .map(|n| u32::try_from(n).map_err(|_| TeamToolsError::field(name, "must be 0 or more")))
        .transpose()
}

/// A boolean, given as `true`/`false`, `"true"`/`"false"`, `1`/`0` or `"1"`/`"0"`.
fn flag(body: &Map<String, Value>, name: &str) -> Result<Option<bool>, TeamToolsError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(Some(false)),
        Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(Some(true)),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Some(true)),
            "false" | "0" | "" => Ok(Some(false)),
            _ => Err(TeamToolsError::field(name, "must be true or false")),
        },
        Some(_) => Err(TeamToolsError::field(name, "must be true or false")),
    }
}

/// An id member (`"42"` or `42`).
fn id_of(body: &Map<String, Value>, name: &str) -> Result<Option<i64>, TeamToolsError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(v) => parse_id(v)
            .map(Some)
            .ok_or_else(|| TeamToolsError::field(name, "must be an id")),
    }
}

/// A list of ids (`[]` is an empty list).
fn ids_of(body: &Map<String, Value>, name: &str) -> Result<Option<Vec<i64>>, TeamToolsError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| parse_id(v).ok_or_else(|| TeamToolsError::field(name, "must be a list of ids")))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(Value::Object(map)) => map
            .values()
            .map(|v| parse_id(v).ok_or_else(|| TeamToolsError::field(name, "must be a list of ids")))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(TeamToolsError::field(name, "must be a list of ids")),
    }
}

/// Every page of a native list, up to 10,000 rows.
async fn all<T, F, Fut>(mut page: F) -> Result<Vec<T>, TeamToolsError>
where
    F: FnMut(CatalogueQuery) -> Fut,
    Fut: std::future::Future<Output = Result<Paged<T>, app::AppError>>,
{
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let found = page(CatalogueQuery {
            limit: Some(500),
            cursor: cursor.take(),
            ..CatalogueQuery::default()
        })
        .await?;
        out.extend(found.data);
        match found.next_cursor {
            Some(next) if out.len() < 10_000 => cursor = Some(next),
            _ => return Ok(out),
        }
    }
}

/// A collection answer: `data` and `meta.pagination` (the catalogue is small: one page holds it).
fn collection(rows: Vec<Value>) -> Answer {
    let n = rows.len();
    Ok(Json(json!({
        "data": rows,
        "meta": {"pagination": {"total": n, "count": n, "limit": n.max(1), "offset": 0}},
    })))
}

// ------------------------------------------------------------------ shapes

fn into_map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The TeamTools shapes of billing records, for `include=`.
pub(crate) const STYLE: crate::routes::embed::BillingStyle = crate::routes::embed::BillingStyle {
    subscription,
    invoice,
    plan,
    package,
    feature,
    payment,
    refund,
};

fn feature(f: &Feature) -> Map<String, Value> {
    into_map(json!({
        "id": id(f.id),
        "name": f.name,
        "description": f.description,
        "uniqueKey": f.unique_key,
        "dependency_ids": f.dependency_ids.iter().map(|d| id(*d)).collect::<Vec<_>>(),
        "created_at": time(f.created_at),
        "updated_at": time(f.updated_at),
        "deleted_at": opt_time(f.deleted_at),
    }))
}

fn group(g: &Group) -> Map<String, Value> {
    into_map(json!({
        "id": id(g.id),
        "name": g.name,
        "default": g.default,
        "defaultPackageId": g.default_package_id.map(id),
        "created_at": time(g.created_at),
        "updated_at": time(g.updated_at),
    }))
}

fn package(p: &Package) -> Map<String, Value> {
    into_map(json!({
        "id": id(p.id),
        "name": p.name,
        "description": p.description,
        "default": p.default,
        "groupId": id(p.group_id),
        "featureIds": p.features.iter().map(|f| id(f.feature_id)).collect::<Vec<_>>(),
        "features": p.features.iter().map(|f| json!({"featureId": id(f.feature_id), "quantity": f.quantity})).collect::<Vec<_>>(),
        "created_at": time(p.created_at),
        "updated_at": time(p.updated_at),
        "deleted_at": opt_time(p.deleted_at),
    }))
}

/// A plan with TeamTools' `pricing` object: `levels` of `{condition {min, max: -1 = unbounded}, expression}`
/// for tiers.
fn plan(p: &Plan) -> Map<String, Value> {
    let unit = match p.unit {
        PlanUnit::EndUser => "enduser",
        PlanUnit::Quantity => "quantity",
    };
    let interval = json!({"type": <&str>::from(p.cycle.interval), "amount": p.cycle.count});
    let pricing = match &p.pricing {
        Pricing::Flat { amount } => json!({"type": "flat", "interval": interval, "amount": amount}),
        Pricing::Unit { amount } => json!({"type": "unit", "interval": interval, "amount": amount, "unit": unit}),
        Pricing::Tiered { mode, tiers } => {
            let mut min = 1u64;
            let levels: Vec<Value> = tiers
                .iter()
                .map(|t| {
                    let level = json!({
                        "condition": {"min": min, "max": t.up_to.map_or(-1, |u| i64::try_from(u).unwrap_or(-1))},
                        "expression": [
                            {"type": "unit", "unit": unit, "amount": t.unit_amount},
                            {"type": "flat", "amount": t.flat_amount},
                        ],
                    });
                    min = t.up_to.map_or(min, |u| u + 1);
                    level
                })
                .collect();
            json!({"type": "tier", "interval": interval, "unit": unit, "mode": <&str>::from(*mode), "levels": levels})
        }
    };
    into_map(json!({
        "id": id(p.id),
        "name": p.name,
        "description": p.description,
        "packageId": id(p.package_id),
        "trial": p.trial_days,
        "initialFee": p.initial_fee,
        "currency": p.currency.code(),
        "pricing": pricing,
        "created_at": time(p.created_at),
        "updated_at": time(p.updated_at),
        "deleted_at": opt_time(p.deleted_at),
    }))
}

fn subscription(s: &Subscription) -> Map<String, Value> {
    into_map(json!({
        "id": id(s.id),
        "customerId": id(s.customer_id),
        "planId": id(s.plan_id),
        "groupId": id(s.group_id),
        "status": s.status,
        "quantity": s.quantity,
        "manual": s.manual,
        "currency": s.currency.code(),
        "balance": s.balance,
        "trialEnd": opt_time(s.trial_end),
        "currentPeriodStart": time(s.current_period_start),
        "currentPeriodEnd": time(s.current_period_end),
        "cancelAtPeriodEnd": s.cancel_at_period_end,
        "canceledAt": opt_time(s.canceled_at),
        "created_at": time(s.created_at),
        "updated_at": time(s.updated_at),
    }))
}

fn invoice(i: &Invoice) -> Map<String, Value> {
    into_map(json!({
        "id": id(i.id),
        "number": i.number,
        "customerId": id(i.customer_id),
        "subscriptionId": i.subscription_id.map(id),
        "currency": i.currency.code(),
        "status": i.status,
        "items": i.items.iter().map(|item| json!({
            "description": item.description,
            "quantity": item.quantity,
            "unitAmount": item.unit_amount,
            "amount": item.amount,
        })).collect::<Vec<_>>(),
        "subtotal": i.subtotal,
        "total": i.total,
        "amountPaid": i.amount_paid,
        "amountDue": i.amount_due,
        "creditApplied": i.credit_applied,
        "invoiceDate": day(i.issued_at),
        "dueDate": day(i.due_at),
        "paidAt": opt_time(i.paid_at),
        "created_at": time(i.created_at),
        "updated_at": time(i.updated_at),
    }))
}

fn payment(p: &Payment) -> Map<String, Value> {
    into_map(json!({
        "id": id(p.id),
        "invoiceId": id(p.invoice_id),
        "amount": p.amount,
        "applied": p.applied,
        "credited": p.credited,
        "refunded": p.refunded,
        "method": p.method,
        "reference": p.reference,
        "created_at": time(p.created_at),
    }))
}

fn refund(r: &Refund) -> Map<String, Value> {
    into_map(json!({
        "id": id(r.id),
        "paymentId": id(r.payment_id),
        "invoiceId": id(r.invoice_id),
        "amount": r.amount,
        "created_at": time(r.created_at),
    }))
}

fn pending_item(p: &PendingItem) -> Map<String, Value> {
    into_map(json!({
        "id": id(p.id),
        "subscriptionId": id(p.subscription_id),
        "description": p.item.description,
        "quantity": p.item.quantity,
        "amount": p.item.amount,
        "created_at": time(p.created_at),
    }))
}

// ------------------------------------------------------------------ features

fn feature_patch(body: &Map<String, Value>) -> Result<FeaturePatch, TeamToolsError> {
    Ok(FeaturePatch {
        name: text(body, "name"),
        description: body.get("description").and_then(Value::as_str).map(str::to_owned),
        unique_key: match body.get("uniqueKey").or(body.get("unique_key")) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(_) => Some(text(body, "uniqueKey").or(text(body, "unique_key"))),
        },
        dependency_ids: ids_of(body, "dependency_ids")?.or(ids_of(body, "dependencyIds")?),
    })
}

pub(crate) async fn features(s: State<AppState>, call: Call) -> Answer {
    let (app, p) = (&s.app, &call.principal);
    let rows = all(|q| async move { app.list_features(p, &q).await }).await?;
    collection(rows.iter().map(|r| Value::Object(feature(r))).collect())
}

pub(crate) async fn create_feature(s: State<AppState>, call: Call) -> Answer {
    let body = call.fields();
    let patch = feature_patch(&body)?;
    let created = s
        .app
        .create_feature(
            &call.principal,
            &call.meta,
            NewFeature {
                name: patch.name.unwrap_or_default(),
                description: patch.description,
                unique_key: patch.unique_key.flatten(),
                dependency_ids: patch.dependency_ids,
            },
        )
        .await?;
    Ok(data(feature(&created)))
}

pub(crate) async fn get_feature(s: State<AppState>, raw: String, call: Call) -> Answer {
    let f = s.app.get_feature(&call.principal, path_id(&raw)?).await?;
    if f.deleted_at.is_some() {
        return Err(TeamToolsError::new(ErrorCode::NotFound, "no such feature"));
    }
    Ok(data(feature(&f)))
}

pub(crate) async fn update_feature(s: State<AppState>, raw: String, call: Call) -> Answer {
    let patch = feature_patch(&call.fields())?;
    let f = s
        .app
        .update_feature(&call.principal, &call.meta, path_id(&raw)?, patch)
        .await?;
    Ok(data(feature(&f)))
}

pub(crate) async fn delete_feature(s: State<AppState>, raw: String, call: Call) -> Answer {
    let id = path_id(&raw)?;
    let f = s.app.get_feature(&call.principal, id).await?;
    s.app.delete_feature(&call.principal, &call.meta, id).await?;
    Ok(data(feature(&f)))
}

pub(crate) async fn restore_feature(s: State<AppState>, raw: String, call: Call) -> Answer {
    let f = s
        .app
        .restore_feature(&call.principal, &call.meta, path_id(&raw)?)
        .await?;
    Ok(data(feature(&f)))
}

// ------------------------------------------------------------------ groups

pub(crate) async fn groups(s: State<AppState>, call: Call) -> Answer {
    let (app, p) = (&s.app, &call.principal);
    let rows = all(|q| async move { app.list_groups(p, &q).await }).await?;
    collection(rows.iter().map(|r| Value::Object(group(r))).collect())
}

/// `defaultPackageId` (the README's text) or `defaultPackage` (the README's example).
fn default_package(body: &Map<String, Value>) -> Result<Option<i64>, TeamToolsError> {
    Ok(id_of(body, "defaultPackageId")?.or(id_of(body, "defaultPackage")?))
}

pub(crate) async fn create_group(s: State<AppState>, call: Call) -> Answer {
    let body = call.fields();
    let created = s
        .app
        .create_group(
            &call.principal,
            &call.meta,
            NewGroup {
                name: text(&body, "name").unwrap_or_default(),
                default: flag(&body, "default")?,
                default_package_id: default_package(&body)?,
            },
        )
        .await?;
    Ok(data(group(&created)))
}

pub(crate) async fn get_group(s: State<AppState>, raw: String, call: Call) -> Answer {
    Ok(data(group(&s.app.get_group(&call.principal, path_id(&raw)?).await?)))
}

pub(crate) async fn update_group(s: State<AppState>, raw: String, call: Call) -> Answer {
    let body = call.fields();
    let patch = GroupPatch {
        name: text(&body, "name"),
        default: flag(&body, "default")?,
        default_package_id: match default_package(&body)? {
            Some(p) => Some(Some(p)),
            None if body.get("defaultPackageId").is_some_and(Value::is_null) => Some(None),
            None => None,
        },
    };
    let g = s
        .app
        .update_group(&call.principal, &call.meta, path_id(&raw)?, patch)
        .await?;
    Ok(data(group(&g)))
}

/// `GET groups/{id}/packages`: the group's live packages.
pub(crate) async fn group_packages(s: State<AppState>, raw: String, call: Call) -> Answer {
    let group_id = path_id(&raw)?;
    s.app.get_group(&call.principal, group_id).await?;
    let (app, p) = (&s.app, &call.principal);
    let rows = all(|q| async move {
        app.list_packages(
            p,
            &CatalogueQuery {
                group_id: Some(group_id),
                ..q
            },
        )
        .await
    })
    .await?;
    Ok(data(rows.iter().map(|r| Value::Object(package(r))).collect::<Vec<_>>()))
}

// ------------------------------------------------------------------ packages

fn package_features(body: &Map<String, Value>) -> Result<Option<Vec<PackageFeature>>, TeamToolsError> {
    if let Some(Value::Array(items)) = body.get("features") {
        let with_quantities: Option<Vec<PackageFeature>> = items
            .iter()
            .map(|item| {
                let map = item.as_object()?;
                let feature_id = parse_id(map.get("featureId").or(map.get("feature_id"))?)?;
                let quantity = map.get("quantity").and_then(|q| match q {
                    Value::Number(n) => n.as_i64(),
                    Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                });
                Some(PackageFeature { feature_id, quantity })
            })
            .collect();
        return with_quantities
            .map(Some)
            .ok_or_else(|| TeamToolsError::field("features", "must be a list of {featureId, quantity}"));
    }
    Ok(ids_of(body, "featureIds")?.map(|ids| {
        ids.into_iter()
            .map(|feature_id| PackageFeature {
                feature_id,
                quantity: None,
            })
            .collect()
    }))
}

pub(crate) async fn packages(s: State<AppState>, call: Call) -> Answer {
    let (app, p) = (&s.app, &call.principal);
    let rows = all(|q| async move { app.list_packages(p, &q).await }).await?;
    collection(rows.iter().map(|r| Value::Object(package(r))).collect())
}

pub(crate) async fn create_package(s: State<AppState>, call: Call) -> Answer {
    let body = call.fields();
    let created = s
        .app
        .create_package(
            &call.principal,
            &call.meta,
            NewPackage {
                name: text(&body, "name").unwrap_or_default(),
                group_id: id_of(&body, "groupId")?,
                description: text(&body, "description"),
                default: flag(&body, "default")?,
                features: package_features(&body)?,
            },
        )
        .await?;
    Ok(data(package(&created)))
}

pub(crate) async fn get_package(s: State<AppState>, raw: String, call: Call) -> Answer {
    let p = s.app.get_package(&call.principal, path_id(&raw)?).await?;
    if p.deleted_at.is_some() {
        return Err(TeamToolsError::new(ErrorCode::NotFound, "no such package"));
    }
    Ok(data(package(&p)))
}

pub(crate) async fn update_package(s: State<AppState>, raw: String, call: Call) -> Answer {
    let body = call.fields();
    let patch = PackagePatch {
        name: text(&body, "name"),
        group_id: id_of(&body, "groupId")?,
        description: body.get("description").and_then(Value::as_str).map(str::to_owned),
        default: flag(&body, "default")?,
        features: package_features(&body)?,
    };
    let p = s
        .app
        .update_package(&call.principal, &call.meta, path_id(&raw)?, patch)
        .await?;
    Ok(data(package(&p)))
}

pub(crate) async fn delete_package(s: State<AppState>, raw: String, call: Call) -> Answer {
    let id = path_id(&raw)?;
    let p = s.app.get_package(&call.principal, id).await?;
    s.app.delete_package(&call.principal, &call.meta, id).await?;
    Ok(data(package(&p)))
}

pub(crate) async fn restore_package(s: State<AppState>, raw: String, call: Call) -> Answer {
    let p = s
        .app
        .restore_package(&call.principal, &call.meta, path_id(&raw)?)
        .await?;
    Ok(data(package(&p)))
}

// ------------------------------------------------------------------ plans

/// TeamTools' `pricing` object as the native plan's pricing fields: `type` (`free`, `flat`, `unit`,
/// `tier`), `interval {type, amount}`, `amount`, `unit`, `levels`.
fn pricing_fields(plan: &mut NewPlan, pricing: &Map<String, Value>) -> Result<(), TeamToolsError> {
    let kind = text(pricing, "type")
        .unwrap_or_else(|| "flat".into())
        .to_ascii_lowercase();
    match pricing.get("interval") {
        Some(Value::Object(interval)) => {
            plan.interval = text(interval, "type").unwrap_or_else(|| "month".into());
            plan.interval_count = unsigned(interval, "amount")?;
        }
        Some(Value::String(s)) => plan.interval = s.clone(),
        _ => plan.interval = "month".into(),
    }
    plan.unit = text(pricing, "unit").map(|u| {
        if u.eq_ignore_ascii_case("enduser") {
            "enduser".into()
        } else {
            "quantity".into()
        }
    });
    match kind.as_str() {
        "free" => {
            plan.pricing = "flat".into();
            plan.amount = Some(0);
        }
        "flat" | "unit" => {
            plan.pricing = kind;
            plan.amount = int(pricing, "amount")?;
        }
        "tier" => {
            plan.pricing = "tier".into();
            plan.tier_mode = text(pricing, "mode");
            let Some(Value::Array(levels)) = pricing.get("levels") else {
                return Err(TeamToolsError::field("pricing.levels", "a tier plan needs levels"));
            };
            let mut tiers = Vec::with_capacity(levels.len());
            for (n, level) in levels.iter().enumerate() {
                let field = format!("pricing.levels[{n}]");
                let level = level
                    .as_object()
                    .ok_or_else(|| TeamToolsError::field(&field, "must be {condition, expression}"))?;
                let max = match level.get("condition") {
                    Some(Value::Object(c)) => int(c, "max")?,
                    _ => None,
                };
                let up_to = match max {
                    None | Some(-1) => None,
                    Some(m) => {
                        Some(u64::try_from(m).map_err(|_| TeamToolsError::field(&field, "max must be -1 or a count"))?)
                    }
                };
                let (mut unit_amount, mut flat_amount) = (0, 0);
                if let Some(Value::Array(expressions)) = level.get("expression") {
                    for e in expressions.iter().filter_map(Value::as_object) {
                        let amount = int(e, "amount")?.unwrap_or(0);
                        match text(e, "type").as_deref() {
                            Some("flat") => flat_amount += amount,
                            _ => unit_amount += amount,
                        }
                    }
                }
                tiers.push(Tier {
                    up_to,
                    unit_amount,
                    flat_amount,
                });
            }
            plan.tiers = Some(tiers);
        }
        _ => {
            return Err(TeamToolsError::field(
                "pricing.type",
                "must be free, flat, unit or tier",
            ));
        }
    }
    Ok(())
}

pub(crate) async fn plans(s: State<AppState>, call: Call) -> Answer {
    let (app, p) = (&s.app, &call.principal);
    let rows = all(|q| async move { app.list_plans(p, &q).await }).await?;
    collection(rows.iter().map(|r| Value::Object(plan(r))).collect())
}

pub(crate) async fn create_plan(s: State<AppState>, call: Call) -> Answer {
    let body = call.fields();
    let package_id = id_of(&body, "packageId")?.ok_or_else(|| TeamToolsError::field("packageId", "is required"))?;
    // Name and description default to the package's (README "Step 3").
    let pkg = s.app.get_package(&call.principal, package_id).await?;
    let mut input = NewPlan {
        package_id,
        name: text(&body, "name").unwrap_or_else(|| pkg.name.clone()),
        description: text(&body, "description").or(Some(pkg.description.clone())),
        currency: text(&body, "currency").unwrap_or_default(),
        trial_days: unsigned(&body, "trial")?.or(unsigned(&body, "trialDays")?),
        initial_fee: int(&body, "initialFee")?,
        ..NewPlan::default()
    };
    match body.get("pricing") {
        Some(Value::Object(pricing)) => pricing_fields(&mut input, pricing)?,
        _ => {
            return Err(TeamToolsError::field(
                "pricing",
                "is required: {type, interval, amount}",
            ));
        }
    }
    let created = s.app.create_plan(&call.principal, &call.meta, input).await?;
    Ok(data(plan(&created)))
}

pub(crate) async fn get_plan(s: State<AppState>, raw: String, call: Call) -> Answer {
    let p = s.app.get_plan(&call.principal, path_id(&raw)?).await?;
    if p.deleted_at.is_some() {
        return Err(TeamToolsError::new(ErrorCode::NotFound, "no such plan"));
    }
    Ok(data(plan(&p)))
}

pub(crate) async fn update_plan(s: State<AppState>, raw: String, call: Call) -> Answer {
    let body = call.fields();
    let patch = PlanPatch {
        name: text(&body, "name"),
        description: body.get("description").and_then(Value::as_str).map(str::to_owned),
        trial_days: unsigned(&body, "trial")?,
    };
    let p = s
        .app
        .update_plan(&call.principal, &call.meta, path_id(&raw)?, patch)
        .await?;
    Ok(data(plan(&p)))
}

pub(crate) async fn delete_plan(s: State<AppState>, raw: String, call: Call) -> Answer {
    let id = path_id(&raw)?;
    let p = s.app.get_plan(&call.principal, id).await?;
    s.app.delete_plan(&call.principal, &call.meta, id).await?;
    Ok(data(plan(&p)))
}

// ------------------------------------------------------------------ subscriptions

/// The plan a TeamTools subscribe names: `planId`; else the first live plan of `packageId`; else of the
/// default package of `groupId` (a group id or `"default"`, the default group) — its `defaultPackageId`,
/// else its package marked default, else its only package.
async fn plan_to_subscribe(s: &AppState, p: &Principal, body: &Map<String, Value>) -> Result<i64, TeamToolsError> {
    if let Some(plan_id) = id_of(body, "planId")? {
        return Ok(plan_id);
    }
    let package_id = match id_of(body, "packageId")? {
        Some(id) => id,
        None => {
            let group_ref = text(body, "groupId").unwrap_or_else(|| "default".into());
            let groups = all(|q| async move { s.app.list_groups(p, &q).await }).await?;
            let group = if group_ref.eq_ignore_ascii_case("default") {
                groups.into_iter().find(|g| g.default)
            } else {
                let wanted = parse_id(&Value::String(group_ref))
                    .ok_or_else(|| TeamToolsError::field("groupId", "must be a group id or \"default\""))?;
                groups.into_iter().find(|g| g.id == wanted)
            }
            .ok_or_else(|| TeamToolsError::field("groupId", "no such group"))?;
            let packages = all(|q| async move {
                s.app
                    .list_packages(
                        p,
                        &CatalogueQuery {
                            group_id: Some(group.id),
                            ..q
                        },
                    )
                    .await
            })
            .await?;
            group
                .default_package_id
                .filter(|id| packages.iter().any(|pkg| pkg.id == *id))
                .or_else(|| packages.iter().find(|pkg| pkg.default).map(|pkg| pkg.id))
                .or_else(|| (packages.len() == 1).then(|| packages[0].id))
                .ok_or_else(|| TeamToolsError::field("groupId", "the group has no default package to subscribe to"))?
        }
    };
    let plans = all(|q| async move {
        s.app
            .list_plans(
                p,
                &CatalogueQuery {
                    package_id: Some(package_id),
                    ..q
                },
            )
            .await
    })
    .await?;
    plans
        .first()
        .map(|plan| plan.id)
        .ok_or_else(|| TeamToolsError::field("packageId", "the package has no plan to subscribe to"))
}

/// Subscribes customer `customer_id` as TeamTools' `subscribe` (or a customer saved with `groupId`) says.
pub(crate) async fn subscribe_from(
    s: &AppState,
    call: &Call,
    customer_id: i64,
    body: &Map<String, Value>,
) -> Result<Subscription, TeamToolsError> {
    let plan_id = plan_to_subscribe(s, &call.principal, body).await?;
    let input = NewSubscription {
        plan_id,
        quantity: int(body, "quantity")?
            .map(|q| u64::try_from(q).map_err(|_| TeamToolsError::field("quantity", "must be 1 or more")))
            .transpose()?,
        group_id: None,
        manual: flag(body, "manual")?,
        force: flag(body, "force")?,
    };
    Ok(s.app.subscribe(&call.principal, &call.meta, customer_id, input).await?)
}

/// `PUT customers/{id}/subscribe`.
pub(crate) async fn subscribe(s: State<AppState>, raw: String, call: Call) -> Answer {
    let customer_id = path_id(&raw)?;
    let body = call.fields();
    let created = subscribe_from(&s, &call, customer_id, &body).await?;
    Ok(data(subscription(&created)))
}

/// The customer's live subscription (the newest), if any.
async fn live_subscription(
    s: &AppState,
    p: &Principal,
    customer_id: i64,
) -> Result<Option<Subscription>, TeamToolsError> {
    let mut cursor = None;
    let mut live = None;
    loop {
        let page = s
            .app
            .list_subscriptions(
                p,
                customer_id,
                &api_types::ListQuery {
                    limit: Some(500),
                    cursor: cursor.take(),
                    ..api_types::ListQuery::default()
                },
            )
            .await?;
        if let Some(found) = page
            .data
            .iter()
            .rev()
            .find(|s| s.status != SubscriptionStatus::Canceled)
        {
            live = Some(found.clone());
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(live),
        }
    }
}

/// `GET customers/{id}/subscription`.
pub(crate) async fn customer_subscription(s: State<AppState>, raw: String, call: Call) -> Answer {
    let customer_id = path_id(&raw)?;
    let found = live_subscription(&s, &call.principal, customer_id)
        .await?
        .ok_or_else(|| TeamToolsError::new(ErrorCode::NotFound, "the customer has no subscription"))?;
    Ok(data(subscription(&found)))
}

/// `PUT customers/{id}/unsubscribe`: cancels the live subscription now; answers it.
pub(crate) async fn unsubscribe(s: State<AppState>, raw: String, call: Call) -> Answer {
    let customer_id = path_id(&raw)?;
    let found = live_subscription(&s, &call.principal, customer_id)
        .await?
        .ok_or_else(|| TeamToolsError::new(ErrorCode::NotFound, "the customer has no subscription"))?;
    let at_period_end = flag(&call.fields(), "atPeriodEnd")?.unwrap_or(false);
    let canceled = s
        .app
        .cancel_subscription(
            &call.principal,
            &call.meta,
            found.id,
            at_period_end.then_some("period_end"),
        )
        .await?;
    Ok(data(subscription(&canceled)))
}

pub(crate) async fn get_subscription(s: State<AppState>, raw: String, call: Call) -> Answer {
    Ok(data(subscription(
        &s.app.get_subscription(&call.principal, path_id(&raw)?).await?,
    )))
}

/// `PUT subscriptions/{id}/addinvoiceitem {description, currency, amount}`.
pub(crate) async fn add_invoice_item(s: State<AppState>, raw: String, call: Call) -> Answer {
    let body = call.fields();
    let input = NewPendingItem {
        description: text(&body, "description").unwrap_or_default(),
        quantity: int(&body, "quantity")?
            .map(|q| u64::try_from(q).map_err(|_| TeamToolsError::field("quantity", "must be 1 or more")))
            .transpose()?,
        unit_amount: int(&body, "amount")?.ok_or_else(|| TeamToolsError::field("amount", "is required"))?,
        currency: text(&body, "currency"),
    };
    let item = s
        .app
        .add_pending_item(&call.principal, &call.meta, path_id(&raw)?, input)
        .await?;
    Ok(data(pending_item(&item)))
}

// ------------------------------------------------------------------ invoices

/// `YYYY-MM-DD` (TeamTools' dates) or an RFC 3339 timestamp, as the native RFC 3339 text.
fn due_date(body: &Map<String, Value>) -> Result<Option<String>, TeamToolsError> {
    let Some(raw) = text(body, "dueDate") else {
        return Ok(None);
    };
    if let Ok(d) = raw.parse::<jiff::civil::Date>() {
        let at = jiff::tz::Offset::UTC
            .to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
            .map_err(|_| TeamToolsError::field("dueDate", "must be a date, YYYY-MM-DD"))?;
        return Ok(Some(at.to_string()));
    }
    raw.parse::<Timestamp>()
        .map(|t| Some(t.to_string()))
        .map_err(|_| TeamToolsError::field("dueDate", "must be a date, YYYY-MM-DD"))
}

pub(crate) async fn invoices(s: State<AppState>, call: Call) -> Answer {
    let customer_id = call
        .param("customerId")
        .map(|v| {
            parse_id(&Value::String(v.to_owned())).ok_or_else(|| TeamToolsError::field("customerId", "must be an id"))
        })
        .transpose()?;
    let mut rows = Vec::new();
    let mut cursor = None;
    loop {
        let page = s
            .app
            .list_invoices(
                &call.principal,
                &InvoiceQuery {
                    limit: Some(500),
                    cursor: cursor.take(),
                    customer_id,
                },
            )
            .await?;
        rows.extend(page.data.iter().map(|i| Value::Object(invoice(i))));
        match page.next_cursor {
            Some(next) if rows.len() < 10_000 => cursor = Some(next),
            _ => break,
        }
    }
    collection(rows)
}

/// `POST invoices {customerId, items: [{description, amount}], dueDate, currency?, subscriptionId?}`: issued
/// at once (numbered, open; `draft: true` keeps it a draft for `settle`), in the currency given, else in
/// the subscription's (the one named, or the customer's live one); without either it is a 422.
pub(crate) async fn create_invoice(s: State<AppState>, call: Call) -> Answer {
    let body = call.fields();
    let customer_id = id_of(&body, "customerId")?.ok_or_else(|| TeamToolsError::field("customerId", "is required"))?;
    let subscription_id = id_of(&body, "subscriptionId")?;
    let mut items = Vec::new();
    if let Some(Value::Array(given)) = body.get("items") {
        for (n, item) in given.iter().enumerate() {
            let item = item
                .as_object()
                .ok_or_else(|| TeamToolsError::field(&format!("items[{n}]"), "must be {description, amount}"))?;
            items.push(NewInvoiceItem {
                description: text(item, "description").unwrap_or_default(),
                quantity: int(item, "quantity")?
                    .map(|q| u64::try_from(q).map_err(|_| TeamToolsError::field("quantity", "must be 1 or more")))
                    .transpose()?,
                unit_amount: int(item, "amount")?
                    .or(int(item, "unitAmount")?)
                    .ok_or_else(|| TeamToolsError::field(&format!("items[{n}].amount"), "is required"))?,
            });
        }
    }
    let currency = match text(&body, "currency") {
        Some(c) => c,
        None => match subscription_id {
            Some(id) => s
                .app
                .get_subscription(&call.principal, id)
                .await?
                .currency
                .code()
                .to_owned(),
            None => live_subscription(&s, &call.principal, customer_id)
                .await?
                .map(|sub| sub.currency.code().to_owned())
                .ok_or_else(|| {
                    TeamToolsError::field("currency", "is required for a customer without a subscription")
                })?,
        },
    };
    let created = s
        .app
        .create_invoice(
            &call.principal,
            &call.meta,
            NewInvoice {
                customer_id,
                currency,
                items,
                subscription_id,
                due_at: due_date(&body)?,
                draft: flag(&body, "draft")?,
            },
        )
        .await?;
    Ok(data(invoice(&created)))
}

pub(crate) async fn get_invoice(s: State<AppState>, raw: String, call: Call) -> Answer {
    Ok(data(invoice(
        &s.app.get_invoice(&call.principal, path_id(&raw)?).await?,
    )))
}

/// `PUT invoices/{id}`: the README saves after `settle()` and `applyPayment()` with nothing changed; an
/// invoice's amounts change only through items, payments and refunds, so this answers the invoice.
pub(crate) async fn update_invoice(s: State<AppState>, raw: String, call: Call) -> Answer {
    let body = call.fields();
    if let Some(member) = ["items", "customerId", "currency", "total"]
        .into_iter()
        .find(|m| body.contains_key(*m))
    {
        return Err(TeamToolsError::field(
            member,
            "an issued invoice does not change; void it and make another",
        ));
    }
    get_invoice(s, raw, call).await
}

/// `PUT invoices/{id}/settle`: a draft is issued (numbered, payable); an invoice issued already is
/// answered as it is (TeamTools' settle only makes sure it is final).
pub(crate) async fn settle(s: State<AppState>, raw: String, call: Call) -> Answer {
    let id = path_id(&raw)?;
    let current = s.app.get_invoice(&call.principal, id).await?;
    let settled = match current.status {
        domain::billing::InvoiceStatus::Draft => s.app.settle_invoice(&call.principal, &call.meta, id).await?,
        domain::billing::InvoiceStatus::Void => {
            return Err(TeamToolsError::new(ErrorCode::Conflict, "the invoice is void"));
        }
        _ => current,
    };
    Ok(data(invoice(&settled)))
}

/// `PUT invoices/{id}/payment {amount, method?, reference?}`: the payment; the excess over what is due
/// goes to the subscription's balance.
pub(crate) async fn apply_payment(s: State<AppState>, raw: String, call: Call) -> Answer {
    let body = call.fields();
    let input = NewPayment {
        amount: int(&body, "amount")?.ok_or_else(|| TeamToolsError::field("amount", "is required"))?,
        method: text(&body, "method"),
        reference: text(&body, "reference"),
    };
    let paid = s
        .app
        .apply_payment(&call.principal, &call.meta, path_id(&raw)?, input)
        .await?;
    Ok(data(payment(&paid)))
}

pub(crate) async fn payments(s: State<AppState>, raw: String, call: Call) -> Answer {
    let rows = s.app.list_payments(&call.principal, path_id(&raw)?).await?;
    Ok(data(rows.iter().map(|r| Value::Object(payment(r))).collect::<Vec<_>>()))
}

pub(crate) async fn refunds(s: State<AppState>, raw: String, call: Call) -> Answer {
    let rows = s.app.list_refunds(&call.principal, path_id(&raw)?).await?;
    Ok(data(rows.iter().map(|r| Value::Object(refund(r))).collect::<Vec<_>>()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::billing::{Interval, TierMode};

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn the_readme_pricing_objects_map_onto_plans() {
        let mut unit = NewPlan::default();
        pricing_fields(
            &mut unit,
            &map(json!({"type": "unit", "interval": {"type": "month", "amount": 2}, "unit": "enduser", "amount": 200})),
        )
        .expect("unit");
        assert_eq!(
            (
                unit.pricing.as_str(),
                unit.interval.as_str(),
                unit.interval_count,
                unit.amount,
                unit.unit.as_deref()
            ),
            ("unit", "month", Some(2), Some(200), Some("enduser"))
        );
        let mut tier = NewPlan::default();
        pricing_fields(
            &mut tier,
            &map(json!({"type": "tier", "interval": {"type": "month", "amount": "2"}, "unit": "enduser",
                "levels": [
                    {"condition": {"min": 1, "max": 10}, "expression": [{"type": "unit", "unit": "enduser", "amount": 120}]},
                    {"condition": {"min": 11, "max": -1}, "expression": [{"type": "unit", "amount": "100"}, {"type": "flat", "amount": 500}]}
                ]})),
        )
        .expect("tier");
        assert_eq!(
            tier.tiers,
            Some(vec![
                Tier {
                    up_to: Some(10),
                    unit_amount: 120,
                    flat_amount: 0
                },
                Tier {
                    up_to: None,
                    unit_amount: 100,
                    flat_amount: 500
                },
            ])
        );
        let mut free = NewPlan::default();
        pricing_fields(
            &mut free,
            &map(json!({"type": "free", "interval": {"type": "year", "amount": 1}})),
        )
        .expect("free");
        assert_eq!((free.pricing.as_str(), free.amount), ("flat", Some(0)));
        let mut bad = NewPlan::default();
        assert!(pricing_fields(&mut bad, &map(json!({"type": "barter"}))).is_err());
        assert!(pricing_fields(&mut bad, &map(json!({"type": "tier", "levels": "many"}))).is_err());
    }

    #[test]
    fn loose_members() {
        let body = map(json!({"a": "30", "b": 7, "c": "true", "d": "0", "e": ["1", 2], "f": "x", "g": null}));
        assert_eq!(int(&body, "a").expect("int"), Some(30));
        assert_eq!(int(&body, "b").expect("int"), Some(7));
        assert!(int(&body, "f").is_err());
        assert_eq!(int(&body, "g").expect("null"), None);
        assert_eq!(flag(&body, "c").expect("flag"), Some(true));
        assert_eq!(flag(&body, "d").expect("flag"), Some(false));
        assert!(flag(&body, "f").is_err());
        assert_eq!(ids_of(&body, "e").expect("ids"), Some(vec![1, 2]));
        assert_eq!(Interval::Month, "month".parse().expect("interval"));
        assert_eq!(TierMode::Graduated, "graduated".parse().expect("mode"));
    }
}
