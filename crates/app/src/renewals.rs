//! The billing scheduler's work (SPEC §5.2): renewing subscriptions whose period has ended, one invoice
//! per period, ending those cancelled at their period's end, and marking subscriptions with overdue
//! invoices past due. `serve` runs it every minute; `ferrodesk billing run [--now]` runs it once.
//!
//! Exactly once, with any number of processes: a batch locks the subscriptions it renews (PostgreSQL skips
//! rows another process holds), renews each in the batch's one transaction, and advances its period there;
//! a crash rolls the whole batch back, and a re-run finds those subscriptions due again. The unique index
//! on (subscription, period) is the last line: a second invoice for a period cannot be stored.
use crate::contracts::{incidents_per_period, top_up};
use crate::invoices::{issue, record_new_invoice};
use crate::subscriptions::save_subscription;
use crate::{App, AppError, AppResult, Change, RequestMeta};
use domain::billing::renewal::{Step, initial_fee_line, next_step, plan_line};
use domain::billing::{Invoice, InvoiceItem, Package, Plan, PlanUnit, Subscription, SubscriptionStatus};
use domain::event::EventSource;
use domain::{Principal, Timestamp};
use std::collections::HashMap;
use store::Writer;

/// Subscriptions renewed in one transaction: large enough that commits do not dominate, small enough that
/// a batch holds its locks briefly and a crash repeats little.
pub const DEFAULT_BATCH: i64 = 200;

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct BillingRun {
    /// Subscriptions that moved to a new period (one or more).
    pub renewed: u64,
    /// Renewal invoices issued: one per period begun.
    pub invoices: u64,
    /// Subscriptions cancelled at their period's end that ended.
    pub ended: u64,
    /// Subscriptions marked past due (an open invoice past its due date).
    pub past_due: u64,
    /// Transactions committed.
    pub batches: u64,
}

/// A plan as renewals need it: with the incidents per period its package sells, if any.
#[derive(Clone)]
struct Billed {
    plan: Plan,
    incidents: Option<i64>,
}

/// Plans read once per batch.
#[derive(Default)]
struct Catalogue {
    plans: HashMap<i64, Billed>,
}

impl Catalogue {
    async fn plan(&mut self, tx: &mut Box<dyn Writer>, plan_id: i64) -> AppResult<&Billed> {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.plans.entry(plan_id) {
            let plan = tx
                .plan(plan_id)
                .await?
                .ok_or_else(|| AppError::Internal(format!("subscription of plan {plan_id}, which does not exist")))?;
            let package = tx.package(plan.package_id).await?.ok_or_else(|| {
                AppError::Internal(format!(
                    "plan {plan_id} of package {}, which does not exist",
                    plan.package_id
                ))
            })?;
            let incidents = incidents_per_period(tx, &package).await?;
            slot.insert(Billed { plan, incidents });
        }
        self.plans
            .get(&plan_id)
            .ok_or_else(|| AppError::Internal("the catalogue cache lost a plan".into()))
    }
}

fn scheduler_meta() -> RequestMeta {
    RequestMeta {
        source: Some(EventSource::System),
        url: Some("billing".into()),
        ip: None,
    }
}

/// The units a period of `plan` bills for `s`: its quantity, or its customer's end users.
async fn units(tx: &mut Box<dyn Writer>, plan: &Plan, s: &Subscription) -> AppResult<u64> {
    Ok(match plan.unit {
        PlanUnit::Quantity => s.quantity,
        PlanUnit::EndUser => tx.end_user_count(s.customer_id).await?,
    })
}

/// A new invoice of `s` for `items`, not yet issued.
pub(crate) fn invoice_for(s: &Subscription, items: Vec<InvoiceItem>, at: Timestamp) -> AppResult<Invoice> {
    Invoice::draft(s.customer_id, Some(s.id), s.currency, items, at)
        .map_err(|e| AppError::field("items", e.to_string()))
}

/// Issues and stores the first invoice of a new subscription `s` on `plan` of `package`: the first period's
/// price (none during a trial) and the plan's initial fee; nothing to bill, no invoice. A first period
/// that is billed tops up the customer's incidents like every renewal.
pub(crate) async fn first_invoice(
    tx: &mut Box<dyn Writer>,
    change: &Change<'_>,
    plan: &Plan,
    package: &Package,
    s: &mut Subscription,
    at: Timestamp,
) -> AppResult<Option<Invoice>> {
    if s.status != SubscriptionStatus::Trialing
        && let Some(incidents) = incidents_per_period(tx, package).await?
    {
        top_up(tx, change, incidents, s, s.current_period_start, s.current_period_end).await?;
    }
    let mut items = Vec::new();
    let billed_period = s.status != SubscriptionStatus::Trialing;
    if billed_period {
        let units = units(tx, plan, s).await?;
        items.push(
            plan_line(plan, units, s.current_period_start, s.current_period_end)
                .map_err(|e| AppError::field("quantity", e.to_string()))?,
        );
    }
    if let Some(fee) = initial_fee_line(plan).map_err(|e| AppError::field("plan_id", e.to_string()))? {
        items.push(fee);
    }
    if items.is_empty() {
        return Ok(None);
    }
    let mut invoice = invoice_for(s, items, at)?;
    if billed_period {
        invoice.period_start = Some(s.current_period_start);
        invoice.period_end = Some(s.current_period_end);
    }
    issue(tx, &mut invoice, at, Some(s)).await?;
    let invoice = tx.insert_invoice(&invoice).await?;
    record_new_invoice(tx, change, &invoice).await?;
    Ok(Some(invoice))
}

