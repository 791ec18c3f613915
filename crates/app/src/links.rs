//! Billing-system links (SPEC §5.5): which accounts in external billing systems belong to a customer.
use crate::{App, AppError, AppResult, Change, RequestMeta, Subject, commit_with_event, json, require_staff};
use api_types::NewBillingLink;
use domain::billing::{BillingLink, BillingSystem};
use domain::event::{EntityType, EventAction};
use domain::{HookPoint, Principal};
use store::time::now;

impl App {
    pub async fn create_billing_link(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        customer_id: i64,
        input: NewBillingLink,
    ) -> AppResult<BillingLink> {
        require_staff(p)?;
        let billing_system = BillingSystem::parse(&input.billing_system).ok_or_else(|| {
            AppError::field(
                "billing_system",
                format!("must be one of {}", BillingSystem::NAMES.join(", ")),
            )
        })?;
        let billing_id = input.billing_id.trim().to_owned();
        if billing_id.is_empty() || billing_id.chars().count() > 200 {
            return Err(AppError::field("billing_id", "must be 1 to 200 characters"));
        }
        let mut tx = self.store().write().await?;
        let customer = tx.customer(customer_id).await?;
        if customer.is_none_or(|c| c.deleted_at.is_some()) {
            return Err(AppError::NotFound);
        }
        let link = tx
            .insert_billing_link(&BillingLink {
                id: 0,
                customer_id,
                billing_system,
                billing_id,
                created_at: now(),
            })
            .await?;
        let change = Change { principal: p, meta };
        let event = change.event(
            EventAction::Created,
            Subject(EntityType::BillingLink, link.id, Some(customer_id)),
            Some(HookPoint::BillingLinkAssigned),
            json(&link),
            serde_json::Value::Null,
        );
        commit_with_event(tx, event).await?;
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
