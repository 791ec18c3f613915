//! TeamTools' billing (compat/teamtools.md §6.1, §6.3, §6.4, §9.4–§9.7): features, groups, packages,
//! plans with TeamTools' `pricing` object, subscribe/unsubscribe, invoice items, invoices, settle, payments
//! and refunds — over the native use cases, in TeamTools' shape (ids as strings, camelCase, numbers and
//! booleans also as strings on input).
//!
//! `input` reads TeamTools' members, `shape` writes TeamTools' records, `catalogue` and `sales` are the
//! routes.
mod catalogue;
mod input;
mod sales;
mod shape;

pub(crate) use catalogue::*;
pub(crate) use sales::*;
pub(crate) use shape::STYLE;

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

use input::*;
use shape::*;

pub(super) fn data(value: impl Into<Value>) -> Json<Value> {
    Json(json!({ "data": value.into() }))
}

pub(super) fn path_id(raw: &str) -> Result<i64, TeamToolsError> {
    parse_id(&Value::String(raw.to_owned())).ok_or_else(|| TeamToolsError::new(ErrorCode::NotFound, "no such record"))
}

pub(super) fn opt_time(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::String(time(t)))
}

pub(super) fn day(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::String(t.strftime("%Y-%m-%d").to_string()))
}

/// Every page of a native catalogue list, up to 10,000 rows.
pub(super) async fn all<T, F, Fut>(mut page: F) -> Result<Vec<T>, TeamToolsError>
where
    F: FnMut(CatalogueQuery) -> Fut,
    Fut: std::future::Future<Output = Result<Paged<T>, app::AppError>>,
{
    let rows = crate::routes::every_page(10_000, |cursor| {
        page(CatalogueQuery {
            limit: Some(500),
            cursor,
            ..CatalogueQuery::default()
        })
    })
    .await?;
    Ok(rows)
}

/// A collection answer: `data` and `meta.pagination` (the catalogue is small: one page holds it).
pub(super) fn collection(rows: Vec<Value>) -> Answer {
    let n = rows.len();
    Ok(Json(json!({
        "data": rows,
        "meta": {"pagination": {"total": n, "count": n, "limit": n.max(1), "offset": 0}},
    })))
}
