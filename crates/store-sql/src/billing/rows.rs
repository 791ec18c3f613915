//! How the billing aggregate's records are laid out in their tables: each record's columns, the mapping of
//! a row to the record, and the record's values in column order for inserts and updates.
use crate::{RowExt, RowMap, Value, decode_err, from_json_text, json_text};
use domain::billing::{
    BillingLink, BillingSystem, Currency, Cycle, Feature, Group, Interval, Invoice, InvoiceItem, InvoiceStatus,
    Package, Payment, PendingItem, Plan, PlanUnit, Pricing, Refund, Subscription, SupportLevel, Tier,
};
use store::Result;
use store::time::{from_micros, to_micros};

pub(super) const FEATURE_COLS: &str = "id, name, description, unique_key, created_at, updated_at, deleted_at";

pub(super) const FEATURE_ROW: RowMap<Feature> = |r| {
    Ok(Feature {
        id: r.get("id")?,
        name: r.get("name")?,
        description: r.get("description")?,
        unique_key: r.get("unique_key")?,
        dependency_ids: Vec::new(),
        created_at: from_micros(r.get("created_at")?),
        updated_at: from_micros(r.get("updated_at")?),
        deleted_at: r.get::<Option<i64>>("deleted_at")?.map(from_micros),
    })
};

pub(super) const GROUP_COLS: &str = "id, name, is_default, default_package_id, created_at, updated_at";

pub(super) const GROUP_ROW: RowMap<Group> = |r| {
    Ok(Group {
        id: r.get("id")?,
        name: r.get("name")?,
        default: r.get("is_default")?,
        default_package_id: r.get("default_package_id")?,
        created_at: from_micros(r.get("created_at")?),
        updated_at: from_micros(r.get("updated_at")?),
    })
};

pub(super) const PACKAGE_COLS: &str = "id, group_id, name, description, is_default, created_at, updated_at, deleted_at";

pub(super) const PACKAGE_ROW: RowMap<Package> = |r| {
    Ok(Package {
        id: r.get("id")?,
        group_id: r.get("group_id")?,
        name: r.get("name")?,
        description: r.get("description")?,
        default: r.get("is_default")?,
        features: Vec::new(),
        created_at: from_micros(r.get("created_at")?),
        updated_at: from_micros(r.get("updated_at")?),
        deleted_at: r.get::<Option<i64>>("deleted_at")?.map(from_micros),
    })
};

pub(super) const PLAN_COLS: &str = "id, package_id, name, description, currency, cycle, interval_count, trial_days, initial_fee, \
                         pricing, amount, tier_mode, tiers, unit, created_at, updated_at, deleted_at";

pub(super) const PLAN_ROW: RowMap<Plan> = |r| {
    let parse = |what: &str, e: <Interval as std::str::FromStr>::Err| decode_err(what, e);
    let interval: Interval = r.get::<&str>("cycle")?.parse().map_err(|e| parse("cycle", e))?;
    let count = u32::try_from(r.get::<i64>("interval_count")?).map_err(|e| decode_err("interval_count", e))?;
    let pricing = match r.get::<&str>("pricing")? {
        "flat" => Pricing::Flat {
            amount: r.get::<Option<i64>>("amount")?.unwrap_or(0),
        },
        "unit" => Pricing::Unit {
            amount: r.get::<Option<i64>>("amount")?.unwrap_or(0),
        },
        _ => Pricing::Tiered {
            mode: r
                .get::<Option<&str>>("tier_mode")?
                .unwrap_or("graduated")
                .parse()
                .map_err(|e| parse("tier_mode", e))?,
            tiers: from_json_text::<Vec<Tier>>("tiers", r.get::<Option<&str>>("tiers")?.unwrap_or("[]"))?,
        },
    };
    Ok(Plan {
        id: r.get("id")?,
        package_id: r.get("package_id")?,
        name: r.get("name")?,
        description: r.get("description")?,
        currency: Currency::parse(r.get("currency")?).map_err(|e| decode_err("currency", e))?,
        cycle: Cycle::new(interval, count).map_err(|e| decode_err("interval_count", e))?,
        trial_days: u32::try_from(r.get::<i64>("trial_days")?).map_err(|e| decode_err("trial_days", e))?,
        initial_fee: r.get("initial_fee")?,
        pricing,
        unit: r.get::<&str>("unit")?.parse().map_err(|e| parse("unit", e))?,
        created_at: from_micros(r.get("created_at")?),
        updated_at: from_micros(r.get("updated_at")?),
        deleted_at: r.get::<Option<i64>>("deleted_at")?.map(from_micros),
    })
};

pub(super) const SUBSCRIPTION_COLS: &str = "id, customer_id, plan_id, group_id, status, quantity, manual, currency, anchor, \
                                 current_period_start, current_period_end, trial_end, cancel_at_period_end, \
                                 canceled_at, balance, created_at, updated_at";