impl App {
    /// Does the billing work due at `now` in batches of `batch` subscriptions, each batch one transaction,
    /// until nothing is due. Safe to run in several processes at once and to re-run after a crash.
    /// `committed` hears about each batch once it is committed.
    pub async fn run_billing(
        &self,
        now: Timestamp,
        batch: i64,
        mut committed: impl FnMut(&BillingRun),
    ) -> AppResult<BillingRun> {
        let mut run = BillingRun::default();
        let meta = scheduler_meta();
        let change = Change {
            principal: &Principal::System,
            meta: &meta,
        };
        loop {
            let mut tx = self.store().write().await?;
            let due = tx.due_subscriptions(now, batch).await?;
            if due.is_empty() {
                break;
            }
            let mut catalogue = Catalogue::default();
            let mut progressed = false;
            for s in due {
                progressed |= renew(&mut tx, &change, &mut catalogue, s, now, &mut run).await?;
            }
            tx.commit().await?;
            run.batches += 1;
            committed(&run);
            if !progressed {
                // Only subscriptions that cannot be renewed are left at the head of the queue.
                break;
            }
        }
        loop {
            let mut tx = self.store().write().await?;
            let overdue = tx.overdue_subscriptions(now, batch).await?;
            if overdue.is_empty() {
                break;
            }
            for before in overdue {
                let after = Subscription {
                    status: SubscriptionStatus::PastDue,
                    updated_at: now,
                    ..before.clone()
                };
                save_subscription(&mut tx, &change, &before, &after).await?;
                run.past_due += 1;
            }
            tx.commit().await?;
            run.batches += 1;
            committed(&run);
        }
        Ok(run)
    }
}

/// Takes `before` (locked) through every step due at `now`: a renewal invoice per period begun, or its end.
/// `false` when nothing could be done (the subscription is left as it was, with a warning logged).
async fn renew(
    tx: &mut Box<dyn Writer>,
    change: &Change<'_>,
    catalogue: &mut Catalogue,
    before: Subscription,
    now: Timestamp,
    run: &mut BillingRun,
) -> AppResult<bool> {
    let Billed { plan, incidents } = catalogue.plan(tx, before.plan_id).await?.clone();
    let mut s = before.clone();
    let mut renewed = false;
    loop {
        // A subscription the rules cannot renew (a period past the year 9999, a price above 10^15) is
        // left as it is, with a warning, and the batch goes on: one such record must not stop billing.
        let step = match next_step(&s, &plan, now) {
            Ok(Some(step)) => step,
            Ok(None) => break,
            Err(e) => {
                tracing::warn!(subscription = s.id, error = %e, "cannot renew this subscription");
                break;
            }
        };
        match step {
            Step::End { at } => {
                s.status = SubscriptionStatus::Canceled;
                s.canceled_at = Some(at);
                run.ended += 1;
            }
            Step::Renew { start, end } => {
                let units = units(tx, &plan, &s).await?;
                let line = match plan_line(&plan, units, start, end) {
                    Ok(line) => line,
                    Err(e) => {
                        tracing::warn!(subscription = s.id, error = %e, "cannot price this subscription's period");
                        break;
                    }
                };
                let pending = tx.pending_items(s.id).await?;
                let took_pending = !pending.is_empty();
                let items = std::iter::once(line)
                    .chain(pending.into_iter().map(|p| p.item))
                    .collect();
                let Ok(mut invoice) = invoice_for(&s, items, now) else {
                    tracing::warn!(
                        subscription = s.id,
                        "the items of this subscription's next invoice add up past 10^15"
                    );
                    break;
                };
                if took_pending {
                    tx.delete_pending_items(s.id).await?;
                }
                invoice.period_start = Some(start);
                invoice.period_end = Some(end);
                issue(tx, &mut invoice, now, Some(&mut s)).await?;
                let invoice = tx.insert_invoice(&invoice).await?;
                record_new_invoice(tx, change, &invoice).await?;
                if let Some(incidents) = incidents {
                    top_up(tx, change, incidents, &s, start, end).await?;
                }
                if s.status == SubscriptionStatus::Trialing {
                    s.status = SubscriptionStatus::Active;
                }
                s.current_period_start = start;
                s.current_period_end = end;
                run.invoices += 1;
                renewed = true;
            }
        }
    }
    if s == before {
        return Ok(false);
    }
    if renewed {
        run.renewed += 1;
    }
    s.updated_at = now;
    save_subscription(tx, change, &before, &s).await?;
    Ok(true)
}
