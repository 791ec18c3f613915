//! Subscriptions (SPEC §5.2): a customer subscribes to a plan, one live subscription per group unless
//! `force` replaces it; cancelling ends it now or at the end of its period.
use crate::paging::{by_id, page_request, paged};
use crate::renewals::first_invoice;
use crate::{
    App, AppError, AppResult, Change, Fields, Paged, RequestMeta, Subject, commit_with_event, json, require_staff,
};
use api_types::{ListQuery, NewPendingItem, NewSubscription};
use domain::billing::catalogue::missing_dependencies;
use domain::billing::subscription::start;
use domain::billing::{Currency, InvoiceItem, PendingItem, PlanUnit, Subscription, SubscriptionStatus};
use domain::event::{EntityType, EventAction};
use domain::{HookPoint, Principal};
use store::Writer;
use store::time::now;

impl App {
    pub async fn subscribe(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        customer_id: i64,
        input: NewSubscription,
    ) -> AppResult<Subscription> {
        require_staff(p)?;
        let mut tx = self.store().write().await?;
        let customer = tx.customer(customer_id).await?;
        if customer.is_none_or(|c| c.deleted_at.is_some()) {
            return Err(AppError::NotFound);
        }
        let plan = tx
            .plan(input.plan_id)
            .await?
            .filter(|plan| plan.deleted_at.is_none())
            .ok_or_else(|| AppError::field("plan_id", "no such plan"))?;
        let package = tx
            .package(plan.package_id)
            .await?
            .filter(|pkg| pkg.deleted_at.is_none())
            .ok_or_else(|| AppError::field("plan_id", "the plan's package is deleted"))?;
        if input.group_id.is_some_and(|g| g != package.group_id) {
            return Err(AppError::field(
                "group_id",
                format!("the plan belongs to group {}", package.group_id),
            ));
        }
        let quantity = input.quantity.unwrap_or(1);
        if plan.unit == PlanUnit::Quantity {
            plan.pricing
                .check_quantity(quantity)
                .map_err(|_| AppError::field("quantity", "must be at least 1 for a plan priced per unit"))?;
        }
        let features: Vec<i64> = package.features.iter().map(|f| f.feature_id).collect();
        if let Some((feature, lacking)) = missing_dependencies(&features, &tx.feature_requirements().await?)
            .into_iter()
            .next()
        {
            let lacking: Vec<String> = lacking.iter().map(i64::to_string).collect();
            return Err(AppError::Conflict(format!(
                "package {} cannot be subscribed to: its feature {feature} requires feature {} that it lacks",
                package.id,
                lacking.join(", ")
            )));
        }
        if let Some(other) = tx
            .open_invoice_currencies(customer_id)
            .await?
            .into_iter()
            .find(|c| *c != plan.currency)
        {
            return Err(AppError::Conflict(format!(
                "the customer has open invoices in {other}; a plan in {} would mix currencies",
                plan.currency
            )));
        }
        let at = now();
        let change = Change { principal: p, meta };
        let live = tx.live_subscriptions_in_group(customer_id, package.group_id).await?;
        if !live.is_empty() && !input.force.unwrap_or(false) {
            return Err(AppError::Conflict(
                "the customer already has a subscription in this group (subscribe with force to replace it)".into(),
            ));
        }
        for old in live {
            let ended = Subscription {
                status: SubscriptionStatus::Canceled,
                canceled_at: Some(at),
                updated_at: at,
                ..old.clone()
            };
            save_subscription(&mut tx, &change, &old, &ended).await?;
        }
        let begun = start(at, plan.trial_days, plan.cycle).map_err(|e| AppError::field("plan_id", e.to_string()))?;
        let mut subscription = tx
            .insert_subscription(&Subscription {
                id: 0,
                customer_id,
                plan_id: plan.id,
                group_id: package.group_id,
                status: begun.status,
                quantity,
                manual: input.manual.unwrap_or(false),
                currency: plan.currency,
                anchor: begun.anchor,
                current_period_start: begun.current_period_start,
                current_period_end: begun.current_period_end,
                trial_end: begun.trial_end,
                cancel_at_period_end: false,
                canceled_at: None,
                balance: 0,
                created_at: at,
                updated_at: at,
            })
            .await?;
        let event = change.event(
            EventAction::Created,
            Subject(EntityType::Subscription, subscription.id, Some(customer_id)),
            Some(HookPoint::SubscriptionCreated),
            json(&subscription),
            serde_json::Value::Null,
        );
        tx.insert_event(&event).await?;
        first_invoice(&mut tx, &change, &plan, &package, &mut subscription, at).await?;
        tx.commit().await?;
        Ok(subscription)
    }

    pub async fn get_subscription(&self, p: &Principal, id: i64) -> AppResult<Subscription> {
        require_staff(p)?;
        self.store()
            .read()
            .await?
            .subscription(id)
            .await?
            .ok_or(AppError::NotFound)
    }