pub(super) const SUBSCRIPTION_ROW: RowMap<Subscription> = |r| {
    Ok(Subscription {
        id: r.get("id")?,
        customer_id: r.get("customer_id")?,
        plan_id: r.get("plan_id")?,
        group_id: r.get("group_id")?,
        status: r.get::<&str>("status")?.parse().map_err(|e| decode_err("status", e))?,
        quantity: u64::try_from(r.get::<i64>("quantity")?).map_err(|e| decode_err("quantity", e))?,
        manual: r.get("manual")?,
        currency: Currency::parse(r.get("currency")?).map_err(|e| decode_err("currency", e))?,
        anchor: from_micros(r.get("anchor")?),
        current_period_start: from_micros(r.get("current_period_start")?),
        current_period_end: from_micros(r.get("current_period_end")?),
        trial_end: r.get::<Option<i64>>("trial_end")?.map(from_micros),
        cancel_at_period_end: r.get("cancel_at_period_end")?,
        canceled_at: r.get::<Option<i64>>("canceled_at")?.map(from_micros),
        balance: r.get("balance")?,
        created_at: from_micros(r.get("created_at")?),
        updated_at: from_micros(r.get("updated_at")?),
    })
};

/// A subscription's columns after `id`, in the order of [`SUBSCRIPTION_COLS`].
pub(super) fn subscription_values(s: &Subscription) -> Result<Vec<Value>> {
    Ok(vec![
        Value::from(s.customer_id),
        Value::from(s.plan_id),
        Value::from(s.group_id),
        Value::from(<&'static str>::from(s.status)),
        Value::from(i64::try_from(s.quantity).map_err(|e| decode_err("quantity", e))?),
        Value::from(s.manual),
        Value::from(s.currency.code()),
        Value::from(to_micros(s.anchor)),
        Value::from(to_micros(s.current_period_start)),
        Value::from(to_micros(s.current_period_end)),
        Value::from(s.trial_end.map(to_micros)),
        Value::from(s.cancel_at_period_end),
        Value::from(s.canceled_at.map(to_micros)),
        Value::from(s.balance),
        Value::from(to_micros(s.created_at)),
        Value::from(to_micros(s.updated_at)),
    ])
}

pub(super) const INVOICE_COLS: &str = "id, customer_id, subscription_id, number, currency, status, items, subtotal, total, \
                            amount_paid, credit_applied, period_start, period_end, issued_at, due_at, paid_at, \
                            created_at, updated_at";

pub(super) const INVOICE_ROW: RowMap<Invoice> = |r| {
    let status: InvoiceStatus = r.get::<&str>("status")?.parse().map_err(|e| decode_err("status", e))?;
    let total: i64 = r.get("total")?;
    let amount_paid: i64 = r.get("amount_paid")?;
    Ok(Invoice {
        id: r.get("id")?,
        customer_id: r.get("customer_id")?,
        subscription_id: r.get("subscription_id")?,
        number: r.get("number")?,
        currency: Currency::parse(r.get("currency")?).map_err(|e| decode_err("currency", e))?,
        status,
        items: from_json_text::<Vec<InvoiceItem>>("items", r.get("items")?)?,
        subtotal: r.get("subtotal")?,
        total,
        amount_paid,
        amount_due: if status == InvoiceStatus::Void {
            0
        } else {
            (total - amount_paid).max(0)
        },
        credit_applied: r.get("credit_applied")?,
        period_start: r.get::<Option<i64>>("period_start")?.map(from_micros),
        period_end: r.get::<Option<i64>>("period_end")?.map(from_micros),
        issued_at: r.get::<Option<i64>>("issued_at")?.map(from_micros),
        due_at: r.get::<Option<i64>>("due_at")?.map(from_micros),
        paid_at: r.get::<Option<i64>>("paid_at")?.map(from_micros),
        created_at: from_micros(r.get("created_at")?),
        updated_at: from_micros(r.get("updated_at")?),
    })
};

/// An invoice's columns after `id`, in the order of [`INVOICE_COLS`].
pub(super) fn invoice_values(i: &Invoice) -> Result<Vec<Value>> {
    Ok(vec![
        Value::from(i.customer_id),
        Value::from(i.subscription_id),
        Value::from(&i.number),
        Value::from(i.currency.code()),
        Value::from(<&'static str>::from(i.status)),
        Value::from(json_text(&i.items)?),
        Value::from(i.subtotal),
        Value::from(i.total),
        Value::from(i.amount_paid),
        Value::from(i.credit_applied),
        Value::from(i.period_start.map(to_micros)),
        Value::from(i.period_end.map(to_micros)),
        Value::from(i.issued_at.map(to_micros)),
        Value::from(i.due_at.map(to_micros)),
        Value::from(i.paid_at.map(to_micros)),
        Value::from(to_micros(i.created_at)),
        Value::from(to_micros(i.updated_at)),
    ])
}

pub(super) const PAYMENT_COLS: &str =
    "id, invoice_id, amount, applied, credited, refunded, method, reference, created_at";

pub(super) const PAYMENT_ROW: RowMap<Payment> = |r| {
    Ok(Payment {
        id: r.get("id")?,
        invoice_id: r.get("invoice_id")?,
        amount: r.get("amount")?,
        applied: r.get("applied")?,
        credited: r.get("credited")?,
        refunded: r.get("refunded")?,
        method: r.get("method")?,
        reference: r.get("reference")?,
        created_at: from_micros(r.get("created_at")?),
    })
};

pub(super) const REFUND_COLS: &str = "id, payment_id, invoice_id, amount, created_at";

pub(super) const REFUND_ROW: RowMap<Refund> = |r| {
    Ok(Refund {
        id: r.get("id")?,
        payment_id: r.get("payment_id")?,
        invoice_id: r.get("invoice_id")?,
        amount: r.get("amount")?,
        created_at: from_micros(r.get("created_at")?),
    })
};

pub(super) const PENDING_COLS: &str = "id, subscription_id, description, quantity, unit_amount, amount, created_at";

pub(super) const PENDING_ROW: RowMap<PendingItem> = |r| {
    Ok(PendingItem {
        id: r.get("id")?,
        subscription_id: r.get("subscription_id")?,
        item: InvoiceItem {
            description: r.get("description")?,
            quantity: u64::try_from(r.get::<i64>("quantity")?).map_err(|e| decode_err("quantity", e))?,
            unit_amount: r.get("unit_amount")?,
            amount: r.get("amount")?,
        },
        created_at: from_micros(r.get("created_at")?),
    })
};

pub(super) const LINK_COLS: &str = "id, customer_id, billing_system, billing_id, created_at";

pub(super) const LINK_ROW: RowMap<BillingLink> = |r| {
    let system: &str = r.get("billing_system")?;
    Ok(BillingLink {
        id: r.get("id")?,
        customer_id: r.get("customer_id")?,
        billing_system: BillingSystem::parse(system).ok_or_else(|| decode_err("billing_system", system))?,
        billing_id: r.get("billing_id")?,
        created_at: from_micros(r.get("created_at")?),
    })
};

pub(super) const LEVEL_COLS: &str = "id, name, description, max_first_response_minutes, created_at, updated_at";

pub(super) const LEVEL_ROW: RowMap<SupportLevel> = |r| {
    let minutes: Option<i64> = r.get("max_first_response_minutes")?;
    Ok(SupportLevel {
        id: r.get("id")?,
        name: r.get("name")?,
        description: r.get("description")?,
        max_first_response_minutes: minutes
            .map(u32::try_from)
            .transpose()
            .map_err(|e| decode_err("max_first_response_minutes", e))?,
        created_at: from_micros(r.get("created_at")?),
        updated_at: from_micros(r.get("updated_at")?),
    })
};

pub(super) fn level_values(l: &SupportLevel) -> Vec<Value> {
    vec![
        Value::from(&l.name),
        Value::from(&l.description),
        Value::from(l.max_first_response_minutes.map(i64::from)),
        Value::from(to_micros(l.created_at)),
        Value::from(to_micros(l.updated_at)),
    ]
}

/// The plan's pricing as its columns: `pricing, amount, tier_mode, tiers`.
pub(super) fn pricing_values(p: &Pricing) -> Result<[Value; 4]> {
    Ok(match p {
        Pricing::Flat { amount } => [
            Value::from("flat"),
            Value::from(*amount),
            Value::from(None::<&str>),
            Value::from(None::<&str>),
        ],
        Pricing::Unit { amount } => [
            Value::from("unit"),
            Value::from(*amount),
            Value::from(None::<&str>),
            Value::from(None::<&str>),
        ],
        Pricing::Tiered { mode, tiers } => [
            Value::from("tier"),
            Value::from(None::<i64>),
            Value::from(<&'static str>::from(*mode)),
            Value::from(json_text(tiers)?),
        ],
    })
}

pub(super) fn unit_text(u: PlanUnit) -> &'static str {
    u.into()
}

/// Where [`plan_values`] puts `created_at`, which an update leaves alone.
pub(super) const CREATED_AT: usize = 14;

/// `id` and then the plan's columns in the order of the insert.
pub(super) fn plan_values(p: &Plan) -> Result<[Value; 17]> {
    let [pricing, amount, tier_mode, tiers] = pricing_values(&p.pricing)?;
    Ok([
        Value::from(p.id),
        Value::from(p.package_id),
        Value::from(&p.name),
        Value::from(&p.description),
        Value::from(p.currency.code()),
        Value::from(<&'static str>::from(p.cycle.interval)),
        Value::from(i64::from(p.cycle.count)),
        Value::from(i64::from(p.trial_days)),
        Value::from(p.initial_fee),
        pricing,
        amount,
        tier_mode,
        tiers,
        Value::from(unit_text(p.unit)),
        Value::from(to_micros(p.created_at)),
        Value::from(to_micros(p.updated_at)),
        Value::from(p.deleted_at.map(to_micros)),
    ])
}
