//! The agent console's own state: saved queue views, who else has a ticket open, and the marker pages
//! poll to learn that something changed (the event log, so every node sees every change).
use crate::{App, AppError, AppResult, require_staff};
use domain::{FieldError, Principal};
use jiff::SignedDuration;
use store::time::now;
use store::{Presence, SavedView};

/// A presence mark counts for this long after the page last reported it (pages report every few seconds).
pub const PRESENCE_TTL: SignedDuration = SignedDuration::from_secs(20);
/// Longest view name and query kept.
const VIEW_NAME_MAX: usize = 100;
const VIEW_QUERY_MAX: usize = 2000;
/// Views one staff member may keep.
const VIEWS_MAX: usize = 50;

fn staff_id(p: &Principal) -> AppResult<i64> {
    match p {
        Principal::Staff { id, .. } => Ok(*id),
        _ => Err(AppError::NotFound),
    }
}

impl App {
    /// The logged-in staff member's saved queue views, oldest first.
    pub async fn saved_views(&self, p: &Principal) -> AppResult<Vec<SavedView>> {
        let id = staff_id(p)?;
        Ok(self.store().read().await?.saved_views_of(id).await?)
    }

    /// Saves the queue's current filters under a name.
    pub async fn save_view(&self, p: &Principal, name: &str, query: &str) -> AppResult<SavedView> {
        let staff_id = staff_id(p)?;
        let name = name.trim();
        let mut errors = Vec::new();
        if name.is_empty() || name.chars().count() > VIEW_NAME_MAX {
            errors.push(FieldError::new(
                "name",
                format!("must be 1 to {VIEW_NAME_MAX} characters"),
            ));
        }
        if query.len() > VIEW_QUERY_MAX {
            errors.push(FieldError::new(
                "query",
                format!("must be at most {VIEW_QUERY_MAX} bytes"),
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let mut tx = self.store().write().await?;
        if tx.saved_views_of(staff_id).await?.len() >= VIEWS_MAX {
            return Err(AppError::field(
                "name",
                format!("at most {VIEWS_MAX} views; delete one first"),
            ));
        }
        let view = tx
            .insert_saved_view(&SavedView {
                id: 0,
                staff_id,
                name: name.to_owned(),
                query: query.trim_start_matches('?').to_owned(),
                created_at: now(),
            })
            .await?;
        tx.commit().await?;
        Ok(view)
    }

    pub async fn delete_saved_view(&self, p: &Principal, id: i64) -> AppResult<()> {
        let staff_id = staff_id(p)?;
        let mut tx = self.store().write().await?;
        if !tx.delete_saved_view(id, staff_id).await? {
            return Err(AppError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    /// Marks the staff member as having the ticket open (writing a reply, when `replying`), and answers who
    /// else has it open.
    pub async fn mark_presence(&self, p: &Principal, ticket_id: i64, replying: bool) -> AppResult<Vec<Presence>> {
        let staff_id = staff_id(p)?;
        let at = now();
        let stale_before = at.checked_sub(PRESENCE_TTL).unwrap_or(at);
        {
            let mut db = self.store().read().await?;
            if db.ticket(ticket_id).await?.is_none() {
                return Err(AppError::NotFound);
            }
        }
        let mut tx = self.store().write().await?;
        tx.mark_presence(
            &Presence {
                ticket_id,
                staff_id,
                staff_name: String::new(),
                replying,
                seen_at: at,
            },
            stale_before,
        )
        .await?;
        let others = tx
            .presence_on(ticket_id, stale_before)
            .await?
            .into_iter()
            .filter(|x| x.staff_id != staff_id)
            .collect();
        tx.commit().await?;
        Ok(others)
    }

    /// The newest event's id: pages that show a list poll it and redraw only when it moved.
    pub async fn latest_change(&self, p: &Principal) -> AppResult<i64> {
        require_staff(p)?;
        Ok(self.store().read().await?.latest_event_id().await?)
    }

    /// Every staff member's id and name, for the assignee choices of the console (agents may assign, but
    /// staff accounts themselves are the admin's).
    pub async fn assignable_staff(&self, p: &Principal) -> AppResult<Vec<(i64, String)>> {
        require_staff(p)?;
        let mut out = Vec::new();
        let mut page = crate::paging::page_request(Some(500), None)?;
        let mut db = self.store().read().await?;
        loop {
            let rows = db.staff_list(&page).await?;
            let full = rows.len() as u64 >= u64::from(page.limit);
            if let Some(last) = rows.last() {
                page.after = Some(domain::Cursor { key: 0, id: last.id });
            }
            out.extend(rows.into_iter().map(|s| (s.id, s.name)));
            if !full || out.len() >= 5000 {
                return Ok(out);
            }
        }
    }
}

/// What the console shows of a customer beside a ticket (the customer sidebar) and on the customer page:
/// the account, its contacts, its current subscriptions, unpaid invoices and incidents left.
#[derive(Debug, Clone)]
pub struct CustomerOverview {
    pub customer: domain::Customer,
    /// The customer's end users (the first [`OVERVIEW_ROWS`]).
    pub contacts: Vec<domain::EndUser>,
    /// Subscriptions with their plan's name, newest first.
    pub subscriptions: Vec<(domain::billing::subscription::Subscription, String)>,
    /// Open (issued, not fully paid) invoices, newest first.
    pub unpaid: Vec<domain::billing::invoice::Invoice>,
    /// The per-incident contract in force today, and each of its types as `ticket_id` (if any) sees them.
    pub contract_id: Option<i64>,
    pub incidents: Vec<domain::billing::contract::IncidentUsage>,
}

/// Rows of each list an overview reads.
pub const OVERVIEW_ROWS: u32 = 20;

impl App {
    /// The customer sidebar of a ticket (or the customer page, `ticket_id` = `None`), staff only.
    pub async fn customer_overview(
        &self,
        p: &Principal,
        customer_id: i64,
        ticket_id: Option<i64>,
    ) -> AppResult<CustomerOverview> {
        require_staff(p)?;
        let mut db = self.store().read().await?;
        let customer = db.customer(customer_id).await?.ok_or(AppError::NotFound)?;
        let page = crate::paging::page_request(Some(OVERVIEW_ROWS), None)?;
        let contacts = db
            .end_users_of(&[customer_id])
            .await?
            .into_iter()
            .filter(|u| u.deleted_at.is_none())
            .take(OVERVIEW_ROWS as usize)
            .collect();
        let mut subscriptions = Vec::new();
        for s in db
            .subscriptions_of(customer_id, &page)
            .await?
            .into_iter()
            .take(OVERVIEW_ROWS as usize)
        {
            let plan = db.plan(s.plan_id).await?.map(|p| p.name).unwrap_or_default();
            subscriptions.push((s, plan));
        }
        let unpaid = db
            .invoice_list(Some(customer_id), &crate::paging::page_request(Some(100), None)?)
            .await?
            .into_iter()
            .filter(|i| i.status == domain::billing::ledger::InvoiceStatus::Open && i.amount_due > 0)
            .take(OVERVIEW_ROWS as usize)
            .collect();
        let today = jiff::tz::Offset::UTC.to_datetime(now()).date();
        let contract = db.incident_contract(customer_id, today).await?;
        let redeemed = match ticket_id {
            Some(t) => db.ticket_incidents(t).await?,
            None => vec![],
        };
        let incidents = contract
            .as_ref()
            .map(|c| domain::billing::contract::usage(c, &redeemed))
            .unwrap_or_default();
        Ok(CustomerOverview {
            customer,
            contacts,
            subscriptions,
            unpaid,
            contract_id: contract.map(|c| c.id),
            incidents,
        })
    }
}

/// A form's one-time key, as a submission finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submission {
    /// First time: make the change, then [`App::finish_submission`].
    Fresh,
    /// Sent before and done: where its result is.
    Done(String),
    /// Sent before and still being made (or its maker died): nothing to do but wait.
    Pending,
}

/// How long a form's key is remembered.
const SUBMISSION_TTL: SignedDuration = SignedDuration::from_hours(24);

impl App {
    /// Claims a form's one-time key for the session (keys are per session: another browser cannot
    /// claim one of yours). An empty or overlong key is a form without protection: `Fresh`.
    pub async fn claim_submission(&self, session_id: i64, nonce: &str) -> AppResult<Submission> {
        let Some(key) = submission_key(session_id, nonce) else {
            return Ok(Submission::Fresh);
        };
        let at = now();
        let stale_before = at.checked_sub(SUBMISSION_TTL).unwrap_or(at);
        let mut tx = self.store().write().await?;
        let fresh = tx.claim_submission(&key, at, stale_before).await?;
        tx.commit().await?;
        if fresh {
            return Ok(Submission::Fresh);
        }
        Ok(match self.store().read().await?.submission(&key).await? {
            Some(Some(result)) => Submission::Done(result),
            _ => Submission::Pending,
        })
    }

    /// Records the result of a claimed submission, or (`None`) releases its key.
    pub async fn finish_submission(&self, session_id: i64, nonce: &str, result: Option<&str>) -> AppResult<()> {
        let Some(key) = submission_key(session_id, nonce) else {
            return Ok(());
        };
        let mut tx = self.store().write().await?;
        tx.finish_submission(&key, result).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn submission_key(session_id: i64, nonce: &str) -> Option<String> {
    let ok = !nonce.is_empty()
        && nonce.len() <= 64
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then(|| format!("{session_id}:{nonce}"))
}
