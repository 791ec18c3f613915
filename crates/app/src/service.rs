//! A ticket's service (SPEC §3.2 `service`, §5.3): the subscription of the ticket's customer it is about.
//! Only a subscription of that customer may be named; `?include=service` shows it with its plan, unpaid
//! invoices and the incidents left.
use crate::tickets::visible_ticket;
use crate::{App, AppError, AppResult};
use api_types::{TicketService, UnpaidInvoice};
use domain::Principal;
use domain::billing::contract::usage;
use store::Reader;
use store::time::now;

/// Refuses (422, naming `service`) a service that is not a subscription of `customer_id`.
pub(crate) async fn check_service(db: &mut dyn Reader, service: Option<i64>, customer_id: i64) -> AppResult<()> {
    let Some(id) = service else {
        return Ok(());
    };
    match db.subscription(id).await? {
        Some(s) if s.customer_id == customer_id => Ok(()),
        _ => Err(AppError::field(
            "service",
            "must be a subscription of the ticket's customer",
        )),
    }
}

impl App {
    /// The ticket's service in full, for staff; `None` when the ticket names none (or end users ask).
    pub async fn ticket_service(&self, p: &Principal, ticket_id: i64) -> AppResult<Option<TicketService>> {
        let mut db = self.store().read().await?;
        let ticket = visible_ticket(&mut *db, p, ticket_id).await?;
        let Some(id) = ticket.service.filter(|_| p.is_staff()) else {
            return Ok(None);
        };
        let Some(s) = db.subscription(id).await? else {
            return Ok(None);
        };
        let plan = db
            .plan(s.plan_id)
            .await?
            .ok_or_else(|| AppError::Internal(format!("subscription {id} of a plan that does not exist")))?;
        let unpaid: Vec<UnpaidInvoice> = db
            .open_invoices_of(id)
            .await?
            .into_iter()
            .map(|i| UnpaidInvoice {
                id: i.id,
                number: i.number,
                total: i.total,
                amount_due: i.amount_due,
                due_at: i.due_at,
            })
            .collect();
        let today = jiff::tz::Offset::UTC.to_datetime(now()).date();
        let contract = db.incident_contract(s.customer_id, today).await?;
        let incidents = match &contract {
            Some(c) => usage(c, &db.ticket_incidents(ticket_id).await?),
            None => vec![],
        };
        Ok(Some(TicketService {
            id,
            status: s.status,
            plan: plan.into(),
            currency: s.currency,
            current_period_start: s.current_period_start,
            current_period_end: s.current_period_end,
            cancel_at_period_end: s.cancel_at_period_end,
            balance: s.balance,
            amount_due: unpaid.iter().map(|i| i.amount_due).sum(),
            unpaid_invoices: unpaid,
            contract_id: contract.map(|c| c.id),
            incidents_left: incidents.iter().map(|i| i.left).sum(),
            incidents,
        }))
    }
}