    pub async fn list_subscriptions(
        &self,
        p: &Principal,
        customer_id: i64,
        q: &ListQuery,
    ) -> AppResult<Paged<Subscription>> {
        require_staff(p)?;
        let page = page_request(q.limit, q.cursor.as_deref())?;
        let mut r = self.store().read().await?;
        if r.customer(customer_id).await?.is_none() {
            return Err(AppError::NotFound);
        }
        let rows = r.subscriptions_of(customer_id, &page).await?;
        Ok(paged(rows, &page, |s| by_id(s.id)))
    }

    /// Cancels now (`at` absent), or at the end of the current period (`at=period_end`: the subscription
    /// stays live and keeps its group until then).
    pub async fn cancel_subscription(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        id: i64,
        at: Option<&str>,
    ) -> AppResult<Subscription> {
        require_staff(p)?;
        let at_period_end = match at {
            None | Some("now") => false,
            Some("period_end") => true,
            Some(_) => return Err(AppError::field("at", "must be period_end (or absent: now)")),
        };
        let mut tx = self.store().write().await?;
        let old = tx.subscription(id).await?.ok_or(AppError::NotFound)?;
        if old.status == SubscriptionStatus::Canceled {
            return Err(AppError::Conflict("the subscription is canceled already".into()));
        }
        let when = now();
        let s = if at_period_end {
            Subscription {
                cancel_at_period_end: true,
                updated_at: when,
                ..old.clone()
            }
        } else {
            Subscription {
                status: SubscriptionStatus::Canceled,
                canceled_at: Some(when),
                updated_at: when,
                ..old.clone()
            }
        };
        save_subscription(&mut tx, &Change { principal: p, meta }, &old, &s).await?;
        tx.commit().await?;
        Ok(s)
    }
}

/// Writes a subscription's change (`before` → `after`) with its event: `SubscriptionCanceled` when it ends,
/// `SubscriptionUpdated` otherwise.
pub(crate) async fn save_subscription(
    tx: &mut Box<dyn Writer>,
    change: &Change<'_>,
    before: &Subscription,
    after: &Subscription,
) -> AppResult<()> {
    tx.update_subscription(after).await?;
    let name = if after.status == SubscriptionStatus::Canceled {
        HookPoint::SubscriptionCanceled
    } else {
        HookPoint::SubscriptionUpdated
    };
    let event = change.event(
        EventAction::Updated,
        Subject(EntityType::Subscription, after.id, Some(after.customer_id)),
        Some(name),
        json(after),
        json(before),
    );
    tx.insert_event(&event).await?;
    Ok(())
}

impl App {
    /// Adds an item to the subscription's next invoice (TeamTools' `addInvoiceItem`).
    pub async fn add_pending_item(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        subscription_id: i64,
        input: NewPendingItem,
    ) -> AppResult<PendingItem> {
        require_staff(p)?;
        let mut fields = Fields::default();
        let description = input.description.trim().to_owned();
        if description.is_empty() || description.chars().count() > 500 {
            fields.add("description", "must be 1 to 500 characters");
        }
        let currency = input.currency.as_deref().and_then(|c| {
            Currency::parse(c)
                .map_err(|e| fields.add("currency", e.to_string()))
                .ok()
        });
        let item = InvoiceItem::new(description, input.quantity.unwrap_or(1), input.unit_amount)
            .map_err(|e| fields.add("unit_amount", e.to_string()))
            .ok();
        if input.quantity == Some(0) {
            fields.add("quantity", "must be at least 1");
        }
        fields.finish()?;
        let Some(item) = item else {
            return Err(AppError::field("unit_amount", "is missing"));
        };
        let mut tx = self.store().write().await?;
        let s = tx
            .subscription_for_update(subscription_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if s.status == SubscriptionStatus::Canceled {
            return Err(AppError::Conflict(
                "the subscription is canceled: it has no next invoice".into(),
            ));
        }
        if let Some(c) = currency.filter(|c| *c != s.currency) {
            return Err(AppError::Conflict(format!(
                "the subscription is billed in {}, not {c}",
                s.currency
            )));
        }
        let pending = tx
            .insert_pending_item(&PendingItem {
                id: 0,
                subscription_id,
                item,
                created_at: now(),
            })
            .await?;
        let change = Change { principal: p, meta };
        let event = change.event(
            EventAction::Updated,
            Subject(EntityType::Subscription, subscription_id, Some(s.customer_id)),
            Some(HookPoint::SubscriptionUpdated),
            json(&serde_json::json!({"pending_item": pending})),
            serde_json::Value::Null,
        );
        commit_with_event(tx, event).await?;
        Ok(pending)
    }

    /// The items waiting for the subscription's next invoice.
    pub async fn list_pending_items(&self, p: &Principal, subscription_id: i64) -> AppResult<Vec<PendingItem>> {
        require_staff(p)?;
        let mut r = self.store().read().await?;
        r.subscription(subscription_id).await?.ok_or(AppError::NotFound)?;
        Ok(r.pending_items(subscription_id).await?)
    }
}
