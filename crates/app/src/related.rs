//! Related records fetched in batches, for `include=` (SPEC §3.4): the end users of customers, the
//! customers of end users, and their change events. Deleted records are never included.
use crate::attributes::AttributeSet;
use crate::{App, AppResult, require_staff};
use domain::{AttributeEntity, Customer, EndUser, Event, Principal};
use store::EventFilter;

/// The most change events an include shows per record (newest first).
pub const INCLUDED_EVENTS: u32 = 50;

impl App {
    /// The live end users of these customers (attributes as clients see them).
    pub async fn end_users_of(&self, p: &Principal, customer_ids: &[i64]) -> AppResult<Vec<EndUser>> {
        require_staff(p)?;
        let mut db = self.store().read().await?;
        let set = AttributeSet::load(&mut *db, AttributeEntity::EndUser).await?;
        let mut rows = db.end_users_of(customer_ids).await?;
        for u in &mut rows {
            set.visible(&mut u.attributes);
        }
        Ok(rows)
    }

    /// The live customers among these ids.
    pub async fn live_customers(&self, p: &Principal, ids: &[i64]) -> AppResult<Vec<Customer>> {
        require_staff(p)?;
        let mut db = self.store().read().await?;
        let set = AttributeSet::load(&mut *db, AttributeEntity::Customer).await?;
        let mut rows: Vec<Customer> = db
            .customers_by_ids(ids)
            .await?
            .into_iter()
            .filter(|c| c.deleted_at.is_none())
            .collect();
        for c in &mut rows {
            set.visible(&mut c.attributes);
        }
        Ok(rows)
    }

    /// The newest change events of one customer (its history) or one end user.
    pub async fn change_events_of(&self, p: &Principal, entity: AttributeEntity, id: i64) -> AppResult<Vec<Event>> {
        require_staff(p)?;
        let filter = match entity {
            AttributeEntity::Customer => EventFilter {
                customer_id: Some(id),
                limit: INCLUDED_EVENTS,
                ..EventFilter::default()
            },
            AttributeEntity::EndUser => EventFilter {
                entity: Some(domain::EntityType::EndUser.as_str()),
                entity_id: Some(id),
                limit: INCLUDED_EVENTS,
                ..EventFilter::default()
            },
        };
        Ok(self.store().read().await?.event_list(&filter).await?)
    }
}
