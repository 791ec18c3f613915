//! Reading the event log (SPEC §3.5).
use crate::{App, AppError, AppResult, Fields, Paged, require_admin, require_staff};
use api_types::EventQuery;
use domain::event::EntityType;
use domain::{Cursor, Event, Principal};
use store::EventFilter;

impl App {
    /// The whole log, for admins.
    pub async fn list_events(&self, p: &Principal, q: &EventQuery) -> AppResult<Paged<Event>> {
        require_admin(p)?;
        self.events(EventFilter::default(), q).await
    }

    /// One customer's history, for staff.
    pub async fn list_customer_events(
        &self,
        p: &Principal,
        customer_id: i64,
        q: &EventQuery,
    ) -> AppResult<Paged<Event>> {
        require_staff(p)?;
        self.store()
            .read()
            .await?
            .customer(customer_id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.events(
            EventFilter {
                customer_id: Some(customer_id),
                ..EventFilter::default()
            },
            q,
        )
        .await
    }

    pub async fn get_event(&self, p: &Principal, id: i64) -> AppResult<Event> {
        require_admin(p)?;
        self.store().read().await?.event(id).await?.ok_or(AppError::NotFound)
    }

    async fn events(&self, mut filter: EventFilter, q: &EventQuery) -> AppResult<Paged<Event>> {
        let mut fields = Fields::default();
        let page = crate::paging::page_request(q.limit, q.cursor.as_deref())?;
        if let Some(t) = q.entity.as_deref() {
            filter.entity = fields.check(
                "type",
                EntityType::parse(t)
                    .map(EntityType::as_str)
                    .ok_or("is not an event type"),
            );
        }
        filter.entity_id = q.entity_id;
        if let Some(since) = q.since.as_deref() {
            filter.since_micros = fields.check(
                "since",
                since
                    .parse::<jiff::Timestamp>()
                    .map(|t| t.as_microsecond())
                    .map_err(|_| "must be an RFC 3339 timestamp"),
            );
        }
        fields.finish()?;
        filter.limit = page.limit;
        filter.before_id = page.after.as_ref().map(|c| c.id);
        let rows = self.store().read().await?.event_list(&filter).await?;
        Ok(crate::paging::paged(rows, &page, |e| Cursor { key: 0, id: e.id }))
    }
}
