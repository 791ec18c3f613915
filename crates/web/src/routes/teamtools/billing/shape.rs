//! Billing records in TeamTools' shape (compat/teamtools.md §9.4–§9.7): string ids, camelCase members,
//! `YYYY-MM-DD HH:MM:SS` times.
use super::*;

pub(super) fn into_map(v: Value) -> Map<String, Value> {
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

pub(super) fn feature(f: &Feature) -> Map<String, Value> {
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

pub(super) fn group(g: &Group) -> Map<String, Value> {
    into_map(json!({
        "id": id(g.id),
        "name": g.name,
        "default": g.default,
        "defaultPackageId": g.default_package_id.map(id),
        "created_at": time(g.created_at),
        "updated_at": time(g.updated_at),
    }))
}

pub(super) fn package(p: &Package) -> Map<String, Value> {
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
pub(super) fn plan(p: &Plan) -> Map<String, Value> {
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

pub(super) fn subscription(s: &Subscription) -> Map<String, Value> {
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

pub(super) fn invoice(i: &Invoice) -> Map<String, Value> {
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

pub(super) fn payment(p: &Payment) -> Map<String, Value> {
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

pub(super) fn refund(r: &Refund) -> Map<String, Value> {
    into_map(json!({
        "id": id(r.id),
        "paymentId": id(r.payment_id),
        "invoiceId": id(r.invoice_id),
        "amount": r.amount,
        "created_at": time(r.created_at),
    }))
}

pub(super) fn pending_item(p: &PendingItem) -> Map<String, Value> {
    into_map(json!({
        "id": id(p.id),
        "subscriptionId": id(p.subscription_id),
        "description": p.item.description,
        "quantity": p.item.quantity,
        "amount": p.item.amount,
        "created_at": time(p.created_at),
    }))
}
