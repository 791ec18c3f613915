//! The view hooks' render call (SPEC §4): the HTML the scripts of a web-UI slot give, for the web UI to
//! place. Admin-area slots are for staff; client-area slots for staff and the ticket's end user, and their
//! output is sanitised before it reaches a customer's browser.
use crate::json;
use crate::tickets::visible_ticket;
use crate::{App, AppError, AppResult};
use domain::HookPoint;
use domain::Principal;
use domain::hook::HookKind;
use std::sync::Arc;

/// A rendered slot: its HTML, and (for staff) the hooks that failed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RenderedView {
    pub slot: String,
    pub html: String,
    pub failures: Vec<serde_json::Value>,
}

/// Slots about one ticket, which need it.
fn needs_ticket(slot: HookPoint) -> bool {
    matches!(
        slot,
        HookPoint::TicketAdminAreaViewDetail
            | HookPoint::TicketAdminAreaViewDetailSidebar
            | HookPoint::TicketClientAreaViewDetailTop
            | HookPoint::TicketClientAreaViewDetail
    )
}

fn client_area(slot: HookPoint) -> bool {
    slot.as_str().starts_with("TicketClientArea")
}

impl App {
    /// Renders `slot` (a view hook point's name): with `ticket_id` the scripts get that ticket, otherwise
    /// `{}`. Unknown slots are 404; an admin-area slot for an end user is 404.
    pub async fn render_view(&self, p: &Principal, slot: &str, ticket_id: Option<i64>) -> AppResult<RenderedView> {
        let point = HookPoint::parse(slot)
            .filter(|s| s.kind() == HookKind::View)
            .ok_or(AppError::NotFound)?;
        if !p.is_staff() && !client_area(point) {
            return Err(AppError::NotFound);
        }
        let params = match ticket_id {
            Some(id) => {
                let mut db = self.store().read().await?;
                json(&visible_ticket(&mut *db, p, id).await?)
            }
            None if needs_ticket(point) => return Err(AppError::field("ticket_id", "this slot shows a ticket")),
            None => serde_json::json!({}),
        };
        let hooks = Arc::clone(self.hooks());
        let out = tokio::task::spawn_blocking(move || hooks.view(point, &params))
            .await
            .map_err(|e| AppError::Internal(format!("a view hook's thread failed: {e}")))?;
        let html = if client_area(point) {
            hooks::sanitize_for_customers(&out.html)
        } else {
            out.html
        };
        let failures = if p.is_staff() {
            out.failures
                .iter()
                .map(|f| serde_json::json!({"script": f.script, "line": f.line, "message": f.message}))
                .collect()
        } else {
            Vec::new()
        };
        Ok(RenderedView {
            slot: point.as_str().to_owned(),
            html,
            failures,
        })
    }
}
