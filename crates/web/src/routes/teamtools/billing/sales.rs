//! Subscribing customers, invoice items, invoices, payments and refunds (compat/teamtools.md §6.1, §6.3,
//! §6.4, §9.6, §9.7).
use super::*;

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
    let (app, p) = (&s.app, p);
    let all = crate::routes::every_page(usize::MAX, |cursor| async move {
        let q = api_types::ListQuery {
            limit: Some(500),
            cursor,
            ..api_types::ListQuery::default()
        };
        app.list_subscriptions(p, customer_id, &q).await
    })
    .await?;
    Ok(all.into_iter().rev().find(|s| s.status != SubscriptionStatus::Canceled))
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
pub(super) fn due_date(body: &Map<String, Value>) -> Result<Option<String>, TeamToolsError> {
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
    let (app, p) = (&s.app, &call.principal);
    let rows = crate::routes::every_page(10_000, |cursor| async move {
        let q = InvoiceQuery {
            limit: Some(500),
            cursor,
            customer_id,
        };
        app.list_invoices(p, &q).await
    })
    .await?;
    let rows = rows.iter().map(|i| Value::Object(invoice(i))).collect();
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
