//! Billing-system links (SPEC §5.5): which accounts in external billing systems belong to a customer.
use crate::{App, AppError, AppResult, Change, Fields, RequestMeta, Subject, commit_with_event, json, require_staff};
use api_types::NewBillingLink;
use domain::billing::{BillingLink, BillingSystem};
use domain::event::{EntityType, EventAction};
use domain::{HookPoint, Principal};
use store::Writer;
use store::time::now;

/// A link's system (one of SPEC §5.5's, any case) and account id (1 to 200 characters), checked.
pub(crate) fn check_link(system: &str, billing_id: &str) -> AppResult<(BillingSystem, String)> {
    let mut fields = Fields::default();
    let parsed = BillingSystem::parse(system);
    if parsed.is_none() {
        fields.add(
            "billing_system",
            format!("must be one of {}", BillingSystem::NAMES.join(", ")),
        );
    }
    let billing_id = billing_id.trim().to_owned();
    if billing_id.is_empty() || billing_id.chars().count() > 200 {
        fields.add("billing_id", "must be 1 to 200 characters");
    }
    fields.finish()?;
    let system = parsed.ok_or_else(|| AppError::Internal("a checked billing system went missing".into()))?;
    Ok((system, billing_id))
}

/// Links the account to the customer, with its `BillingLinkAssigned` event; an account linked to another
/// customer already is a conflict (409).
async fn insert_link(
    tx: &mut Box<dyn Writer>,
    change: &Change<'_>,
    customer_id: i64,
    billing_system: BillingSystem,
    billing_id: String,
) -> AppResult<BillingLink> {
    let link = tx
        .insert_billing_link(&BillingLink {
            id: 0,
            customer_id,
            billing_system,
            billing_id,
            created_at: now(),
        })
        .await?;
    let event = change.event(
        EventAction::Created,
        Subject(EntityType::BillingLink, link.id, Some(customer_id)),
        Some(HookPoint::BillingLinkAssigned),
        json(&link),
        serde_json::Value::Null,
    );
    tx.insert_event(&event).await?;
    Ok(link)
}

/// [`insert_link`] that is idempotent: an account linked to this customer already is left as it is.
pub(crate) async fn ensure_link(
    tx: &mut Box<dyn Writer>,
    change: &Change<'_>,
    customer_id: i64,
    billing_system: BillingSystem,
    billing_id: String,
) -> AppResult<BillingLink> {
    match tx.billing_link_of_account(billing_system, &billing_id).await? {
        Some(link) if link.customer_id == customer_id => Ok(link),
        Some(_) => Err(AppError::Conflict(
            "this billing account is linked to another customer".into(),
        )),
        None => insert_link(tx, change, customer_id, billing_system, billing_id).await,
    }
}

impl App {
    pub async fn create_billing_link(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        customer_id: i64,
        input: NewBillingLink,
    ) -> AppResult<BillingLink> {
        require_staff(p)?;
        let (billing_system, billing_id) = check_link(&input.billing_system, &input.billing_id)?;
        let mut tx = self.store().write().await?;
        let customer = tx.customer(customer_id).await?;
        if customer.is_none_or(|c| c.deleted_at.is_some()) {
            return Err(AppError::NotFound);
        }
        let link = insert_link(
            &mut tx,
            &Change { principal: p, meta },
            customer_id,
            billing_system,
            billing_id,
        )
        .await?;
        tx.commit().await?;
        Ok(link)
    }

    pub async fn list_billing_links(&self, p: &Principal, customer_id: i64) -> AppResult<Vec<BillingLink>> {
        require_staff(p)?;
        let mut r = self.store().read().await?;
        r.customer(customer_id).await?.ok_or(AppError::NotFound)?;
        Ok(r.billing_links_of(customer_id).await?)
    }

    pub async fn get_billing_link(&self, p: &Principal, id: i64) -> AppResult<BillingLink> {
        require_staff(p)?;
        self.store()
            .read()
            .await?
            .billing_link(id)
            .await?
            .ok_or(AppError::NotFound)
    }

    pub async fn delete_billing_link(&self, p: &Principal, meta: &RequestMeta, id: i64) -> AppResult<()> {
        require_staff(p)?;
        let mut tx = self.store().write().await?;
        let old = tx.billing_link(id).await?.ok_or(AppError::NotFound)?;
        tx.delete_billing_link(id).await?;
        let change = Change { principal: p, meta };
        let event = change.event(
            EventAction::Deleted,
            Subject(EntityType::BillingLink, id, Some(old.customer_id)),
            None,
            serde_json::Value::Null,
            json(&old),
        );
        commit_with_event(tx, event).await
    }
}
